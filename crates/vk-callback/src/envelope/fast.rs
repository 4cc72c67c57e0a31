//! The one-pass parser: reads the envelope and, when the `type` comes
//! before the `object` (as in every request VK sends) and the caller wants
//! that type typed, deserializes the object straight into its [`Event`]
//! without building an intermediate JSON tree.
//!
//! It accepts exactly what [`Envelope::parse`] accepts and must agree with
//! it. On any error it gives up and the caller re-parses with the slow path,
//! which classifies the error (envelope vs object) and keeps the secret
//! check first.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::Envelope;
use crate::events::{Event, EventType};

/// Parses `text`; `None` means "use the slow path". `want` says which
/// types to decode here.
pub(crate) fn parse(
    text: &str,
    want: &dyn Fn(EventType) -> bool,
) -> Option<(Envelope, Option<Box<Event>>)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (envelope, event) = Seed { want }.deserialize(&mut de).ok()?;
    // A later duplicate `type` would disagree with the decoded object.
    match &event {
        Some(e) if e.event_type().as_str() != envelope.event_type => None,
        _ => Some((envelope, event)),
    }
}

struct Seed<'a> {
    want: &'a dyn Fn(EventType) -> bool,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = (Envelope, Option<Box<Event>>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = (Envelope, Option<Box<Event>>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a callback envelope")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((Envelope::default(), None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope::default();
        let mut event = None;
        // Per field: whether a key matched it exactly (exact wins) or
        // loosely. Two loose matches are left to the slow path, whose
        // choice between them is the reference.
        let mut exact = [false; 6];
        let mut loose = [false; 6];
        while let Some(key) = map.next_key::<Key>()? {
            let (field, is_exact) = match key {
                Key::Field(field, is_exact) => (field, is_exact),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let slot = field as usize;
            if !is_exact && loose[slot] {
                return Err(de::Error::custom("ambiguous field names"));
            }
            if exact[slot] && !is_exact {
                loose[slot] = true;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            exact[slot] |= is_exact;
            loose[slot] |= !is_exact;
            match field {
                Field::Type => env.event_type = string(&mut map)?,
                Field::GroupId => env.group_id = map.next_value::<Option<i64>>()?.unwrap_or(0),
                Field::EventId => env.event_id = string(&mut map)?,
                Field::Version => env.api_version = string(&mut map)?,
                Field::Secret => env.secret = string(&mut map)?,
                Field::Object => {
                    match EventType::from_name(&env.event_type).filter(|k| (self.want)(*k)) {
                        Some(kind) => {
                            // Boxed at once: the event is large and moves on.
                            event = Some(Box::new(map.next_value_seed(ObjectSeed(kind))?));
                            env.object = None;
                        }
                        None => {
                            env.object = Some(map.next_value::<Value>()?);
                            event = None;
                        }
                    }
                }
            }
        }
        Ok((env, event))
    }
}

fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    Ok(map.next_value::<Option<String>>()?.unwrap_or_default())
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

enum Key {
    Field(Field, bool),
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                const FIELDS: [(&str, Field); 6] = [
                    ("type", Field::Type),
                    ("group_id", Field::GroupId),
                    ("event_id", Field::EventId),
                    ("v", Field::Version),
                    ("secret", Field::Secret),
                    ("object", Field::Object),
                ];
                // VK's exact names first, then the case-insensitive match.
                if let Some(&(_, field)) = FIELDS.iter().find(|(name, _)| *name == key) {
                    return Ok(Key::Field(field, true));
                }
                Ok(FIELDS
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(key))
                    .map_or(Key::Other, |&(_, field)| Key::Field(field, false)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}
