pub(crate) mod profiles;
