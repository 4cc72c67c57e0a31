//! The auth state on durable backends: a Baileys folder (auth-file) across
//! a simulated restart, then into SQLite (auth-sqlite) and back to a folder
//! with the very same files.

use integration_tests::auth_files::run_files;

#[tokio::test]
async fn the_auth_state_survives_a_restart_in_a_baileys_folder_and_a_round_trip_through_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run_files(dir.path(), 11, 25).await.expect("the scenario runs");
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    assert!(r.fresh && r.reopened_same && r.session_read_back && r.second_owner_locked);
    assert_eq!(r.files_before_save, 0, "nothing written before save_creds");
    assert_eq!(r.files_after_commit, 27, "creds + 25 pre-keys + 1 session");
    assert_eq!((r.imported_keys, r.exported_keys), (26, 26));
    assert_eq!(r.exported_files_equal, 27, "every exported file byte for byte");
}
