//! QR codes drawn as vector rectangles, so they stay sharp at any print resolution.

use qrcode::{Color, EcLevel, QrCode};

use crate::PrintError;
use crate::doc::Painter;

/// Light modules required around the symbol by ISO/IEC 18004.
pub(crate) const QUIET_ZONE: usize = 4;

/// A QR code (EC level M) of `data`, checked before any drawing so a URL too long to encode fails
/// early.
///
/// Level M survives the scuffs a wallet card picks up while keeping modules large enough to scan
/// on the card's small code.
pub(crate) fn encode(data: &str) -> Result<QrCode, PrintError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|error| PrintError::QrCode(error.to_string()))
}

/// Draws `code` filling the square with top-left corner (`x`, `y`) and side `size`, quiet zone
/// included. Each dark module is one rectangle. Returns the inset of the visible symbol from the
/// square's edges (the quiet zone's width), for aligning captions with the visible code.
pub(crate) fn draw(painter: &mut Painter<'_, '_>, code: &QrCode, x: f32, y: f32, size: f32) -> f32 {
    let width = code.width();
    let modules = width + 2 * QUIET_ZONE;
    let module = size / modules as f32;
    let colors = code.to_colors();
    let rects = colors
        .iter()
        .enumerate()
        .filter(|(_, color)| **color == Color::Dark)
        .map(|(index, _)| {
            // The matrix is stored row by row from the top, as the page's y axis runs.
            let column = index % width + QUIET_ZONE;
            let row = index / width + QUIET_ZONE;
            [column as f32, row as f32, 1.0, 1.0]
        });
    // Drawing in module units keeps coordinates small integers: compact, and neighbouring modules
    // share exact edges.
    painter.fill_rects(x, y, module, rects);
    QUIET_ZONE as f32 * module
}
