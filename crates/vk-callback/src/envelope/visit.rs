//! The envelope's one parser: reads the fields in document order, and, when
//! the caller wants the `type` seen so far typed, deserializes the `object`
//! straight into its [`Event`] without building a JSON tree.
//!
//! One rule for the envelope's keys (`type`, `group_id`, `event_id`, `v`,
//! `secret`, `object`), Go's `encoding/json` rule, which vksdk answers by:
//! a key names a field when it equals the field's name under Unicode simple
//! case folding (`SECRET`, `Secret` and `ſecret` all name `secret`), and
//! when several keys name one field the last one wins. A `null` leaves the
//! field as it was (empty when nothing came before), as in Go; the
//! `object`'s `null` is kept as a value. A field of the wrong JSON type is
//! an error, wherever it occurs.
//!
//! The typed decode is an optimisation, not a second parser: without it the
//! same visitor keeps the `object` as JSON. When the typed decode fails (or a
//! later `type` disagrees with it) the caller parses again without it, which
//! classifies the error (envelope vs object) and keeps the secret check
//! first.

use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::Envelope;
use crate::error::EnvelopeError;
use crate::events::{Event, EventType};

/// Which types to decode into events while parsing.
pub(super) type Want<'a> = Option<&'a dyn Fn(EventType) -> bool>;

/// Parses the first JSON value of `text` as an envelope (depth already
/// checked by the caller).
pub(super) fn parse(text: &str, want: Want<'_>) -> Result<Parsed, EnvelopeError> {
    let start = text.trim_start_matches([' ', '\t', '\n', '\r']);
    let mut de = serde_json::Deserializer::from_str(start);
    // The caller's depth check is the only limit (see `depth`).
    de.disable_recursion_limit();
    match start.as_bytes().first() {
        None => return Err(EnvelopeError::Empty),
        Some(b'{' | b'n') => {}
        Some(_) => {
            return match IgnoredAny::deserialize(&mut de) {
                Ok(_) => Err(EnvelopeError::NotAnObject),
                Err(e) => Err(EnvelopeError::Json(e)),
            };
        }
    }
    let wrong = Cell::new(None);
    let (envelope, event) =
        Seed { want, wrong: &wrong }.deserialize(&mut de).map_err(|e| match wrong.get() {
            Some(field) => EnvelopeError::Field(field),
            None => EnvelopeError::Json(e),
        })?;
    // A later `type` than the one the object was decoded as.
    if event.as_ref().is_some_and(|e| e.event_type().as_str() != envelope.event_type) {
        return Err(EnvelopeError::Field("type"));
    }
    Ok((envelope, event))
}

/// An envelope and, if decoded in the same pass, its event.
pub(super) type Parsed = (Envelope, Option<Box<Event>>);

struct Seed<'a> {
    want: Want<'a>,
    /// The envelope field that had the wrong JSON type, if that is why the
    /// parse failed.
    wrong: &'a Cell<Option<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Parsed;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a callback envelope")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Parsed, E> {
        Ok((Envelope::default(), None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut env = Envelope::default();
        let mut event = None;
        while let Some(key) = map.next_key::<Key>()? {
            let Key(Some(field)) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = |map: &mut A| -> Result<Option<Value>, A::Error> {
                match map.next_value::<Value>()? {
                    Value::Null => Ok(None),
                    value => Ok(Some(value)),
                }
            };
            let wrong = |name: &'static str| {
                self.wrong.set(Some(name));
                de::Error::custom(format_args!("envelope field `{name}` has the wrong json type"))
            };
            match field {
                Field::Object => {
                    let kind = EventType::from_name(&env.event_type)
                        .filter(|k| self.want.is_some_and(|want| want(*k)));
                    if let Some(kind) = kind {
                        // Boxed at once: the event is large and moves on.
                        event = Some(Box::new(map.next_value_seed(ObjectSeed(kind))?));
                        env.object = None;
                    } else {
                        env.object = Some(map.next_value::<Value>()?);
                        event = None;
                    }
                }
                Field::GroupId => match value(&mut map)? {
                    None => {}
                    Some(Value::Number(n)) => {
                        env.group_id = n.as_i64().ok_or_else(|| wrong("group_id"))?;
                    }
                    Some(_) => return Err(wrong("group_id")),
                },
                Field::Type | Field::EventId | Field::Version | Field::Secret => {
                    let (name, slot) = match field {
                        Field::Type => ("type", &mut env.event_type),
                        Field::EventId => ("event_id", &mut env.event_id),
                        Field::Version => ("v", &mut env.api_version),
                        _ => ("secret", &mut env.secret),
                    };
                    match value(&mut map)? {
                        None => {}
                        Some(Value::String(s)) => *slot = s,
                        Some(_) => return Err(wrong(name)),
                    }
                }
            }
        }
        Ok((env, event))
    }
}

struct ObjectSeed(EventType);

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Event;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        Event::deserialize_as(self.0, d)
    }
}

#[derive(Clone, Copy)]
enum Field {
    Type,
    GroupId,
    EventId,
    Version,
    Secret,
    Object,
}

const FIELDS: [(&str, Field); 6] = [
    ("type", Field::Type),
    ("group_id", Field::GroupId),
    ("event_id", Field::EventId),
    ("v", Field::Version),
    ("secret", Field::Secret),
    ("object", Field::Object),
];

/// An envelope field, or `None` for any other key.
struct Key(Option<Field>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                // VK's exact names first: the usual case, and the same answer.
                let field = FIELDS.iter().find(|(name, _)| *name == key);
                let field = field.or_else(|| FIELDS.iter().find(|(name, _)| folds_to(key, name)));
                Ok(Key(field.map(|&(_, f)| f)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Whether `key` equals the lower-case ASCII `name` under Unicode simple
/// case folding, as Go's `bytes.EqualFold` decides: ASCII letters in either
/// case, plus the two non-ASCII letters that fold to ASCII ones (U+017F
/// `ſ` to `s`, U+212A Kelvin sign to `k`).
fn folds_to(key: &str, name: &str) -> bool {
    let mut chars = key.chars();
    let same = name.bytes().all(|want| match chars.next() {
        Some(c) if c.is_ascii() => c.to_ascii_lowercase() == char::from(want),
        Some('\u{17f}') => want == b's',
        Some('\u{212a}') => want == b'k',
        _ => false,
    });
    same && chars.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::folds_to;

    #[test]
    fn keys_fold_as_in_go() {
        assert!(folds_to("secret", "secret"));
        assert!(folds_to("SeCrEt", "secret"));
        assert!(folds_to("\u{17f}ecret", "secret"), "long s folds to s");
        assert!(folds_to("\u{212a}ey", "key"), "Kelvin sign folds to k");
        assert!(!folds_to("secre", "secret"));
        assert!(!folds_to("secrets", "secret"));
        assert!(!folds_to("s\u{e9}cret", "secret"));
        assert!(!folds_to("group-id", "group_id"));
    }
}
