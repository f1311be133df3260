//! Text set in lines: bidirectional ordering, font fallback, shaping, measuring, fitting and
//! wrapping.
//!
//! A line is shaped once into [`Shaped`] and the same glyphs are both measured and drawn, so a
//! width used for centring or fitting is exactly the width that ends up on the page.

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};

use crate::fonts::{Face, FontId, Fonts};

/// A run of glyphs from one font in one direction, with the text it stands for.
pub(crate) struct Run {
    pub(crate) font: FontId,
    /// The characters of the run in logical (typed) order; glyph text ranges index into it, which
    /// is how the PDF maps glyphs back to text.
    pub(crate) text: String,
    /// Glyphs in visual order (left to right on the page), advances in ems.
    pub(crate) glyphs: Vec<KrillaGlyph>,
    /// The run's advance in ems.
    pub(crate) advance: f32,
}

/// One line of text shaped for drawing, its runs in visual order.
pub(crate) struct Shaped {
    pub(crate) runs: Vec<Run>,
    /// The line's width at a font size of 1 pt.
    pub(crate) advance: f32,
}

impl Shaped {
    pub(crate) fn width(&self, size: f32) -> f32 {
        self.advance * size
    }
}

/// Shapes `text` as a single line in `face`.
///
/// The line is ordered with the Unicode bidirectional algorithm on a left-to-right base (the
/// documents are English, so a right-to-left name is an embedded run), then each directional run
/// is split where the font changes and shaped with rustybuzz: Arabic letters join, marks attach,
/// and Hebrew and Arabic read right to left.
pub(crate) fn shape(fonts: &Fonts, face: Face, text: &str) -> Shaped {
    let text = printable(fonts, face, text);
    let mut runs = Vec::new();
    if !text.is_empty() {
        let bidi = BidiInfo::new(&text, Some(Level::ltr()));
        for paragraph in &bidi.paragraphs {
            let (levels, visual_runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
            for range in visual_runs {
                let rtl = levels.get(range.start).is_some_and(|level| level.is_rtl());
                let mut pieces = font_pieces(fonts, face, &text[range]);
                if rtl {
                    // Within a right-to-left run the logically first piece is drawn rightmost.
                    pieces.reverse();
                }
                for (font, piece) in pieces {
                    runs.push(shape_run(fonts, font, piece, rtl));
                }
            }
        }
    }
    let advance = runs.iter().map(|run| run.advance).sum();
    Shaped { runs, advance }
}

/// Width of `text` in points at `size`.
pub(crate) fn width(fonts: &Fonts, face: Face, size: f32, text: &str) -> f32 {
    shape(fonts, face, text).width(size)
}

/// The largest size, at most `preferred`, at which `shaped` fits in `max_width`.
///
/// Shrinking rather than cutting: a credential must show the whole name and number. Sizes are
/// rounded down to 1/100 pt so the result never overshoots by a rounding error.
pub(crate) fn fit_size(shaped: &Shaped, preferred: f32, max_width: f32) -> f32 {
    if shaped.width(preferred) <= max_width || shaped.advance <= 0.0 {
        return preferred;
    }
    let size = (max_width / shaped.advance * 100.0).floor() / 100.0;
    size.max(0.01)
}

/// The text with what cannot be printed replaced: line breaks and other controls become spaces
/// (every string shaped here is one line), and a character that no font in the chain covers
/// becomes U+FFFD, the replacement character (or `?` in a font without it), so the reader sees
/// something is missing instead of a blank, and PDF/A's ban on the `.notdef` glyph is kept.
fn printable(fonts: &Fonts, face: Face, text: &str) -> String {
    let missing = if fonts.first_covering(face, char::REPLACEMENT_CHARACTER).is_some() {
        char::REPLACEMENT_CHARACTER
    } else {
        '?'
    };
    text.chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else if is_invisible(c) || fonts.first_covering(face, c).is_some() {
                c
            } else {
                missing
            }
        })
        .collect()
}

/// Format characters that shaping consumes (joiners, bidi marks); no font needs a glyph for them.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Splits a single-direction run where the font changes, in logical order.
///
/// A character stays in the current font when that font has it and it carries no script of its
/// own (spaces, punctuation, digits, combining marks): an Arabic name keeps its spaces in the
/// Arabic font instead of breaking into pieces at every word. A letter goes to the first font in
/// the chain that covers it, so Latin inside Arabic text still uses the Latin font.
fn font_pieces<'t>(fonts: &Fonts, face: Face, text: &'t str) -> Vec<(FontId, &'t str)> {
    let chain = face.chain();
    let primary = chain.first().copied().unwrap_or(FontId::Sans);
    let mut pieces = Vec::new();
    let mut current: Option<(FontId, usize)> = None;
    for (index, c) in text.char_indices() {
        let keep = current.is_some_and(|(font, _)| {
            let covered = fonts.font(font).covers(c) || is_invisible(c);
            covered && (!c.is_alphabetic() || fonts.first_covering(face, c) == Some(font))
        });
        if keep {
            continue;
        }
        let font = fonts.first_covering(face, c).unwrap_or(primary);
        match current {
            Some((current_font, _)) if current_font == font => {}
            Some((current_font, start)) => {
                pieces.push((current_font, &text[start..index]));
                current = Some((font, index));
            }
            None => current = Some((font, index)),
        }
    }
    if let Some((font, start)) = current {
        pieces.push((font, &text[start..]));
    }
    pieces
}

fn shape_run(fonts: &Fonts, font: FontId, text: &str, rtl: bool) -> Run {
    let loaded = fonts.font(font);
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    let output = rustybuzz::shape(&loaded.shaper, &[], buffer);

    // A glyph stands for its cluster: from its cluster's start to the next cluster's start, which
    // in right-to-left output is the nearest start above it, not the next glyph's.
    let mut starts: Vec<usize> = output.glyph_infos().iter().map(|info| info.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let cluster_end = |start: usize| starts.iter().copied().find(|next| *next > start).unwrap_or(text.len());

    let scale = loaded.units_per_em;
    let mut advance = 0.0;
    let glyphs = output
        .glyph_infos()
        .iter()
        .zip(output.glyph_positions())
        .map(|(info, position)| {
            let start = info.cluster as usize;
            let x_advance = position.x_advance as f32 / scale;
            advance += x_advance;
            KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                x_advance,
                position.x_offset as f32 / scale,
                position.y_offset as f32 / scale,
                position.y_advance as f32 / scale,
                start..cluster_end(start),
                None,
            )
        })
        .collect();
    Run {
        font,
        text: text.to_owned(),
        glyphs,
        advance,
    }
}

/// Breaks `text` into lines no wider than `max_width` at `size`.
///
/// Words are separated by whitespace (runs collapse to one space); `\n` forces a break and an empty
/// line between two `\n` is kept. Candidate lines are shaped whole, so kerning and joining are
/// counted as drawn. A word wider than a whole line is split between characters (never before a
/// combining mark), so no line overflows unless one character is wider than `max_width`.
pub(crate) fn wrap(fonts: &Fonts, face: Face, size: f32, max_width: f32, text: &str) -> Vec<String> {
    let fits = |line: &str| width(fonts, face, size, line) <= max_width;
    let mut lines = Vec::new();
    for hard_line in text.split('\n') {
        let mut line = String::new();
        for word in hard_line.split_whitespace() {
            if !line.is_empty() {
                let candidate = format!("{line} {word}");
                if fits(&candidate) {
                    line = candidate;
                    continue;
                }
                lines.push(std::mem::take(&mut line));
            }
            if fits(word) {
                line.push_str(word);
                continue;
            }
            // Too long for any line: emit full chunks and keep the remainder open for the next word.
            for (index, c) in word.char_indices() {
                let rest_starts_cluster = !is_combining(c);
                if !line.is_empty() && rest_starts_cluster {
                    let candidate = format!("{line}{}", cluster_at(word, index));
                    if !fits(&candidate) {
                        lines.push(std::mem::take(&mut line));
                    }
                }
                line.push(c);
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

/// The character at `index` with the combining marks that follow it.
fn cluster_at(word: &str, index: usize) -> &str {
    let rest = &word[index..];
    let end = rest
        .char_indices()
        .skip(1)
        .find(|(_, c)| !is_combining(*c))
        .map_or(rest.len(), |(end, _)| end);
    &rest[..end]
}

/// Combining marks of the scripts we print, which must stay with the letter before them.
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{05BF}'
        | '\u{05C1}'..='\u{05C2}'
        | '\u{05C4}'..='\u{05C5}'
        | '\u{05C7}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fonts() -> &'static Fonts {
        Fonts::get().unwrap()
    }

    fn run_fonts(text: &str, face: Face) -> Vec<(FontId, String)> {
        shape(fonts(), face, text)
            .runs
            .into_iter()
            .map(|run| (run.font, run.text))
            .collect()
    }

    #[test]
    fn latin_greek_cyrillic_and_vietnamese_stay_in_one_font() {
        for text in [
            "Zoë Ågren-Müller",
            "Δημήτρης Παπαδόπουλος",
            "Ольга Иванова",
            "Nguyễn Thị Minh",
        ] {
            assert_eq!(run_fonts(text, Face::Sans), vec![(FontId::Sans, text.to_owned())]);
        }
    }

    #[test]
    fn arabic_and_hebrew_fall_back_and_keep_their_spaces() {
        assert_eq!(
            run_fonts("سارة المنصوري", Face::Serif),
            vec![(FontId::Arabic, "سارة المنصوري".to_owned())]
        );
        assert_eq!(
            run_fonts("שרה כהן", Face::SansBold),
            vec![(FontId::HebrewBold, "שרה כהן".to_owned())]
        );
    }

    #[test]
    fn mixed_directions_are_ordered_visually() {
        // The Latin prefix comes first on the page; the Hebrew run follows to its right.
        let runs = run_fonts("Dr. שרה כהן", Face::Sans);
        assert_eq!(runs.first().map(|r| r.0), Some(FontId::Sans));
        assert_eq!(runs.last(), Some(&(FontId::Hebrew, "שרה כהן".to_owned())));
    }

    #[test]
    fn arabic_letters_join() {
        // Joined forms differ from the isolated ones: shaping "سارة" must not give the glyphs of
        // its letters shaped one by one.
        let whole = shape(fonts(), Face::Sans, "سارة");
        let glyphs: Vec<u32> = whole.runs[0].glyphs.iter().map(|g| g.glyph_id.to_u32()).collect();
        let mut isolated: Vec<u32> = "سارة"
            .chars()
            .map(|c| {
                shape(fonts(), Face::Sans, &c.to_string()).runs[0].glyphs[0]
                    .glyph_id
                    .to_u32()
            })
            .collect();
        isolated.reverse();
        assert_ne!(glyphs, isolated);
    }

    #[test]
    fn uncovered_characters_become_replacement_characters() {
        let shaped = shape(fonts(), Face::Sans, "李 Li");
        let text: String = shaped.runs.iter().map(|run| run.text.as_str()).collect();
        assert_eq!(text, "\u{FFFD} Li");
        assert!(
            shaped
                .runs
                .iter()
                .all(|run| run.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0))
        );
    }

    #[test]
    fn format_characters_never_become_missing_glyphs() {
        // ZWNJ inside a Persian name, a ZWJ, and bidi marks around a Hebrew name: PDF/A forbids the
        // `.notdef` glyph, so each must shape to nothing visible rather than to glyph 0.
        for face in [Face::Sans, Face::SansBold, Face::Serif] {
            for text in [
                "مهر\u{200C}نوش",
                "a\u{200D}b",
                "\u{200F}שרה כהן\u{200E}",
                "\u{2067}سارة\u{2069} x",
            ] {
                let shaped = shape(fonts(), face, text);
                for run in &shaped.runs {
                    assert!(run.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0), "{face:?} {text:?}");
                }
            }
        }
    }

    #[test]
    fn wrap_keeps_words_and_hard_breaks() {
        let lines = wrap(fonts(), Face::Sans, 10.0, 1000.0, "one two three\n\nfour");
        assert_eq!(lines, vec!["one two three", "", "four"]);
        let narrow = wrap(fonts(), Face::Sans, 10.0, 45.0, "one two three");
        assert_eq!(narrow, vec!["one two", "three"]);
        assert!(wrap(fonts(), Face::Sans, 10.0, 40.0, "   ").is_empty());
    }

    #[test]
    fn wrapped_lines_never_exceed_the_width() {
        let text = "The board reviewed your supervised hours, your continuing education record and the two \
                    references you supplied. Everything was in order – “complete”, as the committee put it — \
                    and no further documents are needed. Nguyễn Thị Minh, Ольга Иванова, سارة المنصوري.";
        for max_width in [80.0, 150.0, 200.0, 468.0] {
            let lines = wrap(fonts(), Face::Sans, 11.0, max_width, text);
            for line in &lines {
                assert!(
                    width(fonts(), Face::Sans, 11.0, line) <= max_width,
                    "{max_width}: {line}"
                );
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            let rewrapped: Vec<&str> = lines.iter().flat_map(|l| l.split(' ')).collect();
            assert_eq!(rewrapped, words);
        }
    }

    #[test]
    fn a_very_long_word_is_broken_within_the_width() {
        let word: String = "Nguyễn".chars().cycle().take(300).collect();
        let lines = wrap(fonts(), Face::SansBold, 11.0, 468.0, &word);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(width(fonts(), Face::SansBold, 11.0, line) <= 468.0, "{line}");
        }
        assert_eq!(lines.concat(), word);
        let lines = wrap(fonts(), Face::Sans, 11.0, 468.0, &format!("{word} end"));
        assert!(lines.last().unwrap().ends_with(" end"));
    }

    #[test]
    fn fit_size_shrinks_only_when_needed() {
        let shaped = shape(fonts(), Face::Serif, "A fairly long line of text");
        assert!((fit_size(&shaped, 12.0, 1000.0) - 12.0).abs() < f32::EPSILON);
        let size = fit_size(&shaped, 12.0, 50.0);
        assert!(size < 12.0 && shaped.width(size) <= 50.0);
    }
}
