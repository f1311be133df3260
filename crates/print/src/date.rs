//! The document date for the PDF metadata, read from the date the caller printed on the document.
//!
//! PDF/A requires a date, and taking it from the input instead of the clock keeps output
//! reproducible. Callers pass display strings, so this reads the common ones: "24 November 2026",
//! "November 24, 2026", "24 Nov 2026" and "2026-11-24".

use krilla::metadata::DateTime;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The date in `text`, as precise as it says. A text without a recognisable year gives
/// 1970-01-01, the conventional "no date", rather than an invented one.
pub(crate) fn document_date(text: &str) -> DateTime {
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .collect();
    let number = |token: &str| token.parse::<u16>().ok();
    let Some(year_index) = tokens
        .iter()
        .position(|token| token.len() == 4 && number(token).is_some_and(|year| year >= 1900))
    else {
        return DateTime::new(1970).month(1).day(1);
    };
    let year = tokens.get(year_index).and_then(|token| number(token)).unwrap_or(1970);

    let named_month = tokens.iter().find_map(|token| {
        let token = token.to_lowercase();
        (token.len() >= 3)
            .then(|| MONTHS.iter().position(|month| month.starts_with(&token)))
            .flatten()
    });
    let small: Vec<u16> = tokens
        .iter()
        .enumerate()
        .filter(|(index, token)| *index != year_index && token.len() <= 2)
        .filter_map(|(_, token)| number(token))
        .collect();
    let (month, day) = match named_month {
        Some(month) => (Some(month + 1), small.first().copied()),
        // Numeric dates are read year first (ISO 8601); day-first or month-first numeric forms are
        // ambiguous and left at the year.
        None if year_index == 0 => (small.first().map(|m| usize::from(*m)), small.get(1).copied()),
        None => (None, None),
    };

    let mut date = DateTime::new(year);
    if let Some(month) = month
        .and_then(|m| u8::try_from(m).ok())
        .filter(|m| (1..=12).contains(m))
    {
        date = date.month(month);
        if let Some(day) = day.and_then(|d| u8::try_from(d).ok()).filter(|d| (1..=31).contains(d)) {
            date = date.day(day);
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        let expected = DateTime::new(2026).month(11).day(24);
        for text in ["24 November 2026", "November 24, 2026", "24 Nov 2026", "2026-11-24"] {
            assert_eq!(document_date(text), expected, "{text}");
        }
        assert_eq!(document_date("November 2026"), DateTime::new(2026).month(11));
        assert_eq!(document_date("11/24/2026"), DateTime::new(2026));
        assert_eq!(document_date("soon"), DateTime::new(1970).month(1).day(1));
    }
}
