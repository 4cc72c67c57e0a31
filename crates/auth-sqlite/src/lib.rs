//! An `auth-persistence` backend on SQLite: one file instead of
//! thousands.
//!
//! [`SqliteStore`] keeps the credentials and every Signal key in one
//! database (rusqlite, bundled SQLite): WAL journal, `synchronous=FULL`
//! by default ([`Synchronous`]), a schema version with forward migrations
//! ([`SCHEMA_VERSION`]), one transaction per key-store commit, listing
//! from the primary-key index, and a verified, all-or-nothing
//! [`SqliteStore::import`] from any other backend (a Baileys folder
//! through `auth-file`) plus [`SqliteStore::export`] back to one.
//!
//! What it deliberately does not do: cache (the key store in
//! `auth-persistence` does), interpret Signal records, or keep several
//! accounts in one file (use one file per account).

mod error;
mod schema;
mod store;

pub use error::SqliteError;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use store::{SqliteOptions, SqliteStore, Synchronous};

#[cfg(test)]
mod tests;
