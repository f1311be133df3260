//! Reading definition files: the board lists and the programs, written in TOML.
//!
//! A file either parses and makes sense as a whole, or it is refused with every problem found,
//! each naming its line and field ("line 41, requirement.core.caps[0].max: the cap (95 hours)
//! is above the requirement's total (90 hours)"). Nothing partial is ever returned, so nothing
//! partial can be stored.
//!
//! The file is read through `toml`'s spanned document tree rather than serde structs, so that
//! checks made after parsing (an unknown area, a cap above its total) can still point at the
//! line they are about, and so that a misspelt field is refused instead of silently ignored.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use time::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::lists::{BoardLists, ListItem};
use super::{
    CredentialKind, DegreeLevel, DegreeOption, DocumentNeed, Fee, HoursRule, LogKind, ModeCap, MonthCounting,
    MonthSpan, Program, ProgramCode, Requirement, Rule, SupervisionRule,
};
use crate::credentialing::hours::Hours;

/// One problem in a definition file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionError {
    /// 1-based line number, when the problem is at a place in the file.
    pub line: Option<usize>,
    /// Dotted path of the field, such as `requirement.core.total`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.is_empty()) {
            (Some(line), false) => write!(f, "line {line}, {}: {}", self.field, self.message),
            (Some(line), true) => write!(f, "line {line}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.field, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

/// Every problem found in one file, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}

/// What a definition file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Lists(Box<BoardLists>),
    Program(Box<Program>),
}

/// Reads a file of either kind, told apart by its `definition = "lists" | "program"` line.
/// `lists` are the board lists a program is checked against, and `known_programs` the codes a
/// program may depend on.
pub fn parse_definition(
    text: &str,
    lists: &BoardLists,
    known_programs: &[ProgramCode],
) -> Result<Definition, DefinitionErrors> {
    let document = Document::read(text)?;
    let mut reader = Reader::new(text);
    let mut root = Fields::new(&document, "");
    let kind = reader.string(&mut root, "definition");
    match kind.as_deref() {
        Some("lists") => lists_from(reader, root).map(|lists| Definition::Lists(Box::new(lists))),
        Some("program") => program_from(reader, root, lists, known_programs).map(|p| Definition::Program(Box::new(p))),
        Some(other) => Err(reader.fail_at(
            root.span_of("definition"),
            "definition",
            format!(
                "\"{other}\" is not a kind of definition: write definition = \"program\" or definition = \"lists\""
            ),
        )),
        None => Err(reader.into_errors()),
    }
}

/// Reads a board-lists file.
pub fn parse_lists(text: &str) -> Result<BoardLists, DefinitionErrors> {
    match parse_definition(text, &BoardLists::default(), &[])? {
        Definition::Lists(lists) => Ok(*lists),
        Definition::Program(_) => Err(whole_file("this is a program definition, not the board lists")),
    }
}

/// Reads a program file, checking it against `lists` and `known_programs`.
pub fn parse_program(
    text: &str,
    lists: &BoardLists,
    known_programs: &[ProgramCode],
) -> Result<Program, DefinitionErrors> {
    match parse_definition(text, lists, known_programs)? {
        Definition::Program(program) => Ok(*program),
        Definition::Lists(_) => Err(whole_file("this is the board lists file, not a program definition")),
    }
}

fn whole_file(message: &str) -> DefinitionErrors {
    DefinitionErrors(vec![DefinitionError {
        line: None,
        field: String::new(),
        message: message.to_owned(),
    }])
}

/// The parsed TOML document, or the syntax error with its line.
struct Document<'i>(Spanned<DeTable<'i>>);

impl<'i> Document<'i> {
    fn read(text: &'i str) -> Result<Document<'i>, DefinitionErrors> {
        DeTable::parse(text).map(Document).map_err(|error| {
            let line = error.span().map(|span| line_of(text, span.start));
            DefinitionErrors(vec![DefinitionError {
                line,
                field: String::new(),
                message: format!("this is not valid TOML: {}", error.message().trim()),
            }])
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .unwrap_or(text)
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// The fields of one TOML table, remembering which were read so the rest can be refused.
struct Fields<'a, 'i> {
    path: String,
    span: Range<usize>,
    table: &'a DeTable<'i>,
    read: BTreeSet<String>,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn new(document: &'a Document<'i>, path: &str) -> Fields<'a, 'i> {
        Fields {
            path: path.to_owned(),
            span: document.0.span(),
            table: document.0.get_ref(),
            read: BTreeSet::new(),
        }
    }

    fn of(table: &'a DeTable<'i>, span: Range<usize>, path: String) -> Fields<'a, 'i> {
        Fields {
            path,
            span,
            table,
            read: BTreeSet::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.read.insert(key.to_owned());
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map(|(_, value)| value)
    }

    fn has(&self, key: &str) -> bool {
        self.table.iter().any(|(name, _)| name.get_ref().as_ref() == key)
    }

    fn span_of(&self, key: &str) -> Range<usize> {
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map_or(self.span.clone(), |(name, _)| name.span())
    }

    fn path_to(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// Collects problems while reading; every accessor reports what it could not read and returns
/// `None`, so one pass finds every problem in the file.
struct Reader<'t> {
    text: &'t str,
    errors: Vec<DefinitionError>,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Reader<'t> {
        Reader {
            text,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(DefinitionError {
            line: Some(line_of(self.text, span.start)),
            field: field.into(),
            message: message.into(),
        });
    }

    fn fail_at(mut self, span: Range<usize>, field: &str, message: String) -> DefinitionErrors {
        self.error(span, field, message);
        self.into_errors()
    }

    fn into_errors(mut self) -> DefinitionErrors {
        self.errors.sort_by_key(|error| error.line.unwrap_or(0));
        DefinitionErrors(self.errors)
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, DefinitionErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.into_errors()),
        }
    }

    /// Refuses fields nobody read: a misspelt `totl = 90` must not pass as "no total".
    fn refuse_unknown(&mut self, fields: &Fields<'_, '_>, what: &str) {
        for (name, _) in fields.table.iter() {
            let key = name.get_ref().as_ref();
            if !fields.read.contains(key) {
                self.error(
                    name.span(),
                    fields.path_to(key),
                    format!("{what} has no field \"{key}\""),
                );
            }
        }
    }

    fn missing(&mut self, fields: &Fields<'_, '_>, key: &str) {
        self.error(
            fields.span.clone(),
            fields.path_to(key),
            format!("\"{key}\" is required here"),
        );
    }

    fn value<'a, 'i>(&mut self, fields: &mut Fields<'a, 'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        let value = fields.get(key);
        if value.is_none() {
            self.missing(fields, key);
        }
        value
    }

    fn string(&mut self, fields: &mut Fields<'_, '_>, key: &str) -> Option<String> {
        let value = self.value(fields, key)?;
        self.as_string(value, &fields.path_to(key))
    }

    fn as_string(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            DeValue::String(_) => {
                self.error(value.span(), path, "this cannot be empty");
                None
            }
            _ => {
                self.error(value.span(), path, "expected text in quotes");
                None
            }
        }
    }

    fn boolean(&mut self, fields: &mut Fields<'_, '_>, key: &str, default: bool) -> bool {
        match fields.get(key) {
            None => default,
            Some(value) => match value.get_ref() {
                DeValue::Boolean(flag) => *flag,
                _ => {
                    self.error(value.span(), fields.path_to(key), "expected true or false");
                    default
                }
            },
        }
    }

    fn as_integer(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(number) => {
                let digits = number.as_str().replace('_', "");
                match i64::from_str_radix(&digits, number.radix()) {
                    Ok(number) => Some(number),
                    Err(_) => {
                        self.error(value.span(), path, "this number is too large");
                        None
                    }
                }
            }
            _ => {
                self.error(value.span(), path, "expected a whole number");
                None
            }
        }
    }

    /// A whole number within `range`, with a message saying what the range means.
    fn integer_in(
        &mut self,
        fields: &mut Fields<'_, '_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        required: bool,
    ) -> Option<i64> {
        let value = if required {
            self.value(fields, key)?
        } else {
            fields.get(key)?
        };
        let path = fields.path_to(key);
        let number = self.as_integer(value, &path)?;
        if number < 0 && *range.start() >= 0 {
            self.error(
                value.span(),
                path,
                format!(
                    "{number} is negative; it must be between {} and {}",
                    range.start(),
                    range.end()
                ),
            );
            return None;
        }
        if !range.contains(&number) {
            self.error(
                value.span(),
                path,
                format!(
                    "{number} is out of range; it must be between {} and {}",
                    range.start(),
                    range.end()
                ),
            );
            return None;
        }
        Some(number)
    }

    fn as_number(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<f64> {
        match value.get_ref() {
            DeValue::Integer(_) => self.as_integer(value, path).map(|n| n as f64),
            DeValue::Float(number) => match number.as_str().replace('_', "").parse::<f64>() {
                Ok(number) if number.is_finite() => Some(number),
                _ => {
                    self.error(value.span(), path, "expected a number of hours");
                    None
                }
            },
            _ => {
                self.error(value.span(), path, "expected a number");
                None
            }
        }
    }

    fn as_hours(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<Hours> {
        let number = self.as_number(value, path)?;
        match Hours::from_f64(number) {
            Ok(hours) => Some(hours),
            Err(error) => {
                self.error(value.span(), path, format!("{number} hours: {error}"));
                None
            }
        }
    }

    fn hours(&mut self, fields: &mut Fields<'_, '_>, key: &str, required: bool) -> Option<Hours> {
        let value = if required {
            self.value(fields, key)?
        } else {
            fields.get(key)?
        };
        self.as_hours(value, &fields.path_to(key))
    }

    fn date(&mut self, fields: &mut Fields<'_, '_>, key: &str) -> Option<Date> {
        let value = self.value(fields, key)?;
        let path = fields.path_to(key);
        let parts = match value.get_ref() {
            DeValue::Datetime(datetime) if datetime.time.is_none() => {
                datetime.date.map(|date| (i32::from(date.year), date.month, date.day))
            }
            DeValue::String(text) => {
                let mut pieces = text.split('-').map(|piece| piece.parse::<i32>().ok());
                match (
                    pieces.next().flatten(),
                    pieces.next().flatten(),
                    pieces.next().flatten(),
                    pieces.next(),
                ) {
                    (Some(year), Some(month), Some(day), None) => Some((year, month as u8, day as u8)),
                    _ => None,
                }
            }
            _ => None,
        };
        let date = parts.and_then(|(year, month, day)| {
            time::Month::try_from(month)
                .ok()
                .and_then(|month| Date::from_calendar_date(year, month, day).ok())
        });
        if date.is_none() {
            self.error(value.span(), path, "expected a date such as 2025-01-01");
        }
        date
    }

    fn string_list(&mut self, fields: &mut Fields<'_, '_>, key: &str, required: bool) -> Option<Vec<Spanned<String>>> {
        let value = if required {
            self.value(fields, key)?
        } else {
            fields.get(key)?
        };
        let path = fields.path_to(key);
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                value.span(),
                path,
                "expected a list in brackets, such as [\"a\", \"b\"]",
            );
            return None;
        };
        let mut strings = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if let Some(text) = self.as_string(item, &format!("{path}[{index}]")) {
                strings.push(Spanned::new(item.span(), text));
            }
        }
        if strings.is_empty() && required {
            self.error(value.span(), path, "the list cannot be empty");
        }
        Some(strings)
    }

    /// An array of tables (`[[requirement]]`, or an inline `[{..}, {..}]`).
    fn tables<'a, 'i>(&mut self, fields: &mut Fields<'a, 'i>, key: &str) -> Vec<(Range<usize>, &'a DeTable<'i>)> {
        let Some(value) = fields.get(key) else {
            return Vec::new();
        };
        let path = fields.path_to(key);
        let DeValue::Array(items) = value.get_ref() else {
            self.error(value.span(), path, "expected a list of tables");
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => tables.push((item.span(), table)),
                _ => self.error(item.span(), format!("{path}[{index}]"), "expected a table"),
            }
        }
        tables
    }

    fn table<'a, 'i>(&mut self, fields: &mut Fields<'a, 'i>, key: &str) -> Option<Fields<'a, 'i>> {
        let value = fields.get(key)?;
        let path = fields.path_to(key);
        match value.get_ref() {
            DeValue::Table(table) => Some(Fields::of(table, value.span(), path)),
            _ => {
                self.error(value.span(), path, "expected a table");
                None
            }
        }
    }
}

/// Keys of list items and requirements: lower-case letters, digits and underscores, so they
/// read well in files and URLs.
fn is_key(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A version label such as `2025.T.1`.
fn is_version(text: &str) -> bool {
    (1..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The list sections of the lists file, in the order shown to people, and whether a lists
/// file must have it. The directory's vocabularies came later, so lists files written before
/// them stay valid.
const LIST_SECTIONS: [(&str, &str, bool); 10] = [
    ("core_area", "core knowledge area", true),
    ("discipline", "therapy-training discipline", true),
    ("profession", "license profession", true),
    ("delivery_mode", "delivery mode", true),
    ("membership_type", "membership type", true),
    ("document_kind", "document kind", true),
    ("concern", "concern people bring", false),
    ("population", "population served", false),
    ("approach", "therapeutic approach", false),
    ("insurer", "insurer", false),
];

fn lists_from(mut reader: Reader<'_>, mut root: Fields<'_, '_>) -> Result<BoardLists, DefinitionErrors> {
    let version = reader.string(&mut root, "version");
    if let Some(version) = &version
        && !is_version(version)
    {
        reader.error(
            root.span_of("version"),
            "version",
            "use letters, digits, dots and hyphens, such as 2025.L.1",
        );
    }
    let mut sections: Vec<Vec<ListItem>> = Vec::new();
    for (section, what, required) in LIST_SECTIONS {
        let mut items: Vec<ListItem> = Vec::new();
        for (index, (span, table)) in reader.tables(&mut root, section).into_iter().enumerate() {
            let mut fields = Fields::of(table, span.clone(), format!("{section}[{index}]"));
            let key = reader.string(&mut fields, "key");
            let name = reader.string(&mut fields, "name");
            reader.refuse_unknown(&fields, &format!("a {what}"));
            let (Some(key), Some(name)) = (key, name) else { continue };
            if !is_key(&key) {
                reader.error(
                    fields.span_of("key"),
                    fields.path_to("key"),
                    format!("\"{key}\" is not a key: use lower-case letters, digits and underscores"),
                );
            } else if items.iter().any(|item| item.key == key) {
                reader.error(
                    fields.span_of("key"),
                    fields.path_to("key"),
                    format!("the {what} \"{key}\" is listed twice"),
                );
            } else {
                items.push(ListItem { key, name });
            }
        }
        if required && items.is_empty() && !root.has(section) {
            reader.error(
                root.span.clone(),
                section,
                format!("the lists need at least one {what} ([[{section}]])"),
            );
        }
        sections.push(items);
    }
    reader.refuse_unknown(&root, "the lists file");
    let mut sections = sections.into_iter();
    let mut next = || sections.next().unwrap_or_default();
    let lists = version.map(|version| BoardLists {
        version,
        core_areas: next(),
        disciplines: next(),
        professions: next(),
        delivery_modes: next(),
        membership_types: next(),
        document_kinds: next(),
        concerns: next(),
        populations: next(),
        approaches: next(),
        insurers: next(),
    });
    reader.finish(lists)
}

fn program_from(
    mut reader: Reader<'_>,
    mut root: Fields<'_, '_>,
    lists: &BoardLists,
    known_programs: &[ProgramCode],
) -> Result<Program, DefinitionErrors> {
    let code = reader
        .string(&mut root, "code")
        .and_then(|code| match ProgramCode::parse(&code) {
            Ok(code) => Some(code),
            Err(message) => {
                reader.error(root.span_of("code"), "code", message);
                None
            }
        });
    let version = reader.string(&mut root, "version");
    if let Some(text) = &version
        && !is_version(text)
    {
        reader.error(
            root.span_of("version"),
            "version",
            "use letters, digits, dots and hyphens, such as 2025.T.1",
        );
    }
    let name = reader.string(&mut root, "name");
    let kind = reader.string(&mut root, "kind").and_then(|text| {
        let kind = CredentialKind::parse(&text);
        if kind.is_none() {
            reader.error(
                root.span_of("kind"),
                "kind",
                format!("\"{text}\" is not a credential kind: use therapist, counselor, educator or supervisor"),
            );
        }
        kind
    });
    let summary = reader.string(&mut root, "summary");
    let effective_from = reader.date(&mut root, "effective_from");
    // A credential is renewed every few years; 1 to 10 covers every board we know of.
    let validity_years = reader
        .integer_in(&mut root, "validity_years", 1..=10, true)
        .map(|years| years as u8);
    // Peer review needs at least one reviewer; a committee rarely has more than seven.
    let reviewers = reader
        .integer_in(&mut root, "reviewers", 1..=7, false)
        .map_or(2, |count| count as u8);
    let fee = fee_from(&mut reader, &mut root);
    let renewal = renewal_from(&mut reader, &mut root);

    let mut requirements: Vec<Requirement> = Vec::new();
    let tables = reader.tables(&mut root, "requirement");
    if tables.is_empty() && !root.has("requirement") {
        reader.error(
            root.span.clone(),
            "requirement",
            "a program needs at least one [[requirement]]",
        );
    }
    for (index, (span, table)) in tables.into_iter().enumerate() {
        let fields = Fields::of(table, span, format!("requirement[{index}]"));
        if let Some(requirement) = requirement_from(&mut reader, fields, lists, known_programs, code.as_ref()) {
            if requirements.iter().any(|other| other.key == requirement.key) {
                reader.error(
                    table_span(table),
                    format!("requirement.{}", requirement.key),
                    format!("the key \"{}\" is used by two requirements", requirement.key),
                );
            }
            requirements.push(requirement);
        }
    }
    let rules_of = |kind: fn(&Rule) -> bool| {
        requirements
            .iter()
            .filter(|requirement| kind(&requirement.rule))
            .count()
    };
    if rules_of(|rule| matches!(rule, Rule::Supervision(_))) > 1 {
        reader.error(
            root.span.clone(),
            "requirement",
            "a program can have only one supervision requirement",
        );
    }
    for log in LogKind::ALL {
        if requirements
            .iter()
            .filter(|r| matches!(&r.rule, Rule::Hours(rule) if rule.log == log))
            .count()
            > 1
        {
            reader.error(
                root.span.clone(),
                "requirement",
                format!("two requirements count the same log \"{}\"", log.as_str()),
            );
        }
    }
    reader.refuse_unknown(&root, "a program");

    let program = match (code, version, name, kind, summary, effective_from, validity_years, fee) {
        (
            Some(code),
            Some(version),
            Some(name),
            Some(kind),
            Some(summary),
            Some(effective_from),
            Some(validity_years),
            Some(fee),
        ) => Some(Program {
            code,
            version,
            name,
            kind,
            summary,
            effective_from,
            validity_years,
            reviewers,
            fee,
            requirements,
            renewal,
            lists: lists.clone(),
        }),
        _ => None,
    };
    reader.finish(program)
}

/// The optional `[renewal]` table: credits, the approved minimum, when renewal opens, and
/// the other methods with their conversion rate and cap.
fn renewal_from(
    reader: &mut Reader<'_>,
    root: &mut Fields<'_, '_>,
) -> Option<crate::credentialing::renewals::RenewalRule> {
    let mut fields = reader.table(root, "renewal")?;
    let credits = reader.hours(&mut fields, "credits", true);
    let approved_min = reader.hours(&mut fields, "approved_min", true);
    // Renewal opens some months before expiry; two years is the longest that makes sense.
    let opens = reader.integer_in(&mut fields, "opens_months_before", 1..=24, true);
    // Reinstatement after expiry: optional, at most three years of grace.
    let reinstate = reader
        .integer_in(&mut fields, "reinstate_within_months", 0..=36, false)
        .unwrap_or(0);
    if let (Some(credits), Some(approved)) = (credits, approved_min)
        && approved > credits
    {
        reader.error(
            fields.span_of("approved_min"),
            fields.path_to("approved_min"),
            format!("the approved minimum ({approved}) is above the credits needed ({credits})"),
        );
    }
    let mut methods: Vec<crate::credentialing::renewals::RenewalMethod> = Vec::new();
    for (index, (span, table)) in reader.tables(&mut fields, "methods").into_iter().enumerate() {
        let mut method = Fields::of(table, span, format!("{}[{index}]", fields.path_to("methods")));
        let key = reader.string(&mut method, "key");
        let name = reader.string(&mut method, "name");
        let rate = reader.integer_in(&mut method, "rate_percent", 1..=100, true);
        let cap = reader.hours(&mut method, "cap", true);
        reader.refuse_unknown(&method, "a renewal method");
        if let (Some(cap), Some(credits)) = (cap, credits)
            && cap > credits
        {
            reader.error(
                method.span_of("cap"),
                method.path_to("cap"),
                format!("the cap ({cap} credits) is above the credits needed ({credits})"),
            );
        }
        if let Some(key) = &key
            && (!is_key(key) || methods.iter().any(|other| other.key == *key))
        {
            reader.error(
                method.span_of("key"),
                method.path_to("key"),
                format!("\"{key}\" is not a new key"),
            );
        }
        if let (Some(key), Some(name), Some(rate), Some(cap)) = (key, name, rate, cap) {
            methods.push(crate::credentialing::renewals::RenewalMethod {
                key,
                name,
                rate_percent: rate as u32,
                cap,
            });
        }
    }
    reader.refuse_unknown(&fields, "the renewal rules");
    Some(crate::credentialing::renewals::RenewalRule {
        credits: credits?,
        approved_min: approved_min?,
        opens_months_before: opens? as u16,
        reinstate_within_months: reinstate as u16,
        methods,
    })
}

fn table_span(table: &DeTable<'_>) -> Range<usize> {
    table.iter().next().map_or(0..0, |(name, _)| name.span())
}

fn fee_from(reader: &mut Reader<'_>, root: &mut Fields<'_, '_>) -> Option<Fee> {
    let Some(mut fields) = reader.table(root, "fee") else {
        reader.missing(root, "fee");
        return None;
    };
    let amount = reader.value(&mut fields, "amount").and_then(|value| {
        let path = fields.path_to("amount");
        let number = reader.as_number(value, &path)?;
        let cents = (number * 100.0).round();
        if number < 0.0 {
            reader.error(value.span(), path, "a fee cannot be negative");
            None
        } else if (number * 100.0 - cents).abs() > 1e-6 || cents > 1e12 {
            reader.error(
                value.span(),
                path,
                "write the fee in currency units with at most two decimals, such as 300 or 300.50",
            );
            None
        } else {
            Some(cents as u64)
        }
    });
    let currency = reader.string(&mut fields, "currency").and_then(|currency| {
        if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
            Some(currency)
        } else {
            reader.error(
                fields.span_of("currency"),
                fields.path_to("currency"),
                "use a three-letter currency code such as USD",
            );
            None
        }
    });
    let refundable = reader.boolean(&mut fields, "refundable", false);
    reader.refuse_unknown(&fields, "the fee");
    Some(Fee {
        amount_cents: amount?,
        currency: currency?,
        refundable,
    })
}

/// Fields each kind of requirement reads besides `key`, `title` and `kind`.
fn requirement_from(
    reader: &mut Reader<'_>,
    mut fields: Fields<'_, '_>,
    lists: &BoardLists,
    known_programs: &[ProgramCode],
    own_code: Option<&ProgramCode>,
) -> Option<Requirement> {
    let key = reader.string(&mut fields, "key");
    if let Some(key) = &key {
        if is_key(key) {
            fields.path = format!("requirement.{key}");
        } else {
            reader.error(
                fields.span_of("key"),
                fields.path_to("key"),
                format!("\"{key}\" is not a key: use lower-case letters, digits and underscores"),
            );
        }
    }
    let title = reader.string(&mut fields, "title");
    let kind = reader.string(&mut fields, "kind");
    let rule = match kind.as_deref() {
        None => None,
        Some("membership") => {
            let types = reader.string_list(&mut fields, "types", true);
            let types = types.map(|types| {
                known_items(
                    reader,
                    &fields,
                    "types",
                    types,
                    |key| lists.has_membership_type(key),
                    "membership type",
                )
            });
            let through_supervision = reader.boolean(&mut fields, "through_supervision", false);
            types.map(|types| Rule::Membership {
                types,
                through_supervision,
            })
        }
        Some("attestation") => Some(Rule::Attestation),
        Some("insurance") => Some(Rule::Insurance),
        Some("degree") => degree_from(reader, &mut fields),
        Some("license") => {
            let professions = reader.string_list(&mut fields, "professions", true);
            professions.map(|professions| Rule::License {
                professions: known_items(
                    reader,
                    &fields,
                    "professions",
                    professions,
                    |key| lists.has_profession(key),
                    "license profession",
                ),
            })
        }
        Some("hours") => hours_from(reader, &mut fields, lists).map(Rule::Hours),
        Some("supervision") => supervision_from(reader, &mut fields).map(Rule::Supervision),
        Some("credential") => {
            let program = reader.string(&mut fields, "program").and_then(|text| {
                let span = fields.span_of("program");
                let path = fields.path_to("program");
                match ProgramCode::parse(&text) {
                    Err(message) => {
                        reader.error(span, path, message);
                        None
                    }
                    Ok(code) if Some(&code) == own_code => {
                        reader.error(span, path, "a program cannot depend on itself");
                        None
                    }
                    Ok(code) if !known_programs.contains(&code) => {
                        reader.error(
                            span,
                            path,
                            format!("this depends on the program \"{code}\", which does not exist; import it first"),
                        );
                        None
                    }
                    Ok(code) => Some(code),
                }
            });
            let held_years = reader.integer_in(&mut fields, "held_years", 0..=50, false).unwrap_or(0) as u8;
            program.map(|program| Rule::Credential { program, held_years })
        }
        Some("supervisees") => reader
            .integer_in(&mut fields, "min", 1..=1000, true)
            .map(|min| Rule::Supervisees { min: min as u32 }),
        Some("documents") => documents_from(reader, &mut fields, lists),
        Some(other) => {
            reader.error(
                fields.span_of("kind"),
                fields.path_to("kind"),
                format!("\"{other}\" is not a kind of requirement: use membership, attestation, degree, license, insurance, hours, supervision, credential, supervisees or documents"),
            );
            return None;
        }
    };
    reader.refuse_unknown(&fields, &format!("a {} requirement", kind.as_deref().unwrap_or("")));
    Some(Requirement {
        key: key?,
        title: title?,
        rule: rule?,
    })
}

/// Keeps the items the lists know, reporting the others at their place in the file.
fn known_items(
    reader: &mut Reader<'_>,
    fields: &Fields<'_, '_>,
    field: &str,
    items: Vec<Spanned<String>>,
    known: impl Fn(&str) -> bool,
    what: &str,
) -> Vec<String> {
    let mut kept = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let span = item.span();
        let item = item.into_inner();
        if !known(&item) {
            reader.error(
                span,
                format!("{}[{index}]", fields.path_to(field)),
                format!("\"{item}\" is not a {what} in the board lists"),
            );
        } else if kept.contains(&item) {
            reader.error(
                span,
                format!("{}[{index}]", fields.path_to(field)),
                format!("\"{item}\" is listed twice"),
            );
        } else {
            kept.push(item);
        }
    }
    kept
}

fn degree_from(reader: &mut Reader<'_>, fields: &mut Fields<'_, '_>) -> Option<Rule> {
    let accredited = reader.boolean(fields, "accredited", true);
    let tables = reader.tables(fields, "options");
    if tables.is_empty() {
        reader.error(
            fields.span.clone(),
            fields.path_to("options"),
            "list the accepted degrees, such as options = [{ level = \"master\", years_after = 2 }]",
        );
        return None;
    }
    let mut options = Vec::new();
    for (index, (span, table)) in tables.into_iter().enumerate() {
        let mut option = Fields::of(table, span, format!("{}[{index}]", fields.path_to("options")));
        let level = reader.string(&mut option, "level").and_then(|text| {
            let level = DegreeLevel::parse(&text);
            if level.is_none() {
                reader.error(
                    option.span_of("level"),
                    option.path_to("level"),
                    format!("\"{text}\" is not a degree level: use bachelor, master or doctorate"),
                );
            }
            level
        });
        let years_after = reader
            .integer_in(&mut option, "years_after", 0..=20, false)
            .unwrap_or(0) as u8;
        reader.refuse_unknown(&option, "a degree option");
        if let Some(level) = level {
            options.push(DegreeOption { level, years_after });
        }
    }
    Some(Rule::Degree { options, accredited })
}

fn span_from(reader: &mut Reader<'_>, fields: &mut Fields<'_, '_>) -> Option<MonthSpan> {
    let mut span_fields = reader.table(fields, "span_months")?;
    let min = reader.integer_in(&mut span_fields, "min", 0..=240, true);
    let max = reader.integer_in(&mut span_fields, "max", 1..=240, true);
    // The two readings differ at the boundary, so a definition must say which it means.
    let how = "say how months are counted: counting = \"elapsed\" (whole months from the first date) or counting = \"calendar\" (calendar months, the first and last both included)";
    let counting = match span_fields.get("counting") {
        None => {
            reader.error(span_fields.span.clone(), span_fields.path_to("counting"), how);
            None
        }
        Some(_) => reader.string(&mut span_fields, "counting").and_then(|text| {
            let counting = MonthCounting::parse(&text);
            if counting.is_none() {
                reader.error(
                    span_fields.span_of("counting"),
                    span_fields.path_to("counting"),
                    format!("\"{text}\" is not a way of counting months: {how}"),
                );
            }
            counting
        }),
    };
    reader.refuse_unknown(&span_fields, "a span");
    let (min, max, counting) = (min?, max?, counting?);
    if min > max {
        reader.error(
            span_fields.span_of("min"),
            span_fields.path_to("min"),
            format!("the shortest span ({min} months) is longer than the longest ({max} months)"),
        );
        return None;
    }
    Some(MonthSpan {
        min_months: min as u16,
        max_months: max as u16,
        counting,
    })
}

fn hours_from(reader: &mut Reader<'_>, fields: &mut Fields<'_, '_>, lists: &BoardLists) -> Option<HoursRule> {
    let log = reader.string(fields, "log").and_then(|text| {
        let log = LogKind::parse(&text);
        if log.is_none() {
            let known: Vec<&str> = LogKind::ALL.iter().map(|log| log.as_str()).collect();
            reader.error(
                fields.span_of("log"),
                fields.path_to("log"),
                format!("\"{text}\" is not a log: use one of {}", known.join(", ")),
            );
        }
        log
    });
    let total = reader.hours(fields, "total", true);
    if total == Some(Hours::ZERO) {
        reader.error(
            fields.span_of("total"),
            fields.path_to("total"),
            "the total must be more than 0 hours",
        );
    }
    let min_each = reader.hours(fields, "min_each", false);
    let split = log.and_then(LogKind::split_list);
    let items = split.map_or(&[][..], |split| lists.split_items(split));

    let mut minimums = Vec::new();
    if let Some(minimum_fields) = reader.table(fields, "minimums") {
        for (name, value) in minimum_fields.table.iter() {
            let item = name.get_ref().as_ref().to_owned();
            let path = minimum_fields.path_to(&item);
            let Some(hours) = reader.as_hours(value, &path) else {
                continue;
            };
            if split.is_none() {
                reader.error(
                    name.span(),
                    path,
                    "this log is not split into areas or disciplines, so it cannot have minimums per item",
                );
            } else if !items.iter().any(|known| known.key == item) {
                reader.error(
                    name.span(),
                    path,
                    format!("\"{item}\" is not an item of the list this log is split across"),
                );
            } else {
                minimums.push((item, hours));
            }
        }
    }
    if min_each.is_some() && split.is_none() {
        reader.error(
            fields.span_of("min_each"),
            fields.path_to("min_each"),
            "this log is not split into areas or disciplines, so it cannot have a minimum for each",
        );
    }

    let mut caps: Vec<ModeCap> = Vec::new();
    for (index, (span, table)) in reader.tables(fields, "caps").into_iter().enumerate() {
        let mut cap_fields = Fields::of(table, span, format!("{}[{index}]", fields.path_to("caps")));
        let modes = reader.string_list(&mut cap_fields, "modes", true);
        let modes = modes.map(|modes| {
            known_items(
                reader,
                &cap_fields,
                "modes",
                modes,
                |key| lists.has_mode(key),
                "delivery mode",
            )
        });
        let max = reader.hours(&mut cap_fields, "max", true);
        reader.refuse_unknown(&cap_fields, "a cap");
        if let (Some(max), Some(total)) = (max, total)
            && max > total
        {
            reader.error(
                cap_fields.span_of("max"),
                cap_fields.path_to("max"),
                format!("the cap ({max} hours) is above the requirement's total ({total} hours)"),
            );
        }
        if let (Some(modes), Some(max)) = (modes, max) {
            for mode in &modes {
                if caps.iter().any(|cap| cap.modes.contains(mode)) {
                    reader.error(
                        cap_fields.span_of("modes"),
                        cap_fields.path_to("modes"),
                        format!("the mode \"{mode}\" is in two caps"),
                    );
                }
            }
            caps.push(ModeCap { modes, max });
        }
    }

    let supervisor_taught_max = reader.hours(fields, "supervisor_taught_max", false);
    if let (Some(max), Some(total)) = (supervisor_taught_max, total)
        && max > total
    {
        reader.error(
            fields.span_of("supervisor_taught_max"),
            fields.path_to("supervisor_taught_max"),
            format!("the cap ({max} hours) is above the requirement's total ({total} hours)"),
        );
    }
    let under_contract = reader.boolean(fields, "under_contract", false);
    let span = span_from(reader, fields);

    if let Some(total) = total {
        let sum_of_minimums: Hours = items
            .iter()
            .filter_map(|item| {
                minimums
                    .iter()
                    .find(|(key, _)| *key == item.key)
                    .map(|(_, h)| *h)
                    .or(min_each)
            })
            .sum();
        if sum_of_minimums > total {
            reader.error(
                fields.span_of("min_each"),
                fields.path_to("min_each"),
                format!("the minimums per item add up to {sum_of_minimums} hours, more than the total ({total} hours)"),
            );
        }
    }
    Some(HoursRule {
        log: log?,
        total: total?,
        min_each,
        minimums,
        caps,
        supervisor_taught_max,
        under_contract,
        span,
    })
}

fn supervision_from(reader: &mut Reader<'_>, fields: &mut Fields<'_, '_>) -> Option<SupervisionRule> {
    let total = reader.hours(fields, "total", true);
    if total == Some(Hours::ZERO) {
        reader.error(
            fields.span_of("total"),
            fields.path_to("total"),
            "the total must be more than 0 hours",
        );
    }
    let group_share_percent = reader
        .integer_in(fields, "group_share_percent", 0..=100, false)
        .unwrap_or(0) as u32;
    // A group is at least two supervisees.
    let group_size_max = reader.integer_in(fields, "group_size_max", 2..=100, false).unwrap_or(2) as u32;
    let month_max = reader.hours(fields, "month_max", false);
    if month_max == Some(Hours::ZERO) {
        reader.error(
            fields.span_of("month_max"),
            fields.path_to("month_max"),
            "a monthly limit of 0 hours would count nothing",
        );
    }
    if let (Some(max), Some(total)) = (month_max, total)
        && max > total
    {
        reader.error(
            fields.span_of("month_max"),
            fields.path_to("month_max"),
            format!("the monthly cap ({max} hours) is above the requirement's total ({total} hours)"),
        );
    }
    let span = span_from(reader, fields);
    let primary_required = reader.boolean(fields, "primary_required", true);
    Some(SupervisionRule {
        total: total?,
        group_share_percent,
        group_size_max,
        month_max,
        span,
        primary_required,
    })
}

fn documents_from(reader: &mut Reader<'_>, fields: &mut Fields<'_, '_>, lists: &BoardLists) -> Option<Rule> {
    let tables = reader.tables(fields, "required");
    if tables.is_empty() {
        reader.error(
            fields.span.clone(),
            fields.path_to("required"),
            "list the documents, such as required = [{ kind = \"transcript\", count = 1 }]",
        );
        return None;
    }
    let mut required: Vec<DocumentNeed> = Vec::new();
    for (index, (span, table)) in tables.into_iter().enumerate() {
        let mut need = Fields::of(table, span, format!("{}[{index}]", fields.path_to("required")));
        let kind = reader.string(&mut need, "kind");
        let count = reader.integer_in(&mut need, "count", 1..=20, false).unwrap_or(1) as u32;
        reader.refuse_unknown(&need, "a document");
        let Some(kind) = kind else { continue };
        if !lists.has_document_kind(&kind) {
            reader.error(
                need.span_of("kind"),
                need.path_to("kind"),
                format!("\"{kind}\" is not a document kind in the board lists"),
            );
        } else if required.iter().any(|other| other.kind == kind) {
            reader.error(
                need.span_of("kind"),
                need.path_to("kind"),
                format!("\"{kind}\" is listed twice"),
            );
        } else {
            required.push(DocumentNeed { kind, count });
        }
    }
    Some(Rule::Documents { required })
}
