//! The vault's public API: signatures (signing), the streaming file format (stream), keys, key files and the sealed format (vault).
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod signing;
mod stream;
mod vault;
