//! The durable auth section: the WhatsApp auth state kept in a Baileys
//! folder in the demo's data folder (`<workspace>/target/demo-data/auth`,
//! cleared at the start of each run so the figures repeat), reopened after a
//! simulated restart, then imported into SQLite and exported back.

use std::path::Path;

use integration_tests::{Table, auth_files};

use crate::{Checks, heading, yes};

pub(crate) async fn auth_files(checks: &mut Checks) -> Result<(), String> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/demo-data");
    let data = data.as_path();
    heading("auth on disk: Baileys folder (auth-file) + SQLite (auth-sqlite) in target/demo-data");
    if data.exists() {
        std::fs::remove_dir_all(data).map_err(|e| format!("clear {}: {e}", data.display()))?;
    }
    let r = auth_files::run_files(data, 11, 20).await?;
    let mut facts = Table::new("what happened", &["step", "result"]);
    let rows = [
        ("open the empty folder: fresh creds", yes(r.fresh).to_owned()),
        ("  files written before save_creds", r.files_before_save.to_string()),
        ("transaction: pre-keys + 1 session, then save_creds", format!("{} + 1", r.pre_keys)),
        ("  .json files in the folder (Baileys' layout)", r.files_after_commit.to_string()),
        ("restart: same creds loaded, not fresh", yes(r.reopened_same).to_owned()),
        ("  pre-keys read back equal", format!("{}/{}", r.pre_keys_read_back, r.pre_keys)),
        ("  session read back equal", yes(r.session_read_back).to_owned()),
        ("  a second owner of the folder gets Locked", yes(r.second_owner_locked).to_owned()),
        ("import the folder into SQLite: keys", r.imported_keys.to_string()),
        ("export SQLite to a new folder: keys", r.exported_keys.to_string()),
        (
            "  exported files byte-for-byte equal",
            format!("{}/{}", r.exported_files_equal, r.files_after_commit),
        ),
    ];
    for (step, result) in rows {
        facts.row([step.to_owned(), result]);
    }
    println!("{facts}");
    checks.all("auth on disk", r.problems());
    Ok(())
}
