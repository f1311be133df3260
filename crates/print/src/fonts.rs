//! The fonts compiled into the crate and the fallback chain that picks one for each character.
//!
//! All are Noto fonts under the SIL Open Font License (see `fonts/README.md`). Each is loaded twice
//! over the same static bytes: as a krilla font, which embeds a subset of what is drawn, and as a
//! rustybuzz face, which shapes and measures. Both read the same file, so what is measured is what
//! is drawn.

use std::sync::OnceLock;

use krilla::text::Font as PdfFont;

use crate::PrintError;

/// A typeface a layout asks for; the script of each character decides which file draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    Sans,
    SansBold,
    Serif,
}

impl Face {
    /// The fonts tried in order for each character. The Latin font leads (it also covers Greek,
    /// Cyrillic and Vietnamese); Arabic and Hebrew follow in the matching weight. Noto has no serif
    /// Arabic or Hebrew of its own in the files we ship, so serif text borrows the sans ones, which
    /// Noto designs to sit well beside Noto Serif.
    pub(crate) fn chain(self) -> &'static [FontId] {
        match self {
            Face::Sans => &[FontId::Sans, FontId::Arabic, FontId::Hebrew],
            Face::SansBold => &[FontId::SansBold, FontId::ArabicBold, FontId::HebrewBold],
            Face::Serif => &[FontId::Serif, FontId::Arabic, FontId::Hebrew],
        }
    }
}

/// One shipped font file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FontId {
    Sans,
    SansBold,
    Serif,
    Arabic,
    ArabicBold,
    Hebrew,
    HebrewBold,
}

const FILES: [(FontId, &str, &[u8]); 7] = [
    (
        FontId::Sans,
        "NotoSans-Regular",
        include_bytes!("../fonts/NotoSans-Regular.ttf"),
    ),
    (
        FontId::SansBold,
        "NotoSans-Bold",
        include_bytes!("../fonts/NotoSans-Bold.ttf"),
    ),
    (
        FontId::Serif,
        "NotoSerif-Regular",
        include_bytes!("../fonts/NotoSerif-Regular.ttf"),
    ),
    (
        FontId::Arabic,
        "NotoSansArabic-Regular",
        include_bytes!("../fonts/NotoSansArabic-Regular.ttf"),
    ),
    (
        FontId::ArabicBold,
        "NotoSansArabic-Bold",
        include_bytes!("../fonts/NotoSansArabic-Bold.ttf"),
    ),
    (
        FontId::Hebrew,
        "NotoSansHebrew-Regular",
        include_bytes!("../fonts/NotoSansHebrew-Regular.ttf"),
    ),
    (
        FontId::HebrewBold,
        "NotoSansHebrew-Bold",
        include_bytes!("../fonts/NotoSansHebrew-Bold.ttf"),
    ),
];

/// A font ready to shape with and to draw with.
pub(crate) struct Loaded {
    pub(crate) pdf: PdfFont,
    pub(crate) shaper: rustybuzz::Face<'static>,
    /// Font units per em, to scale shaped advances to 1 pt of font size.
    pub(crate) units_per_em: f32,
}

impl Loaded {
    pub(crate) fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some_and(|glyph| glyph.0 != 0)
    }
}

/// Every shipped font, indexed by [`FontId`].
pub(crate) struct Fonts {
    loaded: Vec<Loaded>,
}

impl Fonts {
    /// The fonts, parsed once per process: parsing and hashing a few megabytes for every document
    /// would be wasted work, and the bytes never change.
    pub(crate) fn get() -> Result<&'static Fonts, PrintError> {
        static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
        FONTS
            .get_or_init(Fonts::load)
            .as_ref()
            .map_err(|reason| PrintError::Pdf(reason.clone()))
    }

    fn load() -> Result<Fonts, String> {
        let mut loaded = Vec::with_capacity(FILES.len());
        for (index, (id, name, data)) in FILES.iter().enumerate() {
            // `FILES` is listed in `FontId` order so that an id indexes `loaded` directly.
            debug_assert_eq!(*id as usize, index);
            let unreadable = || format!("the built-in font {name} cannot be read");
            let pdf = PdfFont::new((*data).into(), 0).ok_or_else(unreadable)?;
            let shaper = rustybuzz::Face::from_slice(data, 0).ok_or_else(unreadable)?;
            let units_per_em = shaper.units_per_em() as f32;
            loaded.push(Loaded {
                pdf,
                shaper,
                units_per_em,
            });
        }
        Ok(Fonts { loaded })
    }

    pub(crate) fn font(&self, id: FontId) -> &Loaded {
        // Indexing cannot fail: `load` fills one entry per `FontId`, in order.
        &self.loaded[id as usize]
    }

    /// The font that draws `c` in `face`: the first in the chain with a glyph for it.
    pub(crate) fn first_covering(&self, face: Face, c: char) -> Option<FontId> {
        face.chain().iter().copied().find(|id| self.font(*id).covers(c))
    }
}
