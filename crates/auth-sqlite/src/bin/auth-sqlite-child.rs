//! The child process of the crate's crash tests (feature `testkit`): runs
//! `auth_persistence::conformance::crash::child_workload` on a database
//! until killed.
//!
//! Usage: `auth-sqlite-child <db> <seed> <start>`.

#![allow(clippy::print_stdout, reason = "reporting on stdout is the child's job")]

use std::process::ExitCode;
use std::sync::Arc;

use auth_persistence::AuthCreds;
use auth_persistence::conformance::crash::child_workload;
use auth_sqlite::SqliteStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, seed, start] = args.as_slice() else {
        println!("usage: auth-sqlite-child <db> <seed> <start>");
        return ExitCode::FAILURE;
    };
    let (Ok(seed), Ok(start)) = (seed.parse(), start.parse()) else {
        println!("seed and start must be numbers");
        return ExitCode::FAILURE;
    };
    let result = async {
        let store = Arc::new(SqliteStore::open(db).map_err(|e| e.to_string())?);
        let creds = AuthCreds::fresh().map_err(|e| e.to_string())?;
        child_workload(store, creds, seed, start).await.map_err(|e| format!("{e:?}"))
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            println!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
