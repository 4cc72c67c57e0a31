//! The Telegram TL subset the engine needs, as plain serde types.
//!
//! Each type is the minimum the gap engine reads; everything else a client
//! library carries goes into `payload` fields (`serde_json::Value`) and is
//! passed through untouched. Converting from a real MTProto library means
//! filling the documented fields and, optionally, the payload. This module
//! does no (de)serialisation of MTProto itself.

mod difference;
mod entities;
mod rpc;
mod update;
mod updates;

pub use difference::{
    ChannelDifference, Difference, DifferenceBody, GetChannelDifference, GetDifference,
    InputChannel, State,
};
pub use entities::{Chat, Dialog, Message, MessageKind, Peer, User};
pub use rpc::RpcError;
pub use update::{QtsKind, Sequence, Update};
pub use updates::{ShortChatMessage, ShortMessage, ShortSentMessage, Updates};

#[cfg(test)]
mod tests;
