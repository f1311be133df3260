//! The practice side: client records, intake, consent, treatment, notes, homework, education and
//! summaries back to the referrer. The certifying board never reaches anything here; the issues
//! that build the practice add their files to this folder in every crate (see ARCHITECTURE.md).
