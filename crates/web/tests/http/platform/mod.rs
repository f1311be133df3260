mod accounts;
mod api;
mod lists;
mod operations;
mod passkeys;
