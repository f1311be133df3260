//! Letters on US Letter portrait, laid out top to bottom and paginated as they fill.
//!
//! Layout happens before drawing because the footer's "Page N of M" needs the final page count.

use crate::Letter;
use crate::doc::{Canvas, Style, assemble};
use crate::text::{Font, wrap};

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 72.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TEXT_WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const BOTTOM: f32 = MARGIN;
/// Footer baseline, inside the bottom margin so it never competes with the body for space.
const FOOTER_Y: f32 = 40.0;

const BODY: Style = Style::new(Font::Helvetica, 11.0);
const BODY_LEADING: f32 = 15.0;
const PARAGRAPH_GAP: f32 = 8.0;
const BLOCK_GAP: f32 = 15.0;

/// A line of text placed on a page.
struct Line {
    y: f32,
    style: Style,
    text: String,
}

#[derive(Default)]
struct Page {
    lines: Vec<Line>,
    /// Horizontal rules, as baselines.
    rules: Vec<f32>,
}

/// A cursor moving down the pages; `y` is the baseline of the last line placed.
struct Flow {
    pages: Vec<Page>,
    y: f32,
}

impl Flow {
    fn new() -> Self {
        Self {
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
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    fn line(&mut self, style: Style, leading: f32, text: String) {
        self.ensure(leading);
        self.y -= leading;
        let y = self.y;
        self.page().lines.push(Line { y, style, text });
    }

    /// Wraps `text` to the text width and places each line.
    fn wrapped(&mut self, style: Style, leading: f32, text: &str) {
        for line in wrap(text, style.font, style.size, TEXT_WIDTH) {
            self.line(style, leading, line);
        }
    }

    /// Vertical space; dropped at the top of a page, where it would only push text down.
    fn gap(&mut self, height: f32) {
        if self.y < TOP {
            self.y -= height;
        }
    }

    fn rule(&mut self) {
        let y = self.y;
        self.page().rules.push(y);
    }
}

pub(crate) fn render(letter: &Letter) -> Vec<u8> {
    let mut flow = Flow::new();

    // Letterhead.
    flow.wrapped(Style::new(Font::HelveticaBold, 15.0), 18.0, &letter.board_name);
    let address = Style::new(Font::Helvetica, 9.0).secondary();
    for line in &letter.board_address {
        flow.wrapped(address, 11.5, line);
    }
    flow.gap(8.0);
    flow.rule();
    flow.gap(2.0 * BLOCK_GAP);

    flow.wrapped(BODY, BODY_LEADING, &letter.date);
    flow.gap(BLOCK_GAP);
    flow.wrapped(BODY, BODY_LEADING, &letter.recipient_name);
    for line in &letter.recipient_lines {
        flow.wrapped(BODY, BODY_LEADING, line);
    }
    flow.gap(BLOCK_GAP);
    flow.wrapped(Style::new(Font::HelveticaBold, 11.0), BODY_LEADING, &letter.subject);
    flow.gap(PARAGRAPH_GAP);

    for paragraph in &letter.paragraphs {
        flow.gap(PARAGRAPH_GAP);
        flow.wrapped(BODY, BODY_LEADING, paragraph);
    }

    // Keep the signature block on one page so it is never separated into a lone name.
    let signature: Vec<String> = letter
        .signature
        .iter()
        .flat_map(|line| wrap(line, BODY.font, BODY.size, TEXT_WIDTH))
        .collect();
    if !signature.is_empty() {
        flow.gap(BLOCK_GAP);
        flow.ensure(BODY_LEADING * signature.len() as f32);
        for line in signature {
            flow.line(BODY, BODY_LEADING, line);
        }
    }

    let count = flow.pages.len();
    let canvases = flow
        .pages
        .into_iter()
        .enumerate()
        .map(|(index, page)| draw_page(page, &letter.reference, index + 1, count))
        .collect();
    assemble(&letter.subject, PAGE_WIDTH, PAGE_HEIGHT, canvases)
}

fn draw_page(page: Page, reference: &str, number: usize, count: usize) -> Canvas {
    let mut canvas = Canvas::new();
    for line in page.lines {
        canvas.text(LEFT, line.y, line.style, &line.text);
    }
    for y in page.rules {
        canvas.rule(LEFT, RIGHT, y, 0.5, 0.0);
    }

    let footer = Style::new(Font::Helvetica, 8.0).secondary();
    let page_label = format!("Page {number} of {count}");
    let page_label_width = footer.width(&page_label);
    canvas.text_right(RIGHT, FOOTER_Y, footer, &page_label);
    let reference_width = TEXT_WIDTH - page_label_width - 24.0;
    canvas.text(LEFT, FOOTER_Y, footer.fitted(reference, reference_width), reference);
    canvas
}
