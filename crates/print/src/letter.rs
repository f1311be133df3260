//! Letters on US Letter portrait, laid out top to bottom and paginated as they fill.
//!
//! Layout happens before drawing because the footer's "Page N of M" needs the final page count.

use crate::Letter;
use crate::PrintError;
use crate::date::document_date;
use crate::doc::{Meta, Painter, SECONDARY, Style, document, finish, fit_image, page_settings, png};
use crate::fonts::{Face, Fonts};
use crate::text::wrap;

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 72.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TEXT_WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = MARGIN;
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
/// Footer baseline, inside the bottom margin so it never competes with the body for space.
const FOOTER_Y: f32 = PAGE_HEIGHT - 40.0;

const BODY: Style = Style::new(Face::Sans, 10.5);
const BODY_LEADING: f32 = 15.0;
const PARAGRAPH_GAP: f32 = 8.0;
const BLOCK_GAP: f32 = 15.0;

/// The letterhead logo's largest size, top right; the letterhead text beside it wraps short of it.
const LOGO_MAX_WIDTH: f32 = 180.0;
const LOGO_MAX_HEIGHT: f32 = 54.0;
const LOGO_GAP: f32 = 16.0;

/// A line of text placed on a page.
struct Line {
    /// Baseline, from the top of the page.
    y: f32,
    style: Style,
    text: String,
}

#[derive(Default)]
struct Page {
    lines: Vec<Line>,
    /// Horizontal rules across the text width, by their y.
    rules: Vec<f32>,
}

/// A cursor moving down the pages; `y` is the baseline of the last line placed.
struct Flow {
    fonts: &'static Fonts,
    pages: Vec<Page>,
    y: f32,
}

impl Flow {
    fn new(fonts: &'static Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Page::default()],
            y: TOP,
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    /// Starts a new page unless `height` more points fit above the bottom margin.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn line(&mut self, style: Style, leading: f32, text: String) {
        self.ensure(leading);
        self.y += leading;
        let y = self.y;
        self.page().lines.push(Line { y, style, text });
    }

    /// Wraps `text` to `width` and places each line.
    fn wrapped(&mut self, style: Style, leading: f32, width: f32, text: &str) {
        for line in wrap(self.fonts, style.face, style.size, width, text) {
            self.line(style, leading, line);
        }
    }

    /// Vertical space; dropped at the top of a page, where it would only push text down.
    fn gap(&mut self, height: f32) {
        if self.y > TOP {
            self.y += height;
        }
    }

    fn rule(&mut self) {
        let y = self.y;
        self.page().rules.push(y);
    }
}

pub(crate) fn render(letter: &Letter) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::get()?;
    let logo = letter.logo_png.as_deref().map(png).transpose()?;
    let logo_size = logo
        .as_ref()
        .map(|image| fit_image(image, LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT));
    let mut flow = Flow::new(fonts);

    // Letterhead, kept clear of the logo and ruled off below both. The logo's top sits level with
    // the top of the board name's capitals.
    let logo_top = TOP + 5.0;
    let head_width = match logo_size {
        Some((width, _)) => TEXT_WIDTH - width - LOGO_GAP,
        None => TEXT_WIDTH,
    };
    flow.wrapped(Style::new(Face::SansBold, 15.0), 18.0, head_width, &letter.board_name);
    let address = Style::new(Face::Sans, 9.0).color(SECONDARY);
    for line in &letter.board_address {
        flow.wrapped(address, 11.5, head_width, line);
    }
    if let Some((_, height)) = logo_size {
        // The rule goes under whichever is lower, the text or the logo.
        flow.y = flow.y.max(logo_top + height - 2.0);
    }
    flow.gap(8.0);
    flow.rule();
    flow.gap(2.0 * BLOCK_GAP);

    flow.wrapped(BODY, BODY_LEADING, TEXT_WIDTH, &letter.date);
    flow.gap(BLOCK_GAP);
    flow.wrapped(BODY, BODY_LEADING, TEXT_WIDTH, &letter.recipient_name);
    for line in &letter.recipient_lines {
        flow.wrapped(BODY, BODY_LEADING, TEXT_WIDTH, line);
    }
    flow.gap(BLOCK_GAP);
    flow.wrapped(
        Style::new(Face::SansBold, BODY.size),
        BODY_LEADING,
        TEXT_WIDTH,
        &letter.subject,
    );
    flow.gap(PARAGRAPH_GAP);

    for paragraph in &letter.paragraphs {
        flow.gap(PARAGRAPH_GAP);
        flow.wrapped(BODY, BODY_LEADING, TEXT_WIDTH, paragraph);
    }

    // Keep the signature block on one page so it is never separated into a lone name.
    let signature: Vec<String> = letter
        .signature
        .iter()
        .flat_map(|line| wrap(fonts, BODY.face, BODY.size, TEXT_WIDTH, line))
        .collect();
    if !signature.is_empty() {
        flow.gap(BLOCK_GAP);
        flow.ensure(BODY_LEADING * signature.len() as f32);
        for line in signature {
            flow.line(BODY, BODY_LEADING, line);
        }
    }

    let mut document = document(Meta {
        title: letter.subject.clone(),
        author: letter.board_name.clone(),
        date: document_date(&letter.date),
        id: None,
    })?;
    let count = flow.pages.len();
    for (index, page) in flow.pages.into_iter().enumerate() {
        let mut pdf_page = document.start_page_with(page_settings(PAGE_WIDTH, PAGE_HEIGHT)?);
        let mut surface = pdf_page.surface();
        let mut painter = Painter::new(&mut surface, fonts);
        if index == 0
            && let (Some(image), Some((width, height))) = (logo.clone(), logo_size)
        {
            painter.image(image, (RIGHT - width, logo_top), (width, height));
        }
        draw_page(&mut painter, page, &letter.reference, index + 1, count);
    }
    finish(document)
}

fn draw_page(painter: &mut Painter<'_, '_>, page: Page, reference: &str, number: usize, count: usize) {
    for line in page.lines {
        painter.text(LEFT, line.y, line.style, &line.text);
    }
    for y in page.rules {
        painter.line((LEFT, y), (RIGHT, y), 0.5, SECONDARY);
    }

    let footer = Style::new(Face::Sans, 8.0).color(SECONDARY);
    let page_label = format!("Page {number} of {count}");
    let page_label_width = painter.width(footer, &page_label);
    painter.text_right(RIGHT, FOOTER_Y, footer, &page_label);
    let reference_width = TEXT_WIDTH - page_label_width - 24.0;
    let reference_style = painter.fitted(footer, reference, reference_width);
    painter.text(LEFT, FOOTER_Y, reference_style, reference);
}
