mod accounts;
mod api;
mod dashboard;
mod lists;
mod operations;
mod passkeys;
