//! Importing past course records from a CSV file: preview, then commit.
//!
//! The file (documented on the import page and in `programs/examples/past-courses.csv`):
//! - UTF-8 text, with or without a byte-order mark, with LF or CRLF line ends; fields may be
//!   quoted with `"` (needed for a comma inside a title). Lines starting with `#` above the
//!   header are notes.
//! - The first other line names the columns, in any order: `log`, `date`, `hours`, `mode`,
//!   `provider`, `title` (all required) and `split` (needed for core knowledge and training).
//!   A column Sensate does not know refuses the whole file, naming the column.
//! - `log` is `core_knowledge`, `training` or `sar` (course logs; clinical, counseling and
//!   teaching hours are logged a day at a time). `split` holds `key=hours` pairs separated by
//!   `;`, such as `ethics=2; development=4.5`, with keys from the board's lists.
//! - Row numbers are line numbers, so the header is row 1 when it is the first line.
//!
//! Every row is checked with the same rules as the hour-log form ([`check_hours`]), and rows are
//! compared with each other and with what is on file, so a course is never counted twice.
//!
//! The server keeps nothing between preview and commit (several nodes may serve): the preview
//! returns the file's normalised text and its SHA-256, the commit form sends both back, and the
//! commit checks everything again and stores all rows in one transaction, or none.

use std::collections::HashMap;

use domain::FieldErrors;
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{BoardLists, LogKind};
use sha2::{Digest, Sha256};
use time::Date;

use crate::authz::Permission;
use crate::credentialing::evidence::{CheckedHours, HourInput, check_hours, hour_row};
use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// The largest file accepted.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// The most rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The logs a file may add to: courses, not day-by-day work.
pub const IMPORTABLE_LOGS: [LogKind; 3] = [LogKind::CoreKnowledge, LogKind::Training, LogKind::Sar];
/// Columns every file must have.
pub const REQUIRED_COLUMNS: [&str; 6] = ["log", "date", "hours", "mode", "provider", "title"];
/// All the columns, in the order the sample uses.
pub const COLUMNS: [&str; 7] = ["log", "date", "hours", "mode", "provider", "title", "split"];
/// The sample file offered for download.
pub const SAMPLE_CSV: &str = include_str!("../../../../programs/examples/past-courses.csv");

/// The field key used for problems with the file as a whole (not one row).
pub const FILE_FIELD: &str = "file";

/// The sample's header and rows (notes left out), for an example table.
pub fn sample_table() -> (Vec<String>, Vec<Vec<String>>) {
    let (start, _) = after_notes(SAMPLE_CSV);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&SAMPLE_CSV.as_bytes()[start..]);
    let mut records = reader
        .records()
        .filter_map(Result::ok)
        .map(|record| record.iter().map(str::to_owned).collect::<Vec<_>>());
    let header = records.next().unwrap_or_default();
    (header, records.collect())
}

/// One row that passed every check.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The row's number (its line in the file).
    pub row: usize,
    pub entry: CheckedHours,
}

/// One problem in one row. `column` is empty when the problem is the row as a whole (a
/// duplicate, a wrong number of values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// What an import would do: every row checked, nothing stored.
#[derive(Debug, Clone)]
pub struct ImportPreview {
    /// Rows read (blank rows and `#` notes are not counted).
    pub total_rows: usize,
    /// Rows ready to import, in file order.
    pub ready: Vec<ImportRow>,
    /// Problems, by row then column.
    pub errors: Vec<RowError>,
    /// The file's text, normalised (no byte-order mark, LF line ends): what the commit form
    /// sends back.
    pub text: String,
    /// SHA-256 of `text` (hex); the commit refuses text that does not match.
    pub token: String,
}

impl ImportPreview {
    /// How many rows have at least one problem.
    pub fn rows_with_errors(&self) -> usize {
        let mut rows: Vec<usize> = self.errors.iter().map(|error| error.row).collect();
        rows.dedup();
        rows.len()
    }

    /// True when every row is ready: only then may the file be imported.
    pub fn can_commit(&self) -> bool {
        self.errors.is_empty() && !self.ready.is_empty()
    }
}

/// What a commit did.
#[derive(Debug, Clone)]
pub enum CommitOutcome {
    /// Every row was stored, under this import batch.
    Imported { batch: String, count: usize },
    /// Nothing was stored: the file has problems (perhaps new ones, such as a duplicate logged
    /// since the preview). The preview shows them.
    NotImported(ImportPreview),
}

/// What one import added, for the page shown afterwards.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub total: usize,
    /// Per log: entries and hours.
    pub by_log: Vec<(LogKind, usize, Hours)>,
}

/// The file's text: UTF-8 required; a byte-order mark is dropped and line ends become LF.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(normalise(text)),
        Err(error) => {
            let line = bytes[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Err(format!(
                "The file is not UTF-8 text (the first problem is on line {line}). In your spreadsheet, save it as \"CSV UTF-8\" and upload it again."
            ))
        }
    }
}

/// Drops byte-order marks at the start and turns CRLF and lone CR line ends into LF, so that
/// the text a browser sends back (which may change line ends) hashes the same as the file.
/// Normalising twice changes nothing: the commit normalises the text the preview returned.
pub fn normalise(text: &str) -> String {
    // Every mark, not one: a file that starts with two would otherwise lose the second only
    // at the commit, whose token would then never match the preview's.
    let text = text.trim_start_matches('\u{feff}');
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The commit token of a normalised text: its SHA-256, in hex.
pub fn token_for(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where each known column is in the file.
struct Columns {
    index: HashMap<&'static str, usize>,
    width: usize,
}

impl Columns {
    fn read(header: &csv::StringRecord) -> Result<Columns, String> {
        let mut index = HashMap::new();
        let mut unknown = Vec::new();
        let mut twice = Vec::new();
        for (position, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}').to_lowercase();
            match COLUMNS.iter().find(|known| **known == name) {
                Some(known) => {
                    if index.insert(*known, position).is_some() {
                        twice.push(name);
                    }
                }
                None if name.is_empty() => unknown.push(format!("a column with no name (column {})", position + 1)),
                None => unknown.push(format!("\"{name}\"")),
            }
        }
        let all = COLUMNS.join(", ");
        if index.is_empty() {
            return Err(format!(
                "The first row must name the columns: {all}. Download the sample file to see the layout."
            ));
        }
        let mut problems = Vec::new();
        if !unknown.is_empty() {
            let (noun, verb) = if unknown.len() == 1 {
                ("column", "is")
            } else {
                ("columns", "are")
            };
            problems.push(format!(
                "The {noun} {} {verb} not one Sensate knows; the columns are {all}.",
                unknown.join(", ")
            ));
        }
        if !twice.is_empty() {
            problems.push(format!("These columns appear more than once: {}.", quoted_list(&twice)));
        }
        let missing: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .filter(|name| !index.contains_key(*name))
            .map(|name| (*name).to_owned())
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "The file has no {} column.",
                quoted_list(&missing).replace(", \"", " or \"")
            ));
        }
        if problems.is_empty() {
            Ok(Columns {
                index,
                width: header.len(),
            })
        } else {
            Err(format!("{} Nothing was read.", problems.join(" ")))
        }
    }

    fn get<'a>(&self, record: &'a csv::StringRecord, column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|position| record.get(*position))
            .unwrap_or("")
    }
}

/// Where the CSV starts: after the blank lines and `#` notes at the top of the file. Returns
/// the byte offset and its line number. Notes are only read there, so a row further down
/// that starts with `#` is checked (and refused), never skipped unseen.
fn after_notes(text: &str) -> (usize, usize) {
    let mut start = 0;
    let mut line = 1;
    for piece in text.split_inclusive('\n') {
        let content = piece.trim_end_matches('\n');
        if !(content.trim().is_empty() || content.starts_with('#')) {
            break;
        }
        start += piece.len();
        line += 1;
    }
    (start, line)
}

/// Blanks each line of `body` whose quotation marks do not pair up (no value of this file
/// spans lines, so such a quote would swallow the lines after it), keeping the line count, and
/// names them by line number. The header's own line cannot be set aside: the file is refused.
fn set_aside_unclosed_quotes(body: &str, first_line: usize) -> Result<(String, Vec<usize>), String> {
    let mut cleaned = String::with_capacity(body.len());
    let mut unclosed = Vec::new();
    let mut header_seen = false;
    for (index, piece) in body.split_inclusive('\n').enumerate() {
        let content = piece.trim_end_matches('\n');
        let open = content.matches('"').count() % 2 == 1;
        if open && !header_seen {
            return Err(format!(
                "Line {} (the row naming the columns) opens a quotation mark that is never closed. Close it and import the file again.",
                first_line + index
            ));
        }
        header_seen |= !content.trim().is_empty();
        if open {
            unclosed.push(first_line + index);
            cleaned.push_str(&piece[content.len()..]);
        } else {
            cleaned.push_str(piece);
        }
    }
    Ok((cleaned, unclosed))
}

/// Finds the line a record starts on. The reader reports where the previous record ended
/// (before the blank lines it skips), so this skips those too and counts the line ends on
/// the way, once, from one record to the next.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_of(&mut self, record: &csv::StringRecord) -> usize {
        let reported = record
            .position()
            .and_then(|position| usize::try_from(position.byte()).ok())
            .unwrap_or(self.offset)
            .clamp(self.offset, self.text.len());
        let mut start = reported;
        let bytes = self.text.as_bytes();
        while bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        self.line += bytes[self.offset..start].iter().filter(|b| **b == b'\n').count();
        self.offset = start;
        self.line
    }
}

/// Reads a `split` cell: `key=hours` pairs separated by `;`.
fn parse_split(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in text.split(';').map(str::trim).filter(|piece| !piece.is_empty()) {
        let Some((key, hours)) = piece.split_once('=') else {
            return Err(format!(
                "\"{piece}\" is not a key=hours pair. Write the split like ethics=2; development=4.5."
            ));
        };
        let key = key.trim().to_lowercase();
        if pairs.iter().any(|(seen, _)| *seen == key) {
            return Err(format!("\"{key}\" appears twice in the split; give each area once."));
        }
        pairs.push((key, hours.trim().to_owned()));
    }
    Ok(pairs)
}

fn mode_keys(lists: &BoardLists) -> String {
    lists
        .delivery_modes
        .iter()
        .map(|item| item.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks one row; problems go to `errors`.
fn check_row(
    row: usize,
    columns: &Columns,
    record: &csv::StringRecord,
    lists: &BoardLists,
    today: Date,
    errors: &mut Vec<RowError>,
) -> Option<CheckedHours> {
    let mut problem = |column: &str, message: String| {
        errors.push(RowError {
            row,
            column: column.to_owned(),
            message,
        })
    };
    let mut failed = false;
    if record.len() > columns.width && record.iter().skip(columns.width).any(|value| !value.trim().is_empty()) {
        problem(
            "",
            format!(
                "This row has {} values but the header names {} columns. Check for a comma in a title: put that title in double quotes.",
                record.len(),
                columns.width
            ),
        );
        return None;
    }
    let cell = |column: &str| columns.get(record, column).trim().to_owned();

    let log_text = cell("log");
    let log = LogKind::parse(&log_text.to_lowercase());
    let log_ok = matches!(log, Some(kind) if IMPORTABLE_LOGS.contains(&kind));
    if !log_ok {
        failed = true;
        let message = match log {
            Some(kind) => format!(
                "Hours of {} are logged a day at a time on their own page, not imported. Use core_knowledge, training or sar.",
                kind.words()
            ),
            None if log_text.is_empty() => "Enter the log: core_knowledge, training or sar.".to_owned(),
            None => format!("\"{log_text}\" is not a log: use core_knowledge, training or sar."),
        };
        problem("log", message);
    }
    let split_text = cell("split");
    let mut split_judged = log_ok;
    let split = match parse_split(&split_text) {
        Ok(pairs) => pairs,
        Err(message) => {
            failed = true;
            split_judged = false;
            problem("split", message);
            Vec::new()
        }
    };
    if let Some(kind) = log
        && log_ok
        && kind.split_list().is_none()
        && !split_text.is_empty()
    {
        failed = true;
        problem(
            "split",
            format!(
                "Hours of {} are not divided across areas: leave split empty.",
                kind.words()
            ),
        );
    }
    let mode = cell("mode");
    let input = HourInput {
        log: log.map(LogKind::as_str).unwrap_or_default().to_owned(),
        date: cell("date"),
        hours: cell("hours"),
        mode: mode.clone(),
        provider: cell("provider"),
        title: cell("title"),
        split,
    };
    match check_hours(&input, lists, today) {
        Ok(checked) if !failed => Some(checked),
        Ok(_) => None,
        Err(field_errors) => {
            report(&field_errors, split_judged, &mode, lists, &mut problem);
            None
        }
    }
}

/// Turns the form's field errors into row errors with wording for a file.
fn report(
    field_errors: &FieldErrors,
    split_judged: bool,
    mode: &str,
    lists: &BoardLists,
    problem: &mut impl FnMut(&str, String),
) {
    for (field, message) in field_errors.iter() {
        match field {
            // Already reported, in the file's words.
            "log" => {}
            // Without a log or a readable split, the sum cannot be judged.
            "split" if !split_judged => {}
            "mode" if mode.is_empty() => problem(
                "mode",
                format!("Enter how it was delivered: one of {}.", mode_keys(lists)),
            ),
            "mode" => problem(
                "mode",
                format!("\"{mode}\" is not a delivery mode: use one of {}.", mode_keys(lists)),
            ),
            _ => match field.strip_prefix("split.") {
                Some(_) => problem("split", message.to_owned()),
                None => problem(field, message.to_owned()),
            },
        }
    }
}

/// Checks a whole file (normalised text). `on_file` maps the fingerprints of entries already
/// logged to the day they were logged. A problem with the file as a whole is an `Err` with
/// a message; problems in rows are in the preview.
pub fn check_file(
    text: &str,
    lists: &BoardLists,
    today: Date,
    on_file: &HashMap<String, String>,
) -> Result<ImportPreview, String> {
    let (start, first_line) = after_notes(text);
    // A quotation mark left open would swallow every line after it into one value: such a
    // line is set aside (named below) and the rest of the file is read without it.
    let (body, unclosed) = set_aside_unclosed_quotes(&text[start..], first_line)?;
    let body = body.as_str();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => {
                return Err(format!(
                    "There is nothing in the file to read. The first row must name the columns: {}.",
                    COLUMNS.join(", ")
                ));
            }
            Some(Err(error)) => return Err(format!("The file could not be read as CSV: {error}.")),
            Some(Ok(record)) if record.iter().all(|value| value.trim().is_empty()) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let columns = Columns::read(&header)?;
    let mut lines = LineCounter {
        text: body,
        offset: 0,
        line: first_line,
    };
    let mut total_rows = 0;
    let mut ready = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in unclosed {
        total_rows += 1;
        errors.push(RowError {
            row,
            column: String::new(),
            message: format!(
                "Row {row} opens a quotation mark that is never closed. Close it (or remove it); the other rows were read without this one."
            ),
        });
    }
    for record in records {
        let record = record.map_err(|error| format!("The file could not be read as CSV: {error}."))?;
        if record.iter().all(|value| value.trim().is_empty()) {
            continue;
        }
        let row = lines.line_of(&record);
        total_rows += 1;
        if total_rows > MAX_IMPORT_ROWS {
            return Err(format!(
                "The file has more than {MAX_IMPORT_ROWS} rows. Split it into smaller files and import them one after another."
            ));
        }
        let Some(entry) = check_row(row, &columns, &record, lists, today, &mut errors) else {
            continue;
        };
        let fingerprint = entry.fingerprint();
        if let Some(first) = seen.get(&fingerprint) {
            errors.push(RowError {
                row,
                column: String::new(),
                message: format!(
                    "Row {row} repeats row {first}: the same log, date, hours, provider and title. Remove one of them."
                ),
            });
            continue;
        }
        seen.insert(fingerprint.clone(), row);
        if let Some(logged_on) = on_file.get(&fingerprint) {
            errors.push(RowError {
                row,
                column: String::new(),
                message: format!("Row {row} is already in your log (logged on {logged_on}). Remove it from the file."),
            });
            continue;
        }
        ready.push(ImportRow { row, entry });
    }
    // By row, then in the file's column order (whole-row problems first).
    errors.sort_by_key(|error| {
        let rank = COLUMNS
            .iter()
            .position(|column| *column == error.column)
            .map_or(0, |at| at + 1);
        (error.row, rank)
    });
    if total_rows == 0 {
        return Err("The file has no rows under the header, so there is nothing to import.".to_owned());
    }
    Ok(ImportPreview {
        total_rows,
        ready,
        errors,
        text: text.to_owned(),
        token: token_for(text),
    })
}

impl App {
    /// Checks an uploaded file and says what importing it would do. Stores nothing.
    pub async fn preview_hours_import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<ImportPreview> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(AppError::field(FILE_FIELD, too_large(bytes.len())));
        }
        let text = decode(bytes).map_err(|message| AppError::field(FILE_FIELD, message))?;
        self.preview_text(actor, text).await
    }

    async fn preview_text(&self, actor: &Actor, text: String) -> AppResult<ImportPreview> {
        let lists = self.board_lists().await?;
        let on_file: HashMap<String, String> = self
            .store()
            .hours(actor.user_id.as_str())
            .await?
            .into_iter()
            .map(|row| (row.fingerprint, row.created_at.get().date().to_string()))
            .collect();
        let today = self.today();
        // Thousands of rows take a few milliseconds, but keep the checking off the async threads.
        tokio::task::spawn_blocking(move || check_file(&text, &lists, today, &on_file))
            .await
            .map_err(AppError::internal)?
            .map_err(|message| AppError::field(FILE_FIELD, message))
    }

    /// Imports a previewed file: `text` and `token` as the preview gave them. Checks every row
    /// again and stores all of them in one transaction, or none.
    pub async fn commit_hours_import(
        &self,
        actor: &Actor,
        text: &str,
        token: &str,
        meta: &RequestMeta,
    ) -> AppResult<CommitOutcome> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        if text.len() > MAX_IMPORT_BYTES {
            return Err(AppError::field(FILE_FIELD, too_large(text.len())));
        }
        let text = normalise(text);
        if token_for(&text) != token.trim() {
            return Err(AppError::field(
                FILE_FIELD,
                "The file changed between its preview and the import, so nothing was imported. Upload it again.",
            ));
        }
        let preview = self.preview_text(actor, text.clone()).await?;
        if !preview.can_commit() {
            return Ok(CommitOutcome::NotImported(preview));
        }
        let batch = random::id()?;
        let at = self.now();
        let rows = preview
            .ready
            .iter()
            .map(|row| Ok(hour_row(&row.entry, random::id()?, Some(batch.clone()), at)))
            .collect::<AppResult<Vec<_>>>()?;
        match self.store().insert_hours(actor.user_id.as_str(), &rows).await {
            Ok(()) => {}
            // Someone logged one of these entries since the check: show the file again, with
            // that row named.
            Err(store::StoreError::Conflict) => {
                return Ok(CommitOutcome::NotImported(self.preview_text(actor, text).await?));
            }
            Err(error) => return Err(error.into()),
        }
        let count = rows.len();
        self.record(
            actor,
            AuditEvent::success("evidence.hours_imported")
                .subject("import_batch", &batch)
                .detail(format!("{count} entries")),
            meta,
        )
        .await?;
        Ok(CommitOutcome::Imported { batch, count })
    }

    /// What one of the person's imports added (nothing if the batch is not theirs).
    pub async fn import_summary(&self, actor: &Actor, batch: &str, meta: &RequestMeta) -> AppResult<ImportSummary> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut summary = ImportSummary::default();
        for row in self.store().hours(actor.user_id.as_str()).await? {
            if row.import_batch.as_deref() != Some(batch) {
                continue;
            }
            let Some(log) = LogKind::parse(&row.log) else { continue };
            let hours = Hours::from_centi(u32::try_from(row.hours_centi).unwrap_or(0));
            summary.total += 1;
            match summary.by_log.iter_mut().find(|(kind, _, _)| *kind == log) {
                Some((_, count, sum)) => {
                    *count += 1;
                    *sum += hours;
                }
                None => summary.by_log.push((log, 1, hours)),
            }
        }
        summary.by_log.sort_by_key(|(kind, _, _)| *kind);
        Ok(summary)
    }
}

fn too_large(size: usize) -> String {
    format!(
        "The file is {:.1} MB; the largest accepted is {} MB. Split it into smaller files and import them one after another.",
        size as f64 / (1024.0 * 1024.0),
        MAX_IMPORT_BYTES / (1024 * 1024)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn lists() -> BoardLists {
        domain::credentialing::programs::parse_lists(include_str!("../../../../programs/lists.toml"))
            .unwrap_or_default()
    }

    fn check(text: &str) -> Result<ImportPreview, String> {
        check_file(&normalise(text), &lists(), date!(2026 - 01 - 15), &HashMap::new())
    }

    #[test]
    fn the_sample_file_imports_cleanly() {
        let preview = check(SAMPLE_CSV).unwrap_or_else(|message| panic!("{message}"));
        assert!(preview.errors.is_empty(), "{:?}", preview.errors);
        assert_eq!(preview.total_rows, 4);
        assert_eq!(preview.ready.len(), 4);
        assert_eq!(
            preview.ready[1].entry.title,
            "Sexual function, from optimal to problematic"
        );
        assert_eq!(preview.ready[0].entry.split.len(), 2);
        let first_data_line = SAMPLE_CSV
            .lines()
            .position(|line| line.starts_with("core_knowledge"))
            .unwrap_or(0)
            + 1;
        assert_eq!(
            preview.ready[0].row, first_data_line,
            "rows are numbered by line, notes included"
        );
        assert!(preview.can_commit());
        let (header, rows) = sample_table();
        assert_eq!(header, COLUMNS);
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn a_bom_crlf_and_quotes_are_accepted_and_rows_are_numbered_by_line() {
        let text = "\u{feff}Log,Date,Hours,Mode,Provider,Title,Split\r\n\r\nsar,2025-01-25,14,in_person,\"Harbour, Inc.\",SAR weekend,\r\ntraining,2025-02-01,2,elearning,X,\"Y \"\"quoted\"\"\",theory_models=2\r\n";
        let preview = check(text).unwrap_or_else(|message| panic!("{message}"));
        assert!(preview.errors.is_empty(), "{:?}", preview.errors);
        assert_eq!(preview.ready[0].entry.provider, "Harbour, Inc.");
        assert_eq!(preview.ready[0].row, 3);
        assert_eq!(preview.ready[1].entry.title, "Y \"quoted\"");
        assert_eq!(preview.ready[1].row, 4);
        // The browser may send the text back with other line ends: the token is the same.
        assert_eq!(
            token_for(&normalise(&preview.text.replace('\n', "\r\n"))),
            preview.token
        );
    }

    #[test]
    fn a_file_starting_with_two_byte_order_marks_can_be_committed() {
        // Found by fuzzing: only one mark was dropped, so the commit (which normalises the
        // returned text again) dropped the second and refused the file as changed.
        let text = decode(
            "\u{feff}\u{feff}log,date,hours,mode,provider,title,split\r\nsar,2025-01-25,14,in_person,P,T,\r\n"
                .as_bytes(),
        )
        .unwrap_or_else(|message| panic!("{message}"));
        assert_eq!(normalise(&text), text);
        let preview = check(&text).unwrap_or_else(|message| panic!("{message}"));
        assert!(preview.can_commit(), "{:?}", preview.errors);
        assert_eq!(token_for(&normalise(&preview.text)), preview.token);
    }

    #[test]
    fn unknown_and_missing_columns_refuse_the_file_naming_them() {
        let refused = check("log,date,hours,mode,provider,course,notes\n").unwrap_err();
        assert!(
            refused.contains("\"course\", \"notes\" are not one Sensate knows"),
            "{refused}"
        );
        assert!(refused.contains("no \"title\" column"), "{refused}");
        let data_first = check("sar,2025-01-25,14,in_person,X,Y,\n").unwrap_err();
        assert!(
            data_first.contains("The first row must name the columns"),
            "{data_first}"
        );
        assert!(
            check("log,date,hours,mode,provider,title\n")
                .unwrap_err()
                .contains("no rows")
        );
    }

    #[test]
    fn an_unclosed_quote_is_named_by_its_line_and_the_rest_is_read() {
        let text = "log,date,hours,mode,provider,title,split
core_knowledge,2025-03-01,6,elearning,A,Course one,ethics=6
clinical,2025-03-02,2,in_person,\"Harbour Clinic,Therapy,
sar,2025-03-03,14,in_person,C,SAR,
training,2025-03-04,3,elearning,D,\"Models, \"\"new\"\"\",theory_models=3
core_knowledge,2025-03-05,2,elearning,E,Course two,ethics=2
";
        let preview = check(text).unwrap_or_else(|message| panic!("{message}"));
        assert_eq!(preview.total_rows, 5, "every row is counted, the broken one too");
        assert_eq!(preview.ready.len(), 4, "{:?}", preview.errors);
        assert_eq!(preview.errors.len(), 1);
        assert_eq!(preview.errors[0].row, 3);
        assert!(
            preview.errors[0]
                .message
                .contains("opens a quotation mark that is never closed")
        );
        assert_eq!(preview.ready[3].row, 6, "rows after it keep their line numbers");
        assert_eq!(preview.ready[2].entry.title, "Models, \"new\"");
        let header = check("log,date,\"hours\nsar,2025-03-03,14,in_person,C,SAR,\n");
        assert!(header.is_err_and(|message| message.contains("Line 1 (the row naming the columns)")));
    }

    #[test]
    fn row_problems_are_named_by_row_and_column() {
        let text = "log,date,hours,mode,provider,title,split
core_knowledge,2025-03-01,6,elearning,A,Course one,ethics=2; development=3
clinical,2025-03-02,2,in_person,B,Therapy,
sar,2025-13-40,14,pigeon,C,SAR,ethics=14
core_knowledge,2025-03-01,6,elearning,A,course  ONE,ethics=6
training,2025-03-04,3,elearning,D,Too many,theory_models=3,extra
core_knowledge,2025-03-05,2,elearning,E,Bad split,ethics:2
";
        let preview = check(text).unwrap_or_else(|message| panic!("{message}"));
        assert_eq!(preview.total_rows, 6);
        assert_eq!(preview.ready.len(), 1);
        let find = |row: usize, column: &str| {
            preview
                .errors
                .iter()
                .find(|e| e.row == row && e.column == column)
                .map(|e| e.message.clone())
                .unwrap_or_default()
        };
        assert!(
            find(2, "split").contains("add up to 5, not the entry's 6"),
            "{:?}",
            preview.errors
        );
        assert!(find(3, "log").contains("a day at a time"));
        assert!(find(4, "date").contains("as a date"));
        assert!(find(4, "mode").contains("\"pigeon\" is not a delivery mode"));
        assert!(find(4, "split").contains("leave split empty"));
        // Row 5 is a fine entry on its own (row 2 was refused for its split, so no repeat).
        assert!(find(6, "").contains("has 8 values"));
        assert!(find(7, "split").contains("key=hours"));
        assert_eq!(
            preview.errors.iter().filter(|e| e.row == 7).count(),
            1,
            "no consequences of the unreadable split"
        );
        let row_four: Vec<&str> = preview
            .errors
            .iter()
            .filter(|e| e.row == 4)
            .map(|e| e.column.as_str())
            .collect();
        assert_eq!(row_four, ["date", "mode", "split"], "in the file's column order");
        assert_eq!(preview.rows_with_errors(), 5);
    }

    #[test]
    fn repeats_within_the_file_and_entries_on_file_are_caught() {
        let text = "log,date,hours,mode,provider,title,split
sar,2025-01-25,14,in_person,Harbour,SAR weekend,
sar,2025-02-25,14,in_person,Harbour,SAR weekend,
sar,2025-01-25,14,in_person,harbour,SAR  Weekend,
";
        let first = check(text).unwrap_or_else(|message| panic!("{message}"));
        assert_eq!(first.errors.len(), 1);
        assert_eq!(
            first.errors[0].message,
            "Row 4 repeats row 2: the same log, date, hours, provider and title. Remove one of them."
        );
        let on_file = HashMap::from([(first.ready[1].entry.fingerprint(), "2025-12-01".to_owned())]);
        let again =
            check_file(&first.text, &lists(), date!(2026 - 01 - 15), &on_file).unwrap_or_else(|m| panic!("{m}"));
        assert!(
            again
                .errors
                .iter()
                .any(|e| e.message == "Row 3 is already in your log (logged on 2025-12-01). Remove it from the file.")
        );
        assert!(!again.can_commit());
    }

    #[test]
    fn notes_are_read_only_above_the_header() {
        let text =
            "# my courses\n\n# exported 2025\nlog,date,hours,mode,provider,title\n#sar,2025-01-25,14,in_person,A,B\n";
        let preview = check(text).unwrap_or_else(|message| panic!("{message}"));
        assert_eq!(
            preview.total_rows, 1,
            "a row starting with # below the header is checked, not skipped"
        );
        assert_eq!(preview.errors[0].row, 5);
        assert_eq!(preview.errors[0].column, "log");
        assert!(check("# only notes\n\n").unwrap_err().contains("nothing in the file"));
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_line() {
        let refused = decode(b"log,date\nsar,\xff\n").unwrap_err();
        assert!(refused.contains("line 2"), "{refused}");
    }
}
