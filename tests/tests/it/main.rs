//! End-to-end tests of the composed msgkit crates.
