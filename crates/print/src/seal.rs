//! The board's mark: its logo when it has one, otherwise a seal drawn here.
//!
//! The seal is our own drawing in the manner of an embossed foil seal: a serrated gold edge, two
//! rings in the board's colour and its short name in the middle between two small stars.

use krilla::image::Image;

use crate::doc::{ACCENT, GOLD, Painter, Style, WHITE, fit_image};
use crate::fonts::Face;

/// Where the board's mark goes: a box whose left edge, or centre, is fixed.
#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    /// Centred horizontally on this x.
    Center(f32),
    /// Starting at this x.
    Left(f32),
}

/// Draws the board's mark, vertically centred on `middle_y` and at most `height` tall: the seal is
/// a circle of that diameter; a logo keeps its proportions and may be up to `max_width` wide, so a
/// wide wordmark is not shrunk to a square. Returns the width drawn.
pub(crate) fn draw(
    painter: &mut Painter<'_, '_>,
    logo: Option<Image>,
    short_name: &str,
    anchor: Anchor,
    middle_y: f32,
    (max_width, height): (f32, f32),
) -> f32 {
    let (width, drawn_height) = match &logo {
        Some(image) => fit_image(image, max_width, height),
        None => (height, height),
    };
    let left = match anchor {
        Anchor::Center(x) => x - width / 2.0,
        Anchor::Left(x) => x,
    };
    match logo {
        Some(image) => painter.image(image, (left, middle_y - drawn_height / 2.0), (width, drawn_height)),
        None => seal(painter, short_name, (left + width / 2.0, middle_y), height / 2.0),
    }
    width
}

fn seal(painter: &mut Painter<'_, '_>, short_name: &str, (cx, cy): (f32, f32), radius: f32) {
    // The serrated edge: a star polygon with many shallow points.
    const POINTS: usize = 40;
    let edge: Vec<(f32, f32)> = (0..2 * POINTS)
        .map(|i| {
            let angle = std::f32::consts::PI * i as f32 / POINTS as f32;
            let r = if i % 2 == 0 { radius } else { radius * 0.92 };
            (cx + r * angle.sin(), cy - r * angle.cos())
        })
        .collect();
    painter.polygon(&edge, GOLD);
    painter.disc((cx, cy), radius * 0.86, WHITE);
    painter.circle((cx, cy), radius * 0.79, radius * 0.045, ACCENT);
    painter.circle((cx, cy), radius * 0.71, radius * 0.015, ACCENT);

    let short_name = short_name.trim();
    if !short_name.is_empty() {
        let inner = radius * 0.71;
        let style = painter.fitted(
            Style::new(Face::SansBold, radius * 0.36).color(ACCENT),
            short_name,
            inner * 1.6,
        );
        // Noto's capitals are 0.714 em tall: shift the baseline down by half of that to centre them.
        painter.text_centered(cx, cy + style.size * 0.357, style, short_name);
    }
    for direction in [-1.0, 1.0] {
        star(painter, (cx, cy + direction * radius * 0.47), radius * 0.09);
    }
}

/// A small five-pointed star.
fn star(painter: &mut Painter<'_, '_>, (cx, cy): (f32, f32), radius: f32) {
    let points: Vec<(f32, f32)> = (0..10)
        .map(|i| {
            let angle = std::f32::consts::PI * i as f32 / 5.0;
            let r = if i % 2 == 0 { radius } else { radius * 0.4 };
            (cx + r * angle.sin(), cy - r * angle.cos())
        })
        .collect();
    painter.polygon(&points, GOLD);
}
