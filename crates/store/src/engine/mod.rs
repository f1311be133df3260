//! The storage engine underneath every area: the SQLite group-commit writer, migrations,
//! timestamps, errors, backup helpers and the test databases of both engines.

pub mod backup;
pub mod error;
pub mod migrate;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod timestamp;
pub mod writer;
