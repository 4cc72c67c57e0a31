//! Baileys' file names: `<family>-<id>.json` with `/` → `__` and `:` → `-`
//! applied to the whole name, and the way back from a name to an id.
//!
//! The substitution is lossy, so ids are recovered per family, as Baileys
//! develop does: sender-key `--` → `::`, app-state-sync-key `__` → `/`,
//! every other family verbatim (which keeps tctoken's `__index` intact).
//! A name belongs to the *longest* family prefix it carries, so
//! `sender-key-memory-*` files are never listed as sender keys. Ids that
//! could name something outside the folder are rejected here, before any
//! path is built. This module does no I/O.

use auth_persistence::{Error, KeyFamily};

/// The credentials file.
pub const CREDS_FILE: &str = "creds.json";

/// The suffix of every committed value file.
pub(crate) const JSON: &str = ".json";

/// Longest name a Linux filesystem accepts for one path component.
const NAME_MAX: usize = 255;

/// The file name Baileys uses for `family`/`id`.
///
/// ```
/// use auth_file::file_name;
/// use auth_persistence::KeyFamily;
///
/// assert_eq!(file_name(&KeyFamily::SenderKey, "g@g.us::u::0")?, "sender-key-g@g.us--u--0.json");
/// assert_eq!(file_name(&KeyFamily::AppStateSyncKey, "////AAAB")?, "app-state-sync-key-________AAAB.json");
/// assert!(file_name(&KeyFamily::Session, "../../etc/passwd").is_err());
/// # Ok::<(), auth_persistence::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidKey`] for an empty id, an id or family containing `..`
/// or a NUL byte, a family containing `/`, or a name longer than 255 bytes.
pub fn file_name(family: &KeyFamily, id: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::InvalidKey {
        family: family.as_str().to_owned(),
        id: id.to_owned(),
        reason: reason.to_owned(),
    };
    let fam = family.as_str();
    if id.is_empty() {
        return Err(invalid("the id is empty"));
    }
    if fam.is_empty() || fam.contains('/') || fam.contains('\0') || fam.contains("..") {
        return Err(invalid("the family name cannot be part of a file name"));
    }
    if id.contains('\0') {
        return Err(invalid("the id contains a NUL byte"));
    }
    if id.contains("..") {
        return Err(invalid("the id contains `..`"));
    }
    let name = sanitise(&format!("{fam}-{id}{JSON}"));
    if name.contains('/') {
        return Err(invalid("the file name would contain a path separator"));
    }
    if name.len() > NAME_MAX {
        return Err(invalid("the file name would be longer than 255 bytes"));
    }
    Ok(name)
}

/// Baileys' whole-name substitution.
fn sanitise(name: &str) -> String {
    name.replace('/', "__").replace(':', "-")
}

/// Whether `name` is a committed value file (not creds, not a temp,
/// backup or lock file).
pub(crate) fn is_value_file(name: &str) -> bool {
    name.ends_with(JSON) && name != CREDS_FILE && !name.starts_with('.')
}

/// The longest family prefix `<family>-` that `name` carries among the
/// known families and `extra` (the family being listed), as a slice of
/// `name`.
fn longest_family<'n>(name: &'n str, extra: &str) -> Option<&'n str> {
    let known = KeyFamily::KNOWN;
    known
        .iter()
        .map(KeyFamily::as_str)
        .chain(std::iter::once(extra))
        .filter(|fam| {
            !fam.is_empty()
                && name.len() > fam.len() + 1
                && name.starts_with(fam)
                && name.as_bytes()[fam.len()] == b'-'
        })
        .map(str::len)
        .max()
        .map(|len| &name[..len])
}

/// The id stored in file `name` if it belongs to `family`, else `None`.
pub(crate) fn id_of(family: &KeyFamily, name: &str) -> Option<String> {
    if !is_value_file(name) || longest_family(name, family.as_str())? != family.as_str() {
        return None;
    }
    let raw = &name[family.as_str().len() + 1..name.len() - JSON.len()];
    if raw.is_empty() {
        return None;
    }
    Some(match family {
        KeyFamily::SenderKey => raw.replace("--", "::"),
        KeyFamily::AppStateSyncKey => raw.replace("__", "/"),
        _ => raw.to_owned(),
    })
}

/// The family of a value file: the longest known prefix, or for a name of
/// an unknown family the text before its first `-`. An unknown family is
/// ambiguous (`custom-type-id` could be family `custom` or `custom-type`),
/// but either reading maps back to the same file name, which is what
/// `clear` needs.
pub(crate) fn family_of(name: &str) -> Option<KeyFamily> {
    if !is_value_file(name) {
        return None;
    }
    if let Some(fam) = longest_family(name, "") {
        return Some(KeyFamily::from_wire(fam));
    }
    let (fam, rest) = name.split_once('-')?;
    (!fam.is_empty() && rest.len() > JSON.len()).then(|| KeyFamily::from_wire(fam))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_realistic_id() {
        for family in KeyFamily::KNOWN {
            for id in auth_persistence::conformance::realistic_ids(&family) {
                let name = file_name(&family, id).expect("valid");
                assert_eq!(id_of(&family, &name).as_deref(), Some(*id), "{name}");
                assert_eq!(family_of(&name), Some(family.clone()), "{name}");
            }
        }
    }

    #[test]
    fn longest_family_wins_and_artefacts_are_not_listed() {
        let memory = "sender-key-memory-120363@g.us.json";
        assert_eq!(id_of(&KeyFamily::SenderKey, memory), None);
        assert_eq!(id_of(&KeyFamily::SenderKeyMemory, memory).as_deref(), Some("120363@g.us"));
        assert_eq!(id_of(&KeyFamily::from("sender"), memory), None);
        for artefact in [
            "pre-key-1.json.tmp",
            "pre-key-1.json.bak",
            ".pre-key-1.json.tmp-12-3",
            "creds.json",
            "pre-key-.json",
            "pre-key.json",
        ] {
            assert_eq!(id_of(&KeyFamily::PreKey, artefact), None, "{artefact}");
        }
        assert_eq!(family_of("custom-type-id.json"), Some(KeyFamily::from("custom")));
        assert_eq!(family_of(".msgkit-owner.lock"), None);
    }

    #[test]
    fn ids_that_could_leave_the_folder_are_rejected() {
        for id in ["..", "../x", "a/../b", "x\0y", ""] {
            let err = file_name(&KeyFamily::Session, id).expect_err(id);
            assert!(err.is_invalid_key(), "{err}");
        }
        let long = "9".repeat(300);
        assert!(file_name(&KeyFamily::PreKey, &long).expect_err("long").is_invalid_key());
        assert!(file_name(&KeyFamily::from("../up"), "1").expect_err("family").is_invalid_key());
        // `/` is substituted, so this stays one component inside the folder
        assert_eq!(file_name(&KeyFamily::Session, "a/b").expect("ok"), "session-a__b.json");
    }
}
