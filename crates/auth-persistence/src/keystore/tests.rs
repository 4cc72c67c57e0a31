//! KeyStore unit tests.
