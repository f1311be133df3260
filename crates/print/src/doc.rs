//! A small drawing surface over a PDF content stream and the assembly of pages into a document.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::text::{Font, encode_win_ansi, fit_size, text_width};

/// Gray used for labels and secondary text: dark enough to photocopy, light enough to rank below values.
pub(crate) const SECONDARY: f32 = 0.35;

/// How a piece of text is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) font: Font,
    pub(crate) size: f32,
    /// Fill gray, 0 = black.
    pub(crate) gray: f32,
}

impl Style {
    pub(crate) const fn new(font: Font, size: f32) -> Self {
        Self { font, size, gray: 0.0 }
    }

    pub(crate) const fn secondary(self) -> Self {
        Self {
            gray: SECONDARY,
            ..self
        }
    }

    /// The same style, shrunk if needed so that `text` fits in `max_width`.
    pub(crate) fn fitted(self, text: &str, max_width: f32) -> Self {
        Self {
            size: fit_size(text, self.font, self.size, max_width),
            ..self
        }
    }

    pub(crate) fn width(self, text: &str) -> f32 {
        text_width(text, self.font, self.size)
    }
}

/// One page's drawing operations. Text is always WinAnsi-encoded so it matches the font resources.
pub(crate) struct Canvas {
    content: Content,
}

impl Canvas {
    pub(crate) fn new() -> Self {
        Self {
            content: Content::new(),
        }
    }

    /// Draws `text` with its baseline starting at (`x`, `y`).
    pub(crate) fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        if text.is_empty() {
            return;
        }
        let bytes = encode_win_ansi(text);
        self.content.set_fill_gray(style.gray);
        self.content
            .begin_text()
            .set_font(Name(style.font.resource_name()), style.size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// Draws `text` centred on `center_x`.
    pub(crate) fn text_centered(&mut self, center_x: f32, y: f32, style: Style, text: &str) {
        self.text(center_x - style.width(text) / 2.0, y, style, text);
    }

    /// Draws `text` so that it ends at `right_x`.
    pub(crate) fn text_right(&mut self, right_x: f32, y: f32, style: Style, text: &str) {
        self.text(right_x - style.width(text), y, style, text);
    }

    /// Strokes a horizontal line.
    pub(crate) fn rule(&mut self, x1: f32, x2: f32, y: f32, line_width: f32, gray: f32) {
        self.content
            .set_stroke_gray(gray)
            .set_line_width(line_width)
            .move_to(x1, y)
            .line_to(x2, y)
            .stroke();
    }

    /// Strokes a rectangle outline (never filled, so fills stay reserved for the QR code).
    pub(crate) fn frame(&mut self, x: f32, y: f32, width: f32, height: f32, line_width: f32) {
        self.content
            .set_stroke_gray(0.0)
            .set_line_width(line_width)
            .rect(x, y, width, height)
            .stroke();
    }

    /// Fills every rectangle in one path with black.
    ///
    /// A single path avoids the hairline seams some renderers show between separately filled
    /// neighbours; all rectangles wind the same way, so the non-zero rule fills their union.
    pub(crate) fn fill_rects(&mut self, rects: impl IntoIterator<Item = [f32; 4]>) {
        self.content.set_fill_gray(0.0);
        let mut any = false;
        for [x, y, w, h] in rects {
            self.content.rect(x, y, w, h);
            any = true;
        }
        if any {
            self.content.fill_nonzero();
        }
    }

    /// Runs `draw` in a coordinate system scaled by `scale` with its origin at (`x`, `y`).
    pub(crate) fn scaled(&mut self, scale: f32, x: f32, y: f32, draw: impl FnOnce(&mut Self)) {
        self.content.save_state().transform([scale, 0.0, 0.0, scale, x, y]);
        draw(self);
        self.content.restore_state();
    }

    fn finish(self) -> Vec<u8> {
        self.content.finish().into_vec()
    }
}

/// Hands out consecutive object ids.
struct Ids(i32);

impl Ids {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// Writes a complete PDF: all pages share one size and the three base-14 font resources.
///
/// Content streams stay uncompressed: they are small, and plain text keeps the output inspectable.
/// No dates or random file ids are written, so the same input always yields the same bytes.
pub(crate) fn assemble(title: &str, width: f32, height: f32, pages: Vec<Canvas>) -> Vec<u8> {
    let mut ids = Ids(0);
    let catalog_id = ids.next();
    let tree_id = ids.next();
    let info_id = ids.next();
    let font_ids: Vec<(Font, Ref)> = Font::ALL.iter().map(|font| (*font, ids.next())).collect();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (ids.next(), ids.next())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));

    for (font, id) in &font_ids {
        pdf.type1_font(*id)
            .base_font(Name(font.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let media_box = Rect::new(0.0, 0.0, width, height);
    for ((page_id, content_id), canvas) in page_ids.iter().zip(pages) {
        let mut page = pdf.page(*page_id);
        page.parent(tree_id).media_box(media_box).contents(*content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        for (font, id) in &font_ids {
            fonts.pair(Name(font.resource_name()), *id);
        }
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &canvas.finish());
    }

    pdf.document_info(info_id)
        .title(TextStr(title))
        .creator(TextStr("Sensate"))
        .producer(TextStr(concat!(
            "Sensate print ",
            env!("CARGO_PKG_VERSION"),
            " (pdf-writer)"
        )));

    pdf.finish()
}
