//! Money objects: market orders, VK Pay transfers, mini-app payloads and VK
//! Donut subscriptions and withdrawals.

use serde::Deserialize;
use serde_json::Value;

use super::media::Price;

/// `market_order_new` and `market_order_edit`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MarketOrder {
    /// Order id.
    pub id: i64,
    /// Community id.
    pub group_id: i64,
    /// Buyer.
    pub user_id: i64,
    /// Creation time, unix seconds.
    pub date: i64,
    /// 0 new, 1 approved, 2 assembling, 3 delivering, 4 completed,
    /// 5 cancelled, 6 returned.
    pub status: i64,
    /// Number of items.
    pub items_count: i64,
    /// Total price.
    pub total_price: Price,
    /// Order number shown to people.
    pub display_order_id: String,
    /// Buyer's comment.
    pub comment: String,
    /// Items preview, raw.
    pub preview_order_items: Vec<Value>,
    /// Delivery details, raw.
    pub delivery: Option<Value>,
    /// Recipient details, raw.
    pub recipient: Option<Value>,
}

/// `vkpay_transaction`: a VK Pay transfer to the community.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VkpayTransaction {
    /// Sender.
    pub from_id: i64,
    /// Amount in thousandths of a rouble.
    pub amount: i64,
    /// Sender's comment.
    pub description: String,
    /// Time, unix seconds.
    pub date: i64,
}

/// `app_payload`: a mini-app sent the community a payload.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AppPayload {
    /// The user.
    pub user_id: i64,
    /// The mini-app.
    pub app_id: i64,
    /// The payload string.
    pub payload: String,
    /// Group the mini-app was opened in.
    pub group_id: Option<i64>,
}

/// `donut_subscription_create` and `donut_subscription_prolonged`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DonutSubscription {
    /// The subscriber.
    pub user_id: i64,
    /// Price, roubles.
    pub amount: f64,
    /// Price after VK's fee, roubles.
    pub amount_without_fee: f64,
}

/// `donut_subscription_expired` and `donut_subscription_cancelled`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DonutSubscriptionEnded {
    /// The former subscriber.
    pub user_id: i64,
}

/// `donut_subscription_price_changed`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DonutPriceChanged {
    /// The subscriber.
    pub user_id: i64,
    /// Old price, roubles.
    pub amount_old: f64,
    /// New price, roubles.
    pub amount_new: f64,
    /// Difference, roubles.
    pub amount_diff: f64,
    /// Difference after VK's fee, roubles.
    pub amount_diff_without_fee: f64,
}

/// `donut_money_withdraw`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DonutWithdraw {
    /// Amount, roubles.
    pub amount: f64,
    /// Amount after VK's fee, roubles.
    pub amount_without_fee: f64,
}

/// `donut_money_withdraw_error`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DonutWithdrawError {
    /// Why it failed.
    pub reason: String,
}
