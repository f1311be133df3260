//! Text handling for the base-14 fonts: WinAnsi encoding, measuring, fitting and word wrapping.
//!
//! Everything is measured through [`encode_char`], so a character that prints as `?` is also
//! measured as `?`: what is laid out is exactly what is drawn.

use crate::metrics;

/// A base-14 font, always used with WinAnsiEncoding and never embedded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Font {
    Helvetica,
    HelveticaBold,
    TimesRoman,
}

impl Font {
    /// Every font, in the order their resource names are numbered.
    pub(crate) const ALL: [Font; 3] = [Font::Helvetica, Font::HelveticaBold, Font::TimesRoman];

    /// The PostScript name a viewer resolves to its built-in font.
    pub(crate) fn base_font(self) -> &'static [u8] {
        match self {
            Font::Helvetica => b"Helvetica",
            Font::HelveticaBold => b"Helvetica-Bold",
            Font::TimesRoman => b"Times-Roman",
        }
    }

    /// The name under which the font is listed in every page's resources.
    pub(crate) fn resource_name(self) -> &'static [u8] {
        match self {
            Font::Helvetica => b"F1",
            Font::HelveticaBold => b"F2",
            Font::TimesRoman => b"F3",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Helvetica => &metrics::HELVETICA,
            Font::HelveticaBold => &metrics::HELVETICA_BOLD,
            Font::TimesRoman => &metrics::TIMES_ROMAN,
        }
    }

    /// Advance width of one WinAnsi code in 1/1000 em.
    fn advance(self, code: u8) -> u64 {
        let index = usize::from(code.saturating_sub(metrics::FIRST));
        self.widths().get(index).map_or(0, |w| u64::from(*w))
    }
}

/// Maps one character to its WinAnsiEncoding byte; anything the encoding cannot show becomes `?`.
///
/// Tabs and line breaks become spaces because every string drawn here is a single line.
pub fn encode_char(c: char) -> u8 {
    match c {
        '\t' | '\n' | '\r' => b' ',
        ' '..='~' | '\u{A0}'..='\u{FF}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        // WinAnsi puts typographic characters into 0x80..=0x9F where Latin-1 has C1 controls.
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// Encodes a string to the bytes a WinAnsi-encoded font shows, one byte per character.
pub fn encode_win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

/// Width of `text` in 1/1000 em. Integer sums keep wrapping exact: a line's width is the same
/// number however its parts were added up.
fn units(text: &str, font: Font) -> u64 {
    text.chars().map(|c| font.advance(encode_char(c))).sum()
}

fn points(units: u64, size: f32) -> f32 {
    units as f32 * size / 1000.0
}

/// Width of `text` in points when drawn in `font` at `size` points.
///
/// No kerning is applied, matching how a plain `Tj` is rendered.
pub fn text_width(text: &str, font: Font, size: f32) -> f32 {
    points(units(text, font), size)
}

/// The largest size, at most `preferred`, at which `text` fits in `max_width`.
///
/// Shrinking rather than truncating: a credential must show the full name and number.
pub fn fit_size(text: &str, font: Font, preferred: f32, max_width: f32) -> f32 {
    if text_width(text, font, preferred) <= max_width {
        return preferred;
    }
    let unit = text_width(text, font, 1.0);
    // Round down to 1/100 pt, then step down in case float rounding left it a hair too large.
    let mut size = (max_width / unit * 100.0).floor() / 100.0;
    while size > 0.01 && text_width(text, font, size) > max_width {
        size -= 0.01;
    }
    size.max(0.01)
}

/// Breaks `text` into lines no wider than `max_width` at `size` points in `font`.
///
/// Words are separated by whitespace (runs collapse to one space); `\n` forces a break and an empty
/// line between two `\n` is kept. A word wider than a whole line is split between characters, so
/// no line overflows unless a single character is wider than `max_width`.
pub fn wrap(text: &str, font: Font, size: f32, max_width: f32) -> Vec<String> {
    let fits = |units: u64| points(units, size) <= max_width;
    let space = font.advance(b' ');
    let mut lines = Vec::new();
    for hard_line in text.split('\n') {
        let mut line = String::new();
        let mut line_units = 0_u64;
        for word in hard_line.split_whitespace() {
            let word_units = units(word, font);
            if !line.is_empty() && fits(line_units + space + word_units) {
                line.push(' ');
                line.push_str(word);
                line_units += space + word_units;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_units = 0;
            }
            if fits(word_units) {
                line.push_str(word);
                line_units = word_units;
                continue;
            }
            // Too long for any line: emit full chunks and keep the remainder open for the next word.
            for c in word.chars() {
                let c_units = font.advance(encode_char(c));
                if !line.is_empty() && !fits(line_units + c_units) {
                    lines.push(std::mem::take(&mut line));
                    line_units = 0;
                }
                line.push(c);
                line_units += c_units;
            }
        }
        lines.push(line);
    }
    // A trailing newline should not add a blank line at the end.
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_characters_use_win_ansi_codes() {
        assert_eq!(
            encode_win_ansi("‘’“”–—•…€"),
            vec![0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x95, 0x85, 0x80]
        );
        assert_eq!(encode_win_ansi("é\u{A0}ÿ"), vec![0xE9, 0xA0, 0xFF]);
        assert_eq!(encode_win_ansi("\u{80}\u{7F}\u{1}Ω😀"), b"?????".to_vec());
    }

    #[test]
    fn widths_match_known_metrics() {
        // "Hello" in Helvetica: H 722 + e 556 + l 222 + l 222 + o 556 = 2278 units.
        assert!((text_width("Hello", Font::Helvetica, 10.0) - 22.78).abs() < 1e-4);
        assert!((text_width("€", Font::HelveticaBold, 1000.0) - 556.0).abs() < 1e-3);
        assert!((text_width("ë", Font::TimesRoman, 1000.0) - 444.0).abs() < 1e-3);
    }

    #[test]
    fn wrap_keeps_words_and_hard_breaks() {
        let lines = wrap("one two three\n\nfour", Font::Helvetica, 10.0, 1000.0);
        assert_eq!(lines, vec!["one two three", "", "four"]);
        let narrow = wrap("one two three", Font::Helvetica, 10.0, 40.0);
        assert_eq!(narrow, vec!["one two", "three"]);
        assert!(wrap("   ", Font::Helvetica, 10.0, 40.0).is_empty());
    }

    #[test]
    fn fit_size_keeps_preferred_when_it_fits() {
        assert!((fit_size("Ab", Font::Helvetica, 12.0, 100.0) - 12.0).abs() < f32::EPSILON);
        let size = fit_size("A very long line of text", Font::Helvetica, 12.0, 50.0);
        assert!(size < 12.0 && text_width("A very long line of text", Font::Helvetica, size) <= 50.0);
    }
}
