mod accounts;
mod api;
mod operations;
mod passkeys;
