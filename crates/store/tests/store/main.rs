//! The store on both engines: what each area keeps (story) and concurrent writes with SQLite's group commit (writes).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod story;
mod writes;
