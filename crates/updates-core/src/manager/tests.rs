//! Manager tests under `tokio::time::pause`: lifecycle, persistence,
//! storage and handler failures, fatal errors, and research §7 #42–#54.

mod lifecycle;
mod script;
mod storage;
