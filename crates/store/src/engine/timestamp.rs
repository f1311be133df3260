//! One timestamp type for both engines.
//!
//! PostgreSQL stores `TIMESTAMPTZ` natively. SQLite has no time type, and sqlx's default text
//! form has a variable number of fractional digits, which makes `WHERE expires_at < $1`
//! compare wrongly as text. [`Timestamp`] therefore writes SQLite values as fixed-width UTC
//! text (`2026-11-24T09:30:00.123456Z`), which sorts and compares correctly, and keeps
//! microseconds on both engines so a value reads back exactly as written (the audit chain
//! depends on that).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Normalises to UTC and microseconds, the precision both engines keep.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(domain::platform::audit::truncate_to_micros(
            at.to_offset(UtcOffset::UTC),
        ))
    }

    pub fn now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        Self::new(at)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(at: Timestamp) -> Self {
        at.0
    }
}

const SQLITE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <OffsetDateTime as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        let text = self.0.to_offset(UtcOffset::UTC).format(SQLITE_FORMAT)?;
        <String as Encode<Sqlite>>::encode(text, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Self::new(OffsetDateTime::parse(text, &Rfc3339)?))
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::new(<OffsetDateTime as Decode<Postgres>>::decode(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts() {
        let a = Timestamp::new(datetime!(2026-11-24 09:00:00 UTC));
        let b = Timestamp::new(datetime!(2026-11-24 09:00:00.5 UTC));
        let fa = a.0.format(SQLITE_FORMAT).unwrap();
        let fb = b.0.format(SQLITE_FORMAT).unwrap();
        assert_eq!(fa, "2026-11-24T09:00:00.000000Z");
        assert!(fa < fb);
    }

    #[test]
    fn normalises_to_utc_micros() {
        let t = Timestamp::new(datetime!(2026-11-24 10:00:00.123456789 +01:00));
        assert_eq!(t.get(), datetime!(2026-11-24 09:00:00.123456 UTC));
    }
}
