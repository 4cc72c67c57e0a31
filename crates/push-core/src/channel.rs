//! [`ChannelReq`]: subscribe or unsubscribe devices to channels (FCM
//! topics), in one of Tinode's two shapes, checked on construction and on
//! deserialisation so an invalid request cannot exist.
//!
//! JSON: Tinode's `push.ChannelReq` has no JSON tags, so Go writes its field
//! names as they are: `{"Uid", "DeviceID", "Channel", "Unsub"}`, with the
//! unused one of `DeviceID`/`Channel` empty. This type reads and writes
//! exactly that. It does not look up a user's channels or devices.

use serde::{Deserialize, Serialize};

use crate::error::ChannelReqError;

/// What a channel request applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelTarget {
    /// This one device, to (or from) **all** of the user's channels.
    Device(String),
    /// **All** of the user's devices, to (or from) this one channel.
    Channel(String),
}

/// A request to subscribe (or unsubscribe) devices to channels.
///
/// ```
/// use push_core::{ChannelReq, ChannelReqError, ChannelTarget};
///
/// let req = ChannelReq::new("usrA", ChannelTarget::Channel("chnX".into()), false)?;
/// assert_eq!(serde_json::to_string(&req)?, r#"{"Uid":"usrA","DeviceID":"","Channel":"chnX","Unsub":false}"#);
///
/// let both = ChannelReq::from_parts("usrA", "token", "chnX", true);
/// assert_eq!(both.unwrap_err(), ChannelReqError::BothTargets);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Wire", into = "Wire")]
pub struct ChannelReq {
    uid: String,
    target: ChannelTarget,
    unsub: bool,
}

impl ChannelReq {
    /// A request for user `uid`; `unsub` true to unsubscribe. Refuses an
    /// empty user id, device token or channel name.
    pub fn new(uid: &str, target: ChannelTarget, unsub: bool) -> Result<Self, ChannelReqError> {
        match &target {
            _ if uid.is_empty() => Err(ChannelReqError::NoUser),
            ChannelTarget::Device(id) | ChannelTarget::Channel(id) if id.is_empty() => {
                Err(ChannelReqError::NoTarget)
            }
            _ => Ok(Self { uid: uid.to_owned(), target, unsub }),
        }
    }

    /// A request from Tinode's flat fields: exactly one of `device_id` and
    /// `channel` must be non-empty.
    pub fn from_parts(
        uid: &str,
        device_id: &str,
        channel: &str,
        unsub: bool,
    ) -> Result<Self, ChannelReqError> {
        let target = match (device_id.is_empty(), channel.is_empty()) {
            (false, false) => return Err(ChannelReqError::BothTargets),
            (true, true) => return Err(ChannelReqError::NoTarget),
            (false, true) => ChannelTarget::Device(device_id.to_owned()),
            (true, false) => ChannelTarget::Channel(channel.to_owned()),
        };
        Self::new(uid, target, unsub)
    }

    /// The user id.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The device or the channel.
    pub fn target(&self) -> &ChannelTarget {
        &self.target
    }

    /// True to unsubscribe, false to subscribe.
    pub fn unsub(&self) -> bool {
        self.unsub
    }
}

/// The JSON shape Go writes for `push.ChannelReq`.
#[derive(Serialize, Deserialize)]
#[serde(expecting = "a channel request object", deny_unknown_fields)]
struct Wire {
    #[serde(rename = "Uid")]
    uid: String,
    #[serde(rename = "DeviceID", default)]
    device_id: String,
    #[serde(rename = "Channel", default)]
    channel: String,
    #[serde(rename = "Unsub", default)]
    unsub: bool,
}

impl TryFrom<Wire> for ChannelReq {
    type Error = ChannelReqError;

    fn try_from(wire: Wire) -> Result<Self, ChannelReqError> {
        Self::from_parts(&wire.uid, &wire.device_id, &wire.channel, wire.unsub)
    }
}

impl From<ChannelReq> for Wire {
    fn from(req: ChannelReq) -> Self {
        let (device_id, channel) = match req.target {
            ChannelTarget::Device(id) => (id, String::new()),
            ChannelTarget::Channel(name) => (String::new(), name),
        };
        Self { uid: req.uid, device_id, channel, unsub: req.unsub }
    }
}
