//! The request envelope `{type, group_id, event_id, v, secret, object}` and
//! its lenient, vksdk-compatible parsing.
//!
//! Parity with vksdk's streaming Go decoder: invalid UTF-8 is replaced by
//! U+FFFD, only the first JSON value is read (trailing bytes are ignored), a
//! top-level `null` is an all-empty envelope, field names match
//! case-insensitively (an exact match wins), and every field is optional.
//! Wrong JSON types for the envelope's own fields are errors (400). The
//! `object` is kept as JSON; decoding it into a typed event is
//! [`crate::events::Event::decode`]'s job, not this module's.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::EnvelopeError;
use crate::events::{Event, EventType};

mod fast;

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
        Self::parse_text(&lossy(body))
    }

    /// Parses a body, decoding the object of the types `want` selects in the
    /// same pass when it can (see [`fast`]).
    pub(crate) fn parse_typed(
        body: &[u8],
        want: &dyn Fn(EventType) -> bool,
    ) -> Result<(Self, Option<Box<Event>>), EnvelopeError> {
        let text = lossy(body);
        match fast::parse(&text, want) {
            Some(parsed) => Ok(parsed),
            None => Ok((Self::parse_text(&text)?, None)),
        }
    }

    fn parse_text(text: &str) -> Result<Self, EnvelopeError> {
        let value = serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .next()
            .ok_or(EnvelopeError::Empty)?
            .map_err(EnvelopeError::Json)?;
        match value {
            Value::Null => Ok(Self::default()),
            Value::Object(map) => Self::from_map(map),
            _ => Err(EnvelopeError::NotAnObject),
        }
    }

    fn from_map(mut map: Map<String, Value>) -> Result<Self, EnvelopeError> {
        let group_id = match take(&mut map, "group_id") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n.as_i64().ok_or(EnvelopeError::Field("group_id"))?,
            Some(_) => return Err(EnvelopeError::Field("group_id")),
        };
        Ok(Self {
            event_type: string(&mut map, "type")?,
            group_id,
            event_id: string(&mut map, "event_id")?,
            api_version: string(&mut map, "v")?,
            secret: string(&mut map, "secret")?,
            object: take(&mut map, "object"),
        })
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

/// Removes `name`, matching exactly first, then ignoring ASCII case.
fn take(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    if let Some(value) = map.remove(name) {
        return Some(value);
    }
    let key = map.keys().find(|k| k.eq_ignore_ascii_case(name))?.clone();
    map.remove(&key)
}

fn string(map: &mut Map<String, Value>, name: &'static str) -> Result<String, EnvelopeError> {
    match take(map, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(EnvelopeError::Field(name)),
    }
}

#[cfg(test)]
mod tests;
