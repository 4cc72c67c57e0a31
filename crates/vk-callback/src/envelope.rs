//! The request envelope `{type, group_id, event_id, v, secret, object}` and
//! its lenient, vksdk-compatible parsing.
//!
//! Parity with vksdk's streaming Go decoder: invalid UTF-8 is replaced by
//! U+FFFD, only the first JSON value is read (trailing bytes are ignored), a
//! top-level `null` is an all-empty envelope, field names match
//! case-insensitively and the last of duplicate or case-variant keys wins
//! (the rule is in [`visit`]), and every field is optional. Wrong JSON types
//! for the envelope's own fields are errors (400).
//!
//! Deliberately stricter than Go: a body nesting deeper than
//! [`MAX_JSON_DEPTH`] (128, serde_json's own default) is refused before it
//! is parsed, wherever the nesting is ([`depth`]). Go's decoder allows
//! 10,000 levels, but a tree that deep overflows the stack of whatever walks
//! it recursively (the typed decode, drop, clone, a handler serializing it):
//! unoptimised, the typed decode of nested forwarded messages overflows a
//! 2 MiB tokio worker stack at 256 levels and fits at 224. 128 levels still
//! hold about 60 nested forwards with photo attachments.
//!
//! The `object` is kept as JSON unless the service asks for it typed;
//! decoding it is [`crate::events::Event::decode`]'s job.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::error::EnvelopeError;
use crate::events::{Event, EventType};

mod depth;
mod visit;

/// One callback request as VK sent it. The `secret` is kept private: handlers
/// see everything else.
#[derive(Clone, Default, PartialEq)]
pub struct Envelope {
    event_type: String,
    group_id: i64,
    event_id: String,
    api_version: String,
    secret: String,
    object: Option<Value>,
}

impl Envelope {
    /// Parses a request body.
    ///
    /// # Errors
    /// The body holds no JSON value, the value is neither an object nor
    /// `null`, or an envelope field has the wrong JSON type.
    ///
    /// ```
    /// let env = vk_callback::Envelope::parse(br#"{"type":"confirmation","group_id":1} junk"#)?;
    /// assert_eq!((env.event_type(), env.group_id()), ("confirmation", 1));
    /// # Ok::<(), vk_callback::EnvelopeError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, EnvelopeError> {
        let text = lossy(body);
        check_depth(&text)?;
        Ok(visit::parse(&text, None)?.0)
    }

    /// Parses a body, decoding the object of the types `want` selects in the
    /// same pass when it can (see [`visit`]).
    pub(crate) fn parse_typed(
        body: &[u8],
        want: &dyn Fn(EventType) -> bool,
    ) -> Result<(Self, Option<Box<Event>>), EnvelopeError> {
        let text = lossy(body);
        check_depth(&text)?;
        match visit::parse(&text, Some(want)) {
            Ok(parsed) => Ok(parsed),
            Err(_) => visit::parse(&text, None),
        }
    }

    /// The `type` (empty when missing).
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The `group_id` (0 when missing).
    pub fn group_id(&self) -> i64 {
        self.group_id
    }

    /// The `event_id` (empty when missing).
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The API version `v` of the object (empty when missing).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The raw `object`: `None` when the field is absent, `Some(Null)` for
    /// an explicit `null`.
    pub fn object(&self) -> Option<&Value> {
        self.object.as_ref()
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// Moves out the event id and the API version (for the handlers'
    /// context), leaving them empty.
    pub(crate) fn take_ids(&mut self) -> (String, String) {
        (std::mem::take(&mut self.event_id), std::mem::take(&mut self.api_version))
    }

    pub(crate) fn take_object(&mut self) -> Option<Value> {
        self.object.take()
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("event_type", &self.event_type)
            .field("group_id", &self.group_id)
            .field("event_id", &self.event_id)
            .field("api_version", &self.api_version)
            .field("secret", &if self.secret.is_empty() { "" } else { "<redacted>" })
            .field("object", &self.object)
            .finish()
    }
}

fn lossy(body: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// The deepest nesting a request body may have, counting the envelope
/// object as level 1: deeper bodies are answered 400.
pub const MAX_JSON_DEPTH: usize = 128;

fn check_depth(text: &str) -> Result<(), EnvelopeError> {
    if depth::exceeds(text.as_bytes(), MAX_JSON_DEPTH) {
        return Err(EnvelopeError::TooDeep(MAX_JSON_DEPTH));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
