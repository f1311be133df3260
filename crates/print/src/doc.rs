//! The PDF document (PDF/A-2u, metadata, determinism) and a small drawing surface over a krilla page.
//!
//! Coordinates are krilla's: points from the page's top-left corner, y growing downwards; a text
//! position is the left end of its baseline.

use krilla::Document;
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;

use crate::PrintError;
use crate::fonts::{Face, Fonts};
use crate::text::{Shaped, fit_size, shape};

/// An sRGB colour. Ours rather than krilla's so that the palette can be `const`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Color(pub(crate) u8, pub(crate) u8, pub(crate) u8);

impl Color {
    fn pdf(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }
}

/// Body text: near black, softer than pure black on a large page.
pub(crate) const INK: Color = Color(0x1C, 0x1F, 0x24);
/// Labels and secondary text: dark enough to photocopy, light enough to rank below values.
pub(crate) const SECONDARY: Color = Color(0x5A, 0x5F, 0x66);
/// The board's colour on certificates: a deep blue that prints well on colour and mono printers.
pub(crate) const ACCENT: Color = Color(0x1F, 0x3A, 0x5F);
/// Gold for the certificate's ornaments.
pub(crate) const GOLD: Color = Color(0xA5, 0x80, 0x2E);
pub(crate) const WHITE: Color = Color(0xFF, 0xFF, 0xFF);

/// How a piece of text is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) face: Face,
    pub(crate) size: f32,
    pub(crate) color: Color,
}

impl Style {
    pub(crate) const fn new(face: Face, size: f32) -> Self {
        Self { face, size, color: INK }
    }

    pub(crate) const fn color(self, color: Color) -> Self {
        Self { color, ..self }
    }

    pub(crate) const fn size(self, size: f32) -> Self {
        Self { size, ..self }
    }
}

/// What the document says about itself, in the info dictionary and the XMP metadata.
pub(crate) struct Meta {
    pub(crate) title: String,
    /// The board, as author.
    pub(crate) author: String,
    /// The document's own date (issue date, letter date): PDF/A requires one, and taking it from
    /// the input rather than the clock keeps the output reproducible.
    pub(crate) date: DateTime,
    /// Stable across re-renders of the same document, e.g. the credential number.
    pub(crate) id: Option<String>,
}

/// A new PDF/A-2u document.
///
/// PDF/A-2u: archival (fonts embedded, colours device-independent, XMP metadata) and every glyph
/// mapped to Unicode, so text can be searched and copied, which a certificate's name and number
/// must be. Untagged: the documents are short and read in drawing order.
pub(crate) fn document(meta: Meta) -> Result<Document, PrintError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|error| PrintError::Pdf(format!("{error:?}")))?;
    let settings = krilla::SerializeSettings {
        configuration,
        enable_tagging: false,
        ..krilla::SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut metadata = Metadata::new()
        .title(meta.title)
        .creator("Sensate".to_owned())
        .producer(concat!("Sensate print ", env!("CARGO_PKG_VERSION"), " (krilla)").to_owned())
        .language("en".to_owned())
        .authors(vec![meta.author])
        .creation_date(meta.date);
    if let Some(id) = meta.id {
        metadata = metadata.document_id(id);
    }
    document.set_metadata(metadata);
    Ok(document)
}

/// The finished PDF's bytes.
pub(crate) fn finish(document: Document) -> Result<Vec<u8>, PrintError> {
    document.finish().map_err(|error| PrintError::Pdf(format!("{error:?}")))
}

pub(crate) fn page_settings(width: f32, height: f32) -> Result<PageSettings, PrintError> {
    PageSettings::from_wh(width, height).ok_or_else(|| PrintError::Pdf(format!("bad page size {width} x {height}")))
}

/// Parses a PNG for drawing. Interpolation stays off: PDF/A forbids it.
pub(crate) fn png(bytes: &[u8]) -> Result<Image, PrintError> {
    Image::from_png(bytes.to_vec().into(), false).map_err(PrintError::Logo)
}

/// The size at which `image` fills as much of a `max_width` x `max_height` box as it can without
/// distorting.
pub(crate) fn fit_image(image: &Image, max_width: f32, max_height: f32) -> (f32, f32) {
    let (pixels_wide, pixels_high) = image.size();
    if pixels_wide == 0 || pixels_high == 0 {
        return (0.0, 0.0);
    }
    let scale = (max_width / pixels_wide as f32).min(max_height / pixels_high as f32);
    (pixels_wide as f32 * scale, pixels_high as f32 * scale)
}

/// Drawing on one page.
pub(crate) struct Painter<'s, 'p> {
    surface: &'s mut Surface<'p>,
    pub(crate) fonts: &'static Fonts,
}

impl<'s, 'p> Painter<'s, 'p> {
    pub(crate) fn new(surface: &'s mut Surface<'p>, fonts: &'static Fonts) -> Self {
        Self { surface, fonts }
    }

    pub(crate) fn shape(&self, face: Face, text: &str) -> Shaped {
        shape(self.fonts, face, text)
    }

    /// Width of `text` in `style`.
    pub(crate) fn width(&self, style: Style, text: &str) -> f32 {
        self.shape(style.face, text).width(style.size)
    }

    /// `style`, shrunk if needed so that `text` fits in `max_width`.
    pub(crate) fn fitted(&self, style: Style, text: &str, max_width: f32) -> Style {
        style.size(fit_size(&self.shape(style.face, text), style.size, max_width))
    }

    /// Draws a shaped line with its baseline starting at (`x`, `y`).
    pub(crate) fn shaped(&mut self, x: f32, y: f32, style: Style, shaped: &Shaped) {
        self.fill(style.color);
        let mut x = x;
        for run in &shaped.runs {
            let font = self.fonts.font(run.font).pdf.clone();
            self.surface
                .draw_glyphs(Point::from_xy(x, y), &run.glyphs, font, &run.text, style.size, false);
            x += run.advance * style.size;
        }
    }

    /// Draws `text` from (`x`, `y`); returns its width.
    pub(crate) fn text(&mut self, x: f32, y: f32, style: Style, text: &str) -> f32 {
        let shaped = self.shape(style.face, text);
        self.shaped(x, y, style, &shaped);
        shaped.width(style.size)
    }

    /// Draws `text` centred on `center_x`.
    pub(crate) fn text_centered(&mut self, center_x: f32, y: f32, style: Style, text: &str) {
        let shaped = self.shape(style.face, text);
        self.shaped(center_x - shaped.width(style.size) / 2.0, y, style, &shaped);
    }

    /// Draws `text` so that it ends at `right_x`.
    pub(crate) fn text_right(&mut self, right_x: f32, y: f32, style: Style, text: &str) {
        let shaped = self.shape(style.face, text);
        self.shaped(right_x - shaped.width(style.size), y, style, &shaped);
    }

    fn fill(&mut self, color: Color) {
        self.surface.set_fill(Some(Fill {
            paint: color.pdf().into(),
            opacity: NormalizedF32::ONE,
            rule: FillRule::NonZero,
        }));
        self.surface.set_stroke(None);
    }

    fn stroke(&mut self, color: Color, width: f32) {
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: color.pdf().into(),
            width,
            ..Stroke::default()
        }));
    }

    /// Strokes a straight line.
    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Color) {
        let mut path = PathBuilder::new();
        path.move_to(from.0, from.1);
        path.line_to(to.0, to.1);
        self.stroke(color, width);
        self.draw(path);
    }

    /// Strokes a rectangle's outline.
    pub(crate) fn frame(&mut self, x: f32, y: f32, width: f32, height: f32, line_width: f32, color: Color) {
        if let Some(rect) = Rect::from_xywh(x, y, width, height) {
            let mut path = PathBuilder::new();
            path.push_rect(rect);
            self.stroke(color, line_width);
            self.draw(path);
        }
    }

    /// Strokes a circle.
    pub(crate) fn circle(&mut self, center: (f32, f32), radius: f32, line_width: f32, color: Color) {
        self.stroke(color, line_width);
        self.draw(circle(center, radius));
    }

    /// Fills a circle.
    pub(crate) fn disc(&mut self, center: (f32, f32), radius: f32, color: Color) {
        self.fill(color);
        self.draw(circle(center, radius));
    }

    /// Fills a closed polygon.
    pub(crate) fn polygon(&mut self, points: &[(f32, f32)], color: Color) {
        let mut path = PathBuilder::new();
        let mut points = points.iter();
        if let Some((x, y)) = points.next() {
            path.move_to(*x, *y);
        }
        for (x, y) in points {
            path.line_to(*x, *y);
        }
        path.close();
        self.fill(color);
        self.draw(path);
    }

    /// Fills every rectangle `[x, y, width, height]` in one path, in a coordinate system scaled by
    /// `scale` with its origin at (`x`, `y`).
    ///
    /// A single path avoids the hairline seams some renderers show between separately filled
    /// neighbours; all rectangles wind the same way, so the non-zero rule fills their union.
    pub(crate) fn fill_rects(&mut self, x: f32, y: f32, scale: f32, rects: impl IntoIterator<Item = [f32; 4]>) {
        let mut path = PathBuilder::new();
        for [rx, ry, width, height] in rects {
            if let Some(rect) = Rect::from_xywh(rx, ry, width, height) {
                path.push_rect(rect);
            }
        }
        if let Some(path) = path.finish() {
            self.surface
                .push_transform(&Transform::from_row(scale, 0.0, 0.0, scale, x, y));
            self.fill(INK);
            self.surface.draw_path(&path);
            self.surface.pop();
        }
    }

    /// Draws `image` with its top-left corner at (`x`, `y`), `width` x `height` points.
    pub(crate) fn image(&mut self, image: Image, (x, y): (f32, f32), (width, height): (f32, f32)) {
        if let Some(size) = Size::from_wh(width, height) {
            self.surface.push_transform(&Transform::from_translate(x, y));
            self.surface.draw_image(image, size);
            self.surface.pop();
        }
    }

    fn draw(&mut self, path: PathBuilder) {
        if let Some(path) = path.finish() {
            self.surface.draw_path(&path);
        }
    }
}

/// Four cubic Béziers, the usual approximation of a circle (off by under 0.03 %).
fn circle((cx, cy): (f32, f32), r: f32) -> PathBuilder {
    const K: f32 = 0.552_284_8;
    let k = K * r;
    let mut path = PathBuilder::new();
    path.move_to(cx + r, cy);
    path.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    path.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    path.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    path.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    path.close();
    path
}
