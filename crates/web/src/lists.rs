//! Staff lists: the search, filters, sort and page a desk list is asked for (all in the query
//! string, so a view can be bookmarked and shared), the links that change one of them, and
//! the CSV export of what a view selects.

use serde::Deserialize;

/// Rows per page of a staff list.
pub const PER_PAGE: usize = 50;

/// What the query string asks of a list: `q` (search), `sort` (a column key), `dir`
/// (`asc`/`desc`), `page` (from 1). Each list adds its own filters beside these.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub sort: String,
    pub dir: String,
    pub page: String,
}

/// One list as shown: what was asked, the filters in force and how many rows there are.
#[derive(Debug, Clone)]
pub struct ListView {
    /// The list's path, e.g. `/admin/people`.
    pub path: &'static str,
    pub q: String,
    /// The column sorted by (one of `columns`).
    pub sort: &'static str,
    pub descending: bool,
    pub page: usize,
    pub total: usize,
    /// The list's own filters in force, as query-string pairs (empty values left out).
    pub filters: Vec<(&'static str, String)>,
}

impl ListView {
    /// Reads `query` for a list whose sortable columns are `columns` (the first is the
    /// default, sorted in `default_descending` order). Unknown columns and pages fall back
    /// to the defaults rather than failing: a stale bookmark still shows the list.
    pub fn new(
        path: &'static str,
        query: &ListQuery,
        columns: &[&'static str],
        default_descending: bool,
        filters: Vec<(&'static str, String)>,
    ) -> ListView {
        let sort = columns
            .iter()
            .copied()
            .find(|c| *c == query.sort)
            .or_else(|| columns.first().copied())
            .unwrap_or("");
        let descending = match query.dir.as_str() {
            "asc" => false,
            "desc" => true,
            _ => sort == columns.first().copied().unwrap_or("") && default_descending,
        };
        ListView {
            path,
            q: query.q.trim().chars().take(200).collect(),
            sort,
            descending,
            page: query.page.trim().parse::<usize>().unwrap_or(1).max(1),
            total: 0,
            filters: filters.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
        }
    }

    /// Sets the row count and keeps the page within the list.
    pub fn with_total(mut self, total: usize) -> ListView {
        self.total = total;
        self.page = self.page.min(self.pages());
        self
    }

    pub fn pages(&self) -> usize {
        self.total.div_ceil(PER_PAGE).max(1)
    }

    pub fn offset(&self) -> usize {
        (self.page - 1) * PER_PAGE
    }

    /// "51–100 of 326" (or "0 of 0").
    pub fn showing(&self) -> String {
        if self.total == 0 {
            return "None".to_owned();
        }
        let first = self.offset() + 1;
        let last = (self.offset() + PER_PAGE).min(self.total);
        format!("{first}\u{2013}{last} of {}", self.total)
    }

    /// The rows of `rows` (already sorted and filtered) on this page.
    pub fn page_of<T>(&self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter().skip(self.offset()).take(PER_PAGE).collect()
    }

    fn query_string(&self, sort: &str, descending: bool, page: Option<usize>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        for (name, value) in &self.filters {
            pairs.push((name, value.clone()));
        }
        pairs.push(("sort", sort.to_owned()));
        pairs.push(("dir", if descending { "desc" } else { "asc" }.to_owned()));
        if let Some(page) = page.filter(|p| *p > 1) {
            pairs.push(("page", page.to_string()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencoding(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The link to another page of the same view.
    pub fn page_href(&self, page: &usize) -> String {
        format!(
            "{}?{}",
            self.path,
            self.query_string(self.sort, self.descending, Some(*page))
        )
    }

    /// The link a column heading carries: sorts by it, or turns the order round when it is
    /// already the sort; back to the first page.
    pub fn sort_href(&self, column: &str) -> String {
        let descending = if column == self.sort { !self.descending } else { false };
        format!("{}?{}", self.path, self.query_string(column, descending, None))
    }

    /// The `aria-sort` value of a column heading.
    pub fn aria_sort(&self, column: &str) -> &'static str {
        match (column == self.sort, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The CSV export of this view (every row it selects, not just this page).
    pub fn csv_href(&self) -> String {
        format!(
            "{}.csv?{}",
            self.path,
            self.query_string(self.sort, self.descending, None)
        )
    }

    pub fn previous(&self) -> Option<usize> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<usize> {
        (self.page < self.pages()).then(|| self.page + 1)
    }
}

fn urlencoding(text: &str) -> String {
    crate::error::urlencode(text)
}

/// Whether `needle` (already lower case) occurs in any of `fields`, ignoring case.
pub fn matches(needle: &str, fields: &[&str]) -> bool {
    needle.is_empty() || fields.iter().any(|f| f.to_lowercase().contains(needle))
}

/// A CSV document (RFC 4180, CRLF line ends). A cell that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'`, so a name
/// someone typed never becomes a formula on a staff member's computer.
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = String>, out: &mut String| {
        let cells: Vec<String> = cells.map(|c| csv_cell(&c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut header.iter().map(|h| (*h).to_owned()), &mut out);
    for row in rows {
        line(&mut row.into_iter(), &mut out);
    }
    out
}

/// A CSV export as a download (private, like every staff page: no-store by default).
pub fn csv_download(file_name: &'static str, body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(q: &str, sort: &str, dir: &str, page: &str) -> ListView {
        let query = ListQuery {
            q: q.into(),
            sort: sort.into(),
            dir: dir.into(),
            page: page.into(),
        };
        ListView::new(
            "/admin/people",
            &query,
            &["joined", "name", "email"],
            true,
            vec![("role", "board_staff".into()), ("status", String::new())],
        )
    }

    #[test]
    fn a_view_keeps_its_search_filters_and_sort_in_every_link() {
        let v = view("ana lee", "name", "", "3").with_total(326);
        assert_eq!((v.sort, v.descending, v.page, v.pages()), ("name", false, 3, 7));
        assert_eq!(v.showing(), "101\u{2013}150 of 326");
        assert_eq!(
            v.page_href(&4),
            "/admin/people?q=ana+lee&role=board_staff&sort=name&dir=asc&page=4"
        );
        assert_eq!(
            v.sort_href("name"),
            "/admin/people?q=ana+lee&role=board_staff&sort=name&dir=desc"
        );
        assert_eq!(
            v.sort_href("email"),
            "/admin/people?q=ana+lee&role=board_staff&sort=email&dir=asc"
        );
        assert_eq!((v.aria_sort("name"), v.aria_sort("email")), ("ascending", "none"));
        assert_eq!(
            v.csv_href(),
            "/admin/people.csv?q=ana+lee&role=board_staff&sort=name&dir=asc"
        );
        assert_eq!((v.previous(), v.next()), (Some(2), Some(4)));
    }

    #[test]
    fn unknown_sorts_and_pages_fall_back_to_the_defaults() {
        let v = view("", "password_hash", "sideways", "99").with_total(20);
        assert_eq!((v.sort, v.descending, v.page), ("joined", true, 1));
        assert_eq!(view("", "", "", "0").page, 1);
        assert_eq!(view("", "", "", "").with_total(0).showing(), "None");
        assert_eq!(v.page_of((0..20).collect()).len(), 20);
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let text = csv(
            &["Name", "E-mail"],
            [
                vec!["Lee, Ana \"Annie\"".into(), "ana@example.org".into()],
                vec!["=HYPERLINK(\"x\")".into(), "-1".into()],
            ],
        );
        assert_eq!(
            text,
            "Name,E-mail\r\n\"Lee, Ana \"\"Annie\"\"\",ana@example.org\r\n\"'=HYPERLINK(\"\"x\"\")\",'-1\r\n"
        );
    }
}
