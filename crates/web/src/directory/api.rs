//! The JSON API of the public directory search (`/api/v1/directory`).

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::ApiError;
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub(crate) fn routes() -> Routes {
    Routes::new().route("/api/v1/directory", get(directory))
}

/// White space as Rust's `str::trim` removes it (Unicode White_Space), as a regex class body.
const WHITE_SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode Cc), as a regex class body.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// The directory search's query parameters, with the values this server accepts today: the
/// code tables (formats, languages, jurisdictions, credential kinds) and the board's lists
/// (concerns, populations, insurers), which the board may change.
pub(crate) fn directory_parameters(
    lists: &domain::credentialing::programs::BoardLists,
) -> Vec<utoipa::openapi::path::Parameter> {
    use domain::credentialing::programs::{CredentialKind, ListItem};
    use domain::directory::profiles::{Format, JURISDICTIONS, LANGUAGES, MAX_FEE, MAX_PAGE, MAX_VALUES_PER_FILTER};
    use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Required, Type};

    let parameter = |name: &str, description: &str, schema: utoipa::openapi::Schema| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
    };
    // The values accepted, exactly as listed; the empty value counts as absent.
    let text = |values: Vec<String>| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(std::iter::once(String::new()).chain(values)))
            .build()
    };
    // A filter given once per value (`concern=a&concern=b`).
    let repeatable = |name: &str, description: &str, values: Vec<String>| -> Parameter {
        let items = ArrayBuilder::new()
            .items(text(values))
            .max_items(Some(MAX_VALUES_PER_FILTER))
            .build();
        parameter(name, description, items.into())
            .style(Some(ParameterStyle::Form))
            .explode(Some(true))
            .build()
    };
    // A whole number in range, or the empty value (which counts as absent, as for the lists).
    let whole = |minimum: usize, maximum: usize| -> utoipa::openapi::Schema {
        let number = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(minimum))
            .maximum(Some(maximum))
            .build();
        let empty = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([String::new()]))
            .build();
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(number)
            .item(empty)
            .build()
            .into()
    };
    let keys = |items: &[ListItem]| items.iter().map(|item| item.key.clone()).collect::<Vec<_>>();
    let codes = |table: &[(&str, &str)]| table.iter().map(|(code, _)| (*code).to_owned()).collect::<Vec<_>>();
    // Leading and trailing white space is trimmed; what remains may not hold control characters.
    let place = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(domain::directory::profiles::MAX_PLACE_CHARS))
        .pattern(Some(format!(
            "^[{WHITE_SPACE}]*(?:[^{CONTROL}]*[^{CONTROL}{WHITE_SPACE}])?[{WHITE_SPACE}]*$"
        )))
        .build();
    vec![
        parameter("place", "Postal code or city, e.g. 94108 or Portland, OR", place.into()).build(),
        parameter(
            "radius",
            "Kilometres around `place` (default 25); ignored without `place`",
            whole(1, usize::from(domain::directory::geo::Radius::MAX_KM)),
        )
        .build(),
        parameter(
            "telehealth",
            "Professionals who see clients by telehealth in this jurisdiction (ISO 3166-2)",
            text(codes(JURISDICTIONS)).into(),
        )
        .build(),
        repeatable("concern", "Concerns treated (the board's list)", keys(&lists.concerns)),
        repeatable(
            "format",
            "Formats offered",
            Format::ALL.iter().map(|f| f.key().to_owned()).collect(),
        ),
        repeatable("language", "Languages of sessions (ISO 639)", codes(LANGUAGES)),
        repeatable(
            "credential",
            "Kinds of credential in good standing",
            CredentialKind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
        ),
        repeatable(
            "population",
            "Populations served (the board's list)",
            keys(&lists.populations),
        ),
        repeatable(
            "insurance",
            "Insurers or payment arrangements accepted (the board's list)",
            keys(&lists.insurers),
        ),
        parameter(
            "accepting",
            "yes (or true, 1, on): only those taking new clients; no (or false, 0, any): everyone",
            text(
                ["yes", "true", "1", "on", "no", "false", "0", "any"]
                    .map(str::to_owned)
                    .to_vec(),
            )
            .into(),
        )
        .build(),
        parameter(
            "max_fee",
            "Lowest fee at most this (whole currency units), or a sliding scale",
            whole(0, MAX_FEE as usize),
        )
        .build(),
        parameter("page", "Page of results, from 1", whole(1, MAX_PAGE)).build(),
    ]
}

/// A place the gazetteer found.
#[derive(Serialize, ToSchema)]
pub struct DirectoryPlace {
    name: String,
    /// State or province abbreviation.
    region: String,
    country: String,
    postal_code: Option<String>,
    latitude: f64,
    longitude: f64,
    /// What to send as `place` to ask for this place.
    query: String,
}

impl DirectoryPlace {
    fn of(place: &app::directory::gazetteer::Place) -> DirectoryPlace {
        DirectoryPlace {
            name: place.name.clone(),
            region: place.region_code.clone(),
            country: place.country.clone(),
            postal_code: place.postal_code.clone(),
            latitude: place.coordinates.lat(),
            longitude: place.coordinates.lon(),
            query: place.query_text(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryLocation {
    city: String,
    region: String,
    postal_code: String,
    country: String,
}

/// One professional in the results.
#[derive(Serialize, ToSchema)]
pub struct DirectoryResult {
    id: String,
    name: String,
    pronouns: String,
    practice_name: String,
    /// Kinds of credential in good standing: `therapist`, `counselor`, `educator`, `supervisor`.
    credentials: Vec<String>,
    /// From the searched place to the nearest practice location.
    distance_km: Option<f64>,
    location: Option<DirectoryLocation>,
    telehealth: bool,
    accepting_new_clients: bool,
    fee_min: Option<i32>,
    fee_max: Option<i32>,
    sliding_scale: bool,
    concerns: Vec<String>,
    languages: Vec<String>,
    formats: Vec<String>,
    profile_url: String,
}

/// A wider search that finds someone, offered when nothing matched.
#[derive(Serialize, ToSchema)]
pub struct DirectoryWidening {
    label: String,
    /// The query string of that search.
    query: String,
    total: usize,
}

/// A directory search's answer.
#[derive(Serialize, ToSchema)]
pub struct DirectoryAnswer {
    /// The search asked, as a canonical query string (shareable).
    query: String,
    place: Option<DirectoryPlace>,
    /// When the place was not found: the nearest spellings or codes.
    place_suggestions: Option<Vec<DirectoryPlace>>,
    total: usize,
    page: usize,
    pages: usize,
    results: Vec<DirectoryResult>,
    /// For each filter (`concern`, `format`, `language`, `credential`, `population`,
    /// `insurance`), how many of the results have each value.
    facets: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u32>>,
    widen: Vec<DirectoryWidening>,
    attribution: String,
}

/// Searches the public directory: by `place` (postal code or city) and `radius`, or by
/// `telehealth` (an ISO 3166-2 code such as `US-CA`), or both; filters `concern`, `format`,
/// `language`, `credential`, `population`, `insurance` (repeat a filter to require several
/// values), `accepting`, `max_fee`; `page` from 1. Results are ordered by distance, then by a
/// stable key, 20 a page. Without `place` or `telehealth` the answer has no results. Unknown
/// parameters are ignored; an empty value counts as absent.
#[utoipa::path(get, path = "/api/v1/directory", tag = "directory",
    responses((status = 200, body = DirectoryAnswer),
        (status = 400, description = "The query string cannot be read", body = ApiError),
        (status = 422, description = "A value that is not accepted, named per parameter in `fields`", body = ApiError)))]
pub(crate) async fn directory(
    State(state): State<ServerState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<DirectoryAnswer>, WebError> {
    let app = state.ready_app()?;
    let query = app.parse_search(&pairs).await?;
    let found = app.search_directory(&query).await?;
    let mut facets = std::collections::BTreeMap::new();
    let counted = |values: &[app::directory::profiles::FacetValue]| {
        values
            .iter()
            .filter(|v| v.count > 0)
            .map(|v| (v.key.clone(), v.count))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    if found.place.is_some() || query.telehealth_in.is_some() {
        facets.insert("concern".to_owned(), counted(&found.facets.concerns));
        facets.insert("format".to_owned(), counted(&found.facets.formats));
        facets.insert("language".to_owned(), counted(&found.facets.languages));
        facets.insert("credential".to_owned(), counted(&found.facets.kinds));
        facets.insert("population".to_owned(), counted(&found.facets.populations));
        facets.insert("insurance".to_owned(), counted(&found.facets.insurers));
    }
    let public_url = app.config().public_url.clone();
    Ok(Json(DirectoryAnswer {
        query: query.to_query_string(query.page),
        place: found.place.as_ref().map(DirectoryPlace::of),
        place_suggestions: found
            .place_suggestions
            .as_ref()
            .map(|places| places.iter().map(DirectoryPlace::of).collect()),
        total: found.total,
        page: found.page,
        pages: found.pages,
        results: found
            .results
            .iter()
            .map(|card| DirectoryResult {
                id: card.user_id.clone(),
                name: card.name.clone(),
                pronouns: card.pronouns.clone(),
                practice_name: card.practice_name.clone(),
                credentials: card.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                distance_km: card.distance_km.map(|d| (d * 10.0).round() / 10.0),
                location: card.location.as_ref().map(|l| DirectoryLocation {
                    city: l.city.clone(),
                    region: l.region.clone(),
                    postal_code: l.postal_code.clone(),
                    country: l.country.clone(),
                }),
                telehealth: card.telehealth,
                accepting_new_clients: card.accepting_clients,
                fee_min: card.fee_min,
                fee_max: card.fee_max,
                sliding_scale: card.sliding_scale,
                concerns: card.concerns.iter().map(|c| c.key.clone()).collect(),
                languages: card.languages.iter().map(|l| l.key.clone()).collect(),
                formats: card.formats.iter().map(|f| f.key.clone()).collect(),
                profile_url: format!("{public_url}/directory/{}", card.user_id),
            })
            .collect(),
        facets,
        widen: found
            .widen
            .iter()
            .map(|w| DirectoryWidening {
                label: w.label.clone(),
                query: w.query_string.clone(),
                total: w.total,
            })
            .collect(),
        attribution: app::directory::gazetteer::ATTRIBUTION.to_owned(),
    }))
}
