//! `Hours`: an amount of time in hundredths of an hour.
//!
//! Requirements are stated in hours ("90 hours of core knowledge", "at most 6 hours in a
//! month") and candidates log quarter and half hours. Keeping hundredths as an integer makes
//! every sum exact: 0.1 + 0.2 is 0.3 here, and a total can never miss a minimum by a rounding
//! error.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// Non-negative hours with two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hours(u32);

/// Why a text is not an amount of hours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("enter a number of hours, such as 1.5")]
    NotANumber,
    #[error("hours can have at most two decimal places")]
    TooPrecise,
    #[error("hours cannot be negative")]
    Negative,
    #[error("that is more hours than this field accepts")]
    TooLarge,
}

impl Hours {
    pub const ZERO: Hours = Hours(0);
    /// The largest amount any single value may hold (a million hours): far above any rule,
    /// low enough that sums of thousands of entries cannot overflow.
    const MAX_CENTI: u32 = 100_000_000;

    pub const fn from_centi(centi: u32) -> Hours {
        Hours(centi)
    }

    pub const fn whole(hours: u32) -> Hours {
        Hours(hours.saturating_mul(100))
    }

    pub const fn centi(self) -> u32 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses "12", "12.5", "0.25" (a decimal point, at most two decimals).
    pub fn parse(text: &str) -> Result<Hours, HoursError> {
        let text = text.trim();
        if text.starts_with('-') {
            return Err(HoursError::Negative);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return Err(HoursError::NotANumber);
        }
        if fraction.len() > 2 {
            return Err(HoursError::TooPrecise);
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| HoursError::TooLarge)?
        };
        let mut centi_part: u64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| HoursError::NotANumber)?
        };
        if fraction.len() == 1 {
            centi_part *= 10;
        }
        let centi = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(centi_part))
            .ok_or(HoursError::TooLarge)?;
        if centi > u64::from(Self::MAX_CENTI) {
            return Err(HoursError::TooLarge);
        }
        Ok(Hours(centi as u32))
    }

    /// Hours from a TOML or JSON number (definition files), refusing fractions finer than 0.01.
    pub fn from_f64(value: f64) -> Result<Hours, HoursError> {
        if !value.is_finite() {
            return Err(HoursError::NotANumber);
        }
        if value < 0.0 {
            return Err(HoursError::Negative);
        }
        let centi = value * 100.0;
        if (centi - centi.round()).abs() > 1e-6 {
            return Err(HoursError::TooPrecise);
        }
        if centi.round() > f64::from(Self::MAX_CENTI) {
            return Err(HoursError::TooLarge);
        }
        Ok(Hours(centi.round() as u32))
    }

    pub fn saturating_sub(self, other: Hours) -> Hours {
        Hours(self.0.saturating_sub(other.0))
    }

    /// `share_percent` per cent of these hours, rounded down to the hundredth.
    pub fn percent(self, share_percent: u32) -> Hours {
        Hours(((u64::from(self.0) * u64::from(share_percent)) / 100) as u32)
    }

    /// The amount with its unit, as a sentence needs it: "1 hour", "0.5 hours", "12 hours".
    pub fn phrase(self) -> String {
        if self == Hours::whole(1) {
            "1 hour".to_owned()
        } else {
            format!("{self} hours")
        }
    }

    /// This amount as a fraction of `of` (for progress bars), between 0 and 1.
    pub fn fraction_of(self, of: Hours) -> f64 {
        if of.0 == 0 {
            return 1.0;
        }
        (f64::from(self.0) / f64::from(of.0)).min(1.0)
    }
}

impl Add for Hours {
    type Output = Hours;
    fn add(self, other: Hours) -> Hours {
        Hours(self.0.saturating_add(other.0))
    }
}

impl AddAssign for Hours {
    fn add_assign(&mut self, other: Hours) {
        *self = *self + other;
    }
}

/// Subtraction stops at zero: "hours short" is never negative.
impl Sub for Hours {
    type Output = Hours;
    fn sub(self, other: Hours) -> Hours {
        self.saturating_sub(other)
    }
}

impl Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, Add::add)
    }
}

/// "12", "12.5", "0.25": no trailing zeros, as people write hours.
impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        let centi = self.0 % 100;
        if centi == 0 {
            write!(f, "{whole}")
        } else if centi.is_multiple_of(10) {
            write!(f, "{whole}.{}", centi / 10)
        } else {
            write!(f, "{whole}.{centi:02}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Hours::parse("12"), Ok(Hours::from_centi(1200)));
        assert_eq!(Hours::parse(" 12.5 "), Ok(Hours::from_centi(1250)));
        assert_eq!(Hours::parse("0.25"), Ok(Hours::from_centi(25)));
        assert_eq!(Hours::parse(".5"), Ok(Hours::from_centi(50)));
        assert_eq!(Hours::parse("3."), Ok(Hours::from_centi(300)));
        assert_eq!(Hours::parse("-1"), Err(HoursError::Negative));
        assert_eq!(Hours::parse("1.333"), Err(HoursError::TooPrecise));
        assert_eq!(Hours::parse("one"), Err(HoursError::NotANumber));
        assert_eq!(Hours::parse(""), Err(HoursError::NotANumber));
        assert_eq!(Hours::parse("."), Err(HoursError::NotANumber));
        assert_eq!(Hours::parse("1e3"), Err(HoursError::NotANumber));
        assert_eq!(Hours::parse("99999999999"), Err(HoursError::TooLarge));
    }

    #[test]
    fn displays_without_trailing_zeros() {
        assert_eq!(Hours::from_centi(1200).to_string(), "12");
        assert_eq!(Hours::from_centi(1250).to_string(), "12.5");
        assert_eq!(Hours::from_centi(25).to_string(), "0.25");
        assert_eq!(Hours::from_centi(5).to_string(), "0.05");
        assert_eq!(Hours::whole(1).phrase(), "1 hour");
        assert_eq!(Hours::from_centi(50).phrase(), "0.5 hours");
        assert_eq!(Hours::whole(12).phrase(), "12 hours");
    }

    #[test]
    fn sums_are_exact_and_never_negative() {
        let tenth = Hours::parse("0.1").unwrap();
        assert_eq!(tenth + Hours::parse("0.2").unwrap(), Hours::parse("0.3").unwrap());
        assert_eq!(Hours::whole(2) - Hours::whole(5), Hours::ZERO);
        assert_eq!(Hours::whole(50).percent(50), Hours::whole(25));
    }

    #[test]
    fn definition_numbers() {
        assert_eq!(Hours::from_f64(7.5), Ok(Hours::from_centi(750)));
        assert_eq!(Hours::from_f64(-1.0), Err(HoursError::Negative));
        assert_eq!(Hours::from_f64(0.001), Err(HoursError::TooPrecise));
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back(centi in 0u32..10_000_000) {
            let hours = Hours::from_centi(centi);
            proptest::prop_assert_eq!(Hours::parse(&hours.to_string()), Ok(hours));
        }
    }
}
