//! The public directory: `/directory` (search by place and radius or telehealth jurisdiction,
//! with filters and their counts; a plain GET form, so it works without JavaScript and every
//! search has a shareable address), `/directory/{id}` (a profile with its credentials
//! explained), and `/portal/profile` (the certified professional edits their profile).

use app::directory::gazetteer::ATTRIBUTION;
use app::directory::profiles::{DirectorySearch, FacetValue, ProfileEditor, PublicProfile, Visibility, kind_name};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::FieldErrors;
use domain::credentialing::programs::{BoardLists, CredentialKind};
use domain::directory::profiles::{
    Format, JURISDICTIONS, LANGUAGES, LocationInput, MAX_LOCATIONS, ProfileInput, SearchQuery,
};

use crate::context::Meta;
use crate::forms::{PostedPairs, as_form_errors};
use crate::page::{PageContext, SignedIn, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/directory", get(search))
        .route("/directory/{id}", get(profile))
        .route("/portal/profile", get(edit).post(save))
}

/// One checkbox of a filter.
#[derive(Debug, Clone)]
struct Choice {
    key: String,
    name: String,
    count: Option<u32>,
    checked: bool,
}

/// A group of checkboxes named `param`.
#[derive(Debug, Clone)]
struct Filter {
    param: &'static str,
    legend: &'static str,
    choices: Vec<Choice>,
}

/// The search form as typed (kept as text, so a refused value is shown back as typed).
#[derive(Debug, Clone, Default)]
struct Typed {
    place: String,
    radius: String,
    telehealth: String,
    max_fee: String,
    accepting: bool,
}

fn typed(pairs: &[(String, String)]) -> Typed {
    let mut typed = Typed::default();
    for (key, value) in pairs {
        match key.as_str() {
            "place" => typed.place = value.clone(),
            "radius" => typed.radius = value.clone(),
            "telehealth" => typed.telehealth = value.clone(),
            "max_fee" => typed.max_fee = value.clone(),
            "accepting" => typed.accepting = matches!(value.as_str(), "yes" | "true" | "1" | "on"),
            _ => {}
        }
    }
    typed
}

fn checked(pairs: &[(String, String)], param: &str, key: &str) -> bool {
    pairs.iter().any(|(k, v)| k == param && v == key)
}

fn choices(values: &[FacetValue], shown: bool) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            key: v.key.clone(),
            name: v.name.clone(),
            count: shown.then_some(v.count),
            checked: v.selected,
        })
        .collect()
}

/// The filters, with counts once a search ran, otherwise as typed.
fn filters(lists: &BoardLists, pairs: &[(String, String)], result: Option<&DirectorySearch>) -> Vec<Filter> {
    let plain = |param: &'static str, items: Vec<(String, String)>| -> Vec<Choice> {
        items
            .into_iter()
            .map(|(key, name)| Choice {
                checked: checked(pairs, param, &key),
                key,
                name,
                count: None,
            })
            .collect()
    };
    let from_list = |items: &[domain::credentialing::programs::ListItem]| -> Vec<(String, String)> {
        items.iter().map(|i| (i.key.clone(), i.name.clone())).collect()
    };
    let counted = result.filter(|r| r.place.is_some() || r.query.telehealth_in.is_some());
    match counted {
        Some(result) => vec![
            Filter {
                param: "concern",
                legend: "Concern",
                choices: choices(&result.facets.concerns, true),
            },
            Filter {
                param: "format",
                legend: "Sessions for",
                choices: choices(&result.facets.formats, true),
            },
            Filter {
                param: "credential",
                legend: "Credential",
                choices: choices(&result.facets.kinds, true),
            },
            Filter {
                param: "language",
                legend: "Language",
                choices: choices(&result.facets.languages, true),
            },
            Filter {
                param: "population",
                legend: "Experienced with",
                choices: choices(&result.facets.populations, true),
            },
            Filter {
                param: "insurance",
                legend: "Insurance and payment",
                choices: choices(&result.facets.insurers, true),
            },
        ],
        None => vec![
            Filter {
                param: "concern",
                legend: "Concern",
                choices: plain("concern", from_list(&lists.concerns)),
            },
            Filter {
                param: "format",
                legend: "Sessions for",
                choices: plain(
                    "format",
                    Format::ALL
                        .iter()
                        .map(|f| (f.key().to_owned(), f.name().to_owned()))
                        .collect(),
                ),
            },
            Filter {
                param: "credential",
                legend: "Credential",
                choices: plain(
                    "credential",
                    CredentialKind::ALL
                        .iter()
                        .map(|k| (k.as_str().to_owned(), kind_name(*k).to_owned()))
                        .collect(),
                ),
            },
            Filter {
                param: "language",
                legend: "Language",
                choices: plain(
                    "language",
                    LANGUAGES
                        .iter()
                        .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
                        .collect(),
                ),
            },
            Filter {
                param: "population",
                legend: "Experienced with",
                choices: plain("population", from_list(&lists.populations)),
            },
            Filter {
                param: "insurance",
                legend: "Insurance and payment",
                choices: plain("insurance", from_list(&lists.insurers)),
            },
        ],
    }
}

#[derive(Template)]
#[template(path = "directory/directory_search.html")]
struct SearchPage {
    ctx: PageContext,
    typed: Typed,
    filters: Vec<Filter>,
    jurisdictions: Vec<(&'static str, &'static str)>,
    radii: Vec<u16>,
    errors: FieldErrors,
    result: Option<DirectorySearch>,
    previous: Option<String>,
    next: Option<String>,
    attribution: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
}

impl SearchPage {
    /// How many filters below the place are chosen, shown on the collapsed "Filters" button.
    fn filters_chosen(&self) -> usize {
        let boxes: usize = self
            .filters
            .iter()
            .map(|f| f.choices.iter().filter(|c| c.checked).count())
            .sum();
        boxes + usize::from(self.typed.accepting) + usize::from(!self.typed.max_fee.trim().is_empty())
    }

    /// A filter with an error stays open so its message is seen.
    fn filters_open(&self) -> bool {
        self.filters_chosen() > 0
            || self.errors.get("max_fee").is_some()
            || self.filters.iter().any(|f| self.errors.get(f.param).is_some())
    }

    fn radius_selected(&self, km: &u16) -> bool {
        let typed = self.typed.radius.trim();
        if typed.is_empty() {
            *km == domain::directory::geo::Radius::DEFAULT_KM
        } else {
            typed == km.to_string()
        }
    }

    fn jurisdiction_name(&self, code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(|code| JURISDICTIONS.iter().find(|(c, _)| *c == code))
            .map_or("that jurisdiction", |(_, name)| name)
    }

    fn radius_km(&self) -> u16 {
        self.typed
            .radius
            .trim()
            .parse()
            .unwrap_or(domain::directory::geo::Radius::DEFAULT_KM)
    }

    fn kind_names(&self, kinds: &[CredentialKind]) -> String {
        kinds.iter().map(|k| kind_name(*k)).collect::<Vec<_>>().join(", ")
    }

    fn distance(&self, km: &Option<f64>) -> String {
        match km {
            Some(km) if *km < 1.0 => "under 1 km".to_owned(),
            Some(km) => format!("{km:.0} km ({:.0} mi)", km / 1.609_344),
            None => String::new(),
        }
    }
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    [
        CredentialKind::Therapist,
        CredentialKind::Counselor,
        CredentialKind::Educator,
    ]
    .iter()
    .map(|k| (kind_name(*k), k.helps_with()))
    .collect()
}

async fn search(
    State(state): State<ServerState>,
    ctx: PageContext,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let lists = app.directory_lists().await?;
    let mut data = SearchPage {
        ctx,
        typed: typed(&pairs),
        filters: Vec::new(),
        jurisdictions: JURISDICTIONS.to_vec(),
        radii: vec![5, 10, 25, 50, 100, 250],
        errors: FieldErrors::new(),
        result: None,
        previous: None,
        next: None,
        attribution: ATTRIBUTION,
        kinds: kinds(),
    };
    match SearchQuery::parse(&pairs, &lists) {
        Ok(query) => {
            let result = app.search_directory(&query).await?;
            if result.pages > 0 && query.page > result.pages {
                data.errors.add(
                    "page",
                    format!(
                        "This search has {} page{}; page {} is past the end.",
                        result.pages,
                        if result.pages == 1 { "" } else { "s" },
                        query.page
                    ),
                );
            }
            if query.page > 1 && query.page <= result.pages {
                data.previous = Some(query.to_query_string(query.page - 1));
            }
            if query.page < result.pages {
                data.next = Some(query.to_query_string(query.page + 1));
            }
            data.filters = filters(&lists, &pairs, Some(&result));
            let status = if data.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            data.result = Some(result);
            Ok(page_with_status(status, &data))
        }
        Err(errors) => {
            data.errors = errors;
            data.filters = filters(&lists, &pairs, None);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
    }
}

#[derive(Template)]
#[template(path = "directory/directory_profile.html")]
struct ProfilePage {
    ctx: PageContext,
    profile: PublicProfile,
    can_refer: bool,
}

impl ProfilePage {
    fn kind_name(&self, kind: &CredentialKind) -> &'static str {
        kind_name(*kind)
    }

    fn fees(&self) -> String {
        match (self.profile.fee_min, self.profile.fee_max) {
            (Some(min), Some(max)) if min != max => format!("${min}\u{2013}${max} per session"),
            (Some(fee), _) | (None, Some(fee)) => format!("${fee} per session"),
            (None, None) => String::new(),
        }
    }

    fn tips_paragraphs(&self) -> Vec<&str> {
        self.profile
            .tips
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

async fn profile(
    State(state): State<ServerState>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    app::directory::profiles::profile_id(&id)?;
    let profile = app.public_profile(&id).await?;
    let can_refer = ctx.viewer_has("referring_provider");
    page(&ProfilePage {
        ctx,
        profile,
        can_refer,
    })
}

/// One practice-location row of the form.
#[derive(Debug, Clone)]
struct LocationRow {
    index: usize,
    input: LocationInput,
}

#[derive(Template)]
#[template(path = "directory/portal_profile.html")]
struct EditPage {
    ctx: PageContext,
    editor: ProfileEditor,
    input: ProfileInput,
    locations: Vec<LocationRow>,
    errors: FieldErrors,
    saved: bool,
    formats: Vec<(&'static str, &'static str)>,
    languages: Vec<(&'static str, &'static str)>,
    jurisdictions: Vec<(&'static str, &'static str)>,
}

impl EditPage {
    fn has(&self, list: &[String], key: &str) -> bool {
        list.iter().any(|k| k == key)
    }

    fn error_at(&self, index: &usize, field: &str) -> Option<&str> {
        self.errors.get(&format!("locations[{index}].{field}"))
    }

    fn kind_name(&self, kind: &CredentialKind) -> &'static str {
        kind_name(*kind)
    }

    fn visibility_text(&self) -> &'static str {
        match self.editor.visibility {
            Visibility::Listed => "Your profile is in the directory.",
            Visibility::NotSaved => "Your profile is not in the directory yet: fill it in and save it.",
            Visibility::HiddenByChoice => {
                "Your profile is hidden: tick \u{201c}Show my profile in the directory\u{201d} to list it."
            }
            Visibility::NoCredentialInGoodStanding => {
                "Your profile is not shown: the directory lists only holders of a credential in good standing."
            }
        }
    }

    fn my_id(&self) -> String {
        self.ctx
            .viewer
            .as_ref()
            .map(|v| v.user_id.to_string())
            .unwrap_or_default()
    }

    fn is_listed(&self) -> bool {
        self.editor.visibility == Visibility::Listed
    }
}

fn edit_page(
    ctx: PageContext,
    editor: ProfileEditor,
    input: ProfileInput,
    errors: FieldErrors,
    saved: bool,
) -> EditPage {
    // The saved locations and one empty row to add another (up to the most allowed).
    let mut rows: Vec<LocationInput> = input.locations.clone();
    if rows.len() < MAX_LOCATIONS {
        rows.push(LocationInput {
            country: "US".into(),
            ..LocationInput::default()
        });
    }
    EditPage {
        ctx,
        locations: rows
            .into_iter()
            .enumerate()
            .map(|(index, input)| LocationRow { index, input })
            .collect(),
        editor,
        input,
        errors,
        saved,
        formats: Format::ALL.iter().map(|f| (f.key(), f.name())).collect(),
        languages: LANGUAGES.to_vec(),
        jurisdictions: JURISDICTIONS.to_vec(),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn edit(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let editor = state.ready_app()?.profile_editor(&session.actor, &meta).await?;
    let input = editor.input.clone();
    page(&edit_page(
        ctx,
        editor,
        input,
        FieldErrors::new(),
        query.saved.is_some(),
    ))
}

/// The profile form's fields from its pairs (checkboxes repeat their name; location fields
/// repeat once per row, in order).
pub fn profile_input(pairs: &[(String, String)]) -> ProfileInput {
    let mut input = ProfileInput::default();
    let mut addresses = Vec::new();
    let mut codes = Vec::new();
    let mut cities = Vec::new();
    let mut countries = Vec::new();
    for (key, value) in pairs {
        let value = value.clone();
        match key.as_str() {
            "listed" => input.listed = true,
            "pronouns" => input.pronouns = value,
            "practice_name" => input.practice_name = value,
            "location_address" => addresses.push(value),
            "location_postal_code" => codes.push(value),
            "location_city" => cities.push(value),
            "location_country" => countries.push(value),
            "telehealth" => input.telehealth = true,
            "jurisdiction" => input.jurisdictions.push(value),
            "format" => input.formats.push(value),
            "concern" => input.concerns.push(value),
            "population" => input.populations.push(value),
            "approach" => input.approaches.push(value),
            "language" => input.languages.push(value),
            "fee_min" => input.fee_min = value,
            "fee_max" => input.fee_max = value,
            "sliding_scale" => input.sliding_scale = true,
            "insurance" => input.insurers.push(value),
            "accepting_clients" => input.accepting_clients = true,
            "statement" => input.statement = value,
            "tips" => input.tips = value,
            "contact_email" => input.contact_email = value,
            "contact_phone" => input.contact_phone = value,
            "website" => input.website = value,
            _ => {}
        }
    }
    let rows = addresses
        .len()
        .max(codes.len())
        .max(cities.len())
        .min(MAX_LOCATIONS + 1);
    for i in 0..rows {
        let take = |list: &Vec<String>| list.get(i).cloned().unwrap_or_default();
        input.locations.push(LocationInput {
            address: take(&addresses),
            postal_code: take(&codes),
            city: take(&cities),
            country: take(&countries),
        });
    }
    input
}

async fn save(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    posted: PostedPairs,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let input = profile_input(&posted.pairs);
    if !posted.token_ok {
        let editor = app.profile_editor(&session.actor, &meta).await?;
        let data = edit_page(ctx, editor, input, PostedPairs::stale_errors(), false);
        return Ok(page_with_status(StatusCode::FORBIDDEN, &data));
    }
    match app.save_profile(&session.actor, &input, &meta).await {
        Ok(()) => Ok(Redirect::to("/portal/profile?saved=1").into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let editor = app.profile_editor(&session.actor, &meta).await?;
            let data = edit_page(ctx, editor, input, errors, false);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
    }
}
