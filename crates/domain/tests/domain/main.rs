//! The domain's public rules: the shipped program files (programs) and the rule engine's worked examples and properties (rules).
#![allow(clippy::unwrap_used)]

mod programs;
mod rules;
