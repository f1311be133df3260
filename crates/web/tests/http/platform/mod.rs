mod accounts;
mod api;
mod dashboard;
mod devices;
mod lists;
mod operations;
mod passkeys;
