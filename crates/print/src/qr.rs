//! QR codes drawn as vector rectangles, so they stay sharp at any print resolution.

use qrcode::{Color, EcLevel, QrCode};

use crate::PrintError;
use crate::doc::Canvas;

/// Light modules required around the symbol by ISO/IEC 18004.
pub(crate) const QUIET_ZONE: usize = 4;

/// Draws `data` as a QR code (EC level M) filling the square at (`x`, `y`) with side `size`,
/// quiet zone included. Each dark module is one rectangle. Returns the x of the symbol's right
/// edge (quiet zone excluded), for aligning captions with the visible code.
///
/// Level M survives the scuffs a wallet card picks up while keeping modules large enough to scan
/// on the card's small code.
pub(crate) fn draw(canvas: &mut Canvas, x: f32, y: f32, size: f32, data: &str) -> Result<f32, PrintError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|error| PrintError::QrCode(error.to_string()))?;
    let width = code.width();
    let modules = width + 2 * QUIET_ZONE;
    let module = size / modules as f32;
    let colors = code.to_colors();
    let rects = colors
        .iter()
        .enumerate()
        .filter(|(_, color)| **color == Color::Dark)
        .map(|(index, _)| {
            // The matrix is stored row by row from the top; PDF's y axis points up.
            let column = index % width + QUIET_ZONE;
            let row = modules - 1 - (index / width + QUIET_ZONE);
            [column as f32, row as f32, 1.0, 1.0]
        });
    // Drawing in module units keeps coordinates small integers: compact, and neighbouring modules
    // share exact edges.
    canvas.scaled(module, x, y, |canvas| canvas.fill_rects(rects));
    Ok(x + size - QUIET_ZONE as f32 * module)
}
