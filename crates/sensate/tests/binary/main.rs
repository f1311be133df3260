//! The `sensate` binary as an operator meets it (cli) and the crash soak (crash_soak): no acknowledged write lost when the server is killed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

mod cli;
mod crash_soak;
