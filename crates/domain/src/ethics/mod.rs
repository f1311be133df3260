//! Ethics complaints and the cases they open: intake, the respondent's reply, evidence notes and
//! the committee's decision with its sanction.

pub mod cases;
