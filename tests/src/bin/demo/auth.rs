//! The auth section: fresh credentials and a key-store transaction on the
//! in-memory backend, with the cache counters.

use integration_tests::{Table, auth};

use crate::{Checks, heading, yes};

pub(crate) async fn auth(checks: &mut Checks) -> Result<(), String> {
    heading("auth: WhatsApp-Web creds + Signal keys (auth-persistence, in memory)");
    let r = auth::run_auth(11, 20).await?;
    let mut facts = Table::new("what happened", &["step", "result"]);
    facts
        .row(["AuthState::open on an empty backend: fresh creds", yes(r.fresh)])
        .row(["  creds stored before save_creds", if r.stored_before_save { "YES" } else { "no" }])
        .row(["  signed pre-key XEdDSA signature verifies", yes(r.signature_valid)])
        .row(["  registration id in 1..=16380", yes(r.registration_id_in_range)])
        .row(["save_creds, reopen: same creds, not fresh", yes(r.reopened_same)]);
    let counts = [
        ("transaction: pre-keys + 1 session written", format!("{} + 1", r.pre_keys)),
        ("  backend keys while the transaction is open", r.backend_keys_during_tx.to_string()),
        ("  transaction reads its own session write", yes(r.read_own_write).to_owned()),
        ("  backend keys after commit", r.backend_keys_after_commit.to_string()),
        ("aborted transaction: backend keys after", r.backend_keys_after_abort.to_string()),
        (
            "read back: pre-keys equal to those written",
            format!("{}/{}", r.pre_keys_read_back, r.pre_keys),
        ),
        ("  never-written id absent", yes(r.missing_absent).to_owned()),
        (
            "  session equal / aborted session absent",
            format!("{} / {}", yes(r.session_read_back), yes(r.aborted_absent)),
        ),
    ];
    for (step, result) in counts {
        facts.row([step.to_owned(), result]);
    }
    println!("{facts}");
    let mut stats = Table::new(
        "key-store stats",
        &["after", "cache hits", "cache misses", "commits", "rolled back"],
    );
    for (when, s) in [("first read-back", r.stats_cold), ("second read-back", r.stats_warm)] {
        stats.row([
            when.to_owned(),
            s.cache_hits.to_string(),
            s.cache_misses.to_string(),
            s.commits.to_string(),
            s.rolled_back.to_string(),
        ]);
    }
    println!("{stats}");
    println!(
        "(the commit wrote through the cache, so even the first read-back hits it; its misses are the \
         never-written id and the aborted session, remembered as absent for the second)"
    );
    checks.all("auth", r.problems());
    Ok(())
}
