//! Server-rendered SVG charts. No script runs in the browser: the chart is markup, with a text
//! alternative for screen readers, and colours passed as attributes (the CSP forbids inline
//! styles, not presentation attributes).

use std::fmt::Write;

use domain::credentialing::evidence::{Evidence, SignOff};
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{Program, Rule};
use time::Date;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
/// Colours with at least 3:1 contrast on white, told apart by their dash pattern as well.
const SERIES_STYLE: [(&str, &str); 6] = [
    ("#1d4ed8", ""),
    ("#b45309", "6 3"),
    ("#047857", "2 3"),
    ("#7c3aed", "8 3 2 3"),
    ("#be123c", "10 4"),
    ("#0f766e", "4 4"),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One line: cumulative hours by date.
struct Series {
    name: String,
    points: Vec<(Date, Hours)>,
    total: Hours,
    needed: Hours,
}

fn cumulative(name: String, mut entries: Vec<(Date, Hours)>, needed: Hours) -> Series {
    entries.sort_by_key(|(date, _)| *date);
    let mut running = Hours::ZERO;
    let mut points = Vec::new();
    for (date, hours) in entries {
        running += hours;
        match points.last_mut() {
            Some((last, total)) if *last == date => *total = running,
            _ => points.push((date, running)),
        }
    }
    Series {
        name,
        points,
        total: running,
        needed,
    }
}

/// Cumulative hours logged over time, one line per hour requirement of `program` plus
/// countersigned supervision.
pub fn hours_over_time(evidence: &Evidence, program: &Program, today: Date) -> String {
    let mut series = Vec::new();
    for requirement in &program.requirements {
        match &requirement.rule {
            Rule::Hours(rule) => {
                let entries = evidence
                    .hours
                    .iter()
                    .filter(|entry| entry.log == rule.log && entry.date <= today)
                    .map(|entry| (entry.date, entry.hours))
                    .collect();
                series.push(cumulative(requirement.title.clone(), entries, rule.total));
            }
            Rule::Supervision(rule) => {
                let entries = evidence
                    .supervision
                    .iter()
                    .filter(|entry| entry.sign_off == SignOff::Countersigned && entry.date <= today)
                    .map(|entry| (entry.date, entry.hours))
                    .collect();
                series.push(cumulative(requirement.title.clone(), entries, rule.total));
            }
            _ => {}
        }
    }
    render(&series, today)
}

fn render(series: &[Series], today: Date) -> String {
    let first = series.iter().filter_map(|s| s.points.first().map(|(d, _)| *d)).min();
    let mut svg = String::new();
    let summary: Vec<String> = series
        .iter()
        .map(|s| format!("{}: {} of {} hours", s.name, s.total, s.needed))
        .collect();
    let label = if first.is_none() {
        "No hours logged yet.".to_owned()
    } else {
        format!("Hours logged over time. {}.", summary.join("; "))
    };
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"chart-title\">Hours over time</title><desc id=\"chart-desc\">{}</desc>",
        escape(&label)
    );
    let Some(first) = first else {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">No hours logged yet</text></svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return svg;
    };
    let span_days = ((today - first).whole_days().max(1)) as f64;
    let top_hours = series
        .iter()
        .map(|s| s.total.max(s.needed).centi())
        .max()
        .unwrap_or(100)
        .max(100) as f64
        / 100.0;
    let x = |date: Date| LEFT + ((date - first).whole_days() as f64 / span_days) * (WIDTH - LEFT - RIGHT);
    let y = |hours: f64| TOP + (1.0 - hours / top_hours) * (HEIGHT - TOP - BOTTOM);
    // Axes and four horizontal guides with their hour values.
    for step in 0..=4 {
        let value = top_hours * f64::from(step) / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d1d5db\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#374151\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(value) + 4.0,
            value.round(),
            y = y(value),
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{LEFT}\" y=\"{}\" font-size=\"11\" fill=\"#374151\">{first}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"#374151\">{today}</text>",
        HEIGHT - BOTTOM + 16.0,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM + 16.0
    );
    for (index, line) in series.iter().enumerate() {
        let (colour, dash) = SERIES_STYLE[index % SERIES_STYLE.len()];
        if line.points.is_empty() {
            continue;
        }
        let mut path = format!("M{:.1},{:.1}", x(first), y(0.0));
        for (date, total) in &line.points {
            let hours = f64::from(total.centi()) / 100.0;
            let _ = write!(path, " L{:.1},{:.1}", x(*date), y(hours));
        }
        let last = f64::from(line.total.centi()) / 100.0;
        let _ = write!(path, " L{:.1},{:.1}", x(today), y(last));
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        };
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The legend (colour, dash pattern and name of each line), in the order of the lines.
pub fn legend(program: &Program) -> Vec<(&'static str, &'static str, String)> {
    program
        .requirements
        .iter()
        .filter(|r| matches!(r.rule, Rule::Hours(_) | Rule::Supervision(_)))
        .enumerate()
        .map(|(index, requirement)| {
            let (colour, dash) = SERIES_STYLE[index % SERIES_STYLE.len()];
            (colour, dash, requirement.title.clone())
        })
        .collect()
}
