//! The bodies of connection requests: they parse into the types the OpenAPI document
//! publishes, reporting every problem at once.

use serde_json::Value;
use tributary_connectors::{guard::UrlGuard, Registry, VendorSpec};
use tributary_model::{
    credentials::Credentials,
    freshness::{FRESHNESS_TARGET_MAX_SECS, FRESHNESS_TARGET_MIN_SECS},
    options::parse_options,
    ConnectionState, Vendor,
};
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
    validate::BodyFields,
};

/// Default seconds between scheduled jobs (4 hours).
pub const DEFAULT_REFRESH_INTERVAL_SECS: i64 = 14_400;
/// Default job time limit (30 minutes).
pub const DEFAULT_TIMEOUT_SECS: i64 = 1_800;
/// `refresh_interval_secs` bounds: one minute to 30 days.
pub const REFRESH_BOUNDS: (i64, i64) = (60, 2_592_000);
/// `timeout_secs` bounds: ten seconds to one day.
pub const TIMEOUT_BOUNDS: (i64, i64) = (10, 86_400);

/// Body of a create-connection request.
#[derive(Debug, ToSchema)]
pub struct ConnectionCreate {
    pub vendor: Vendor,
    /// The vendor's credential object (`GET /v1/connectors` lists each vendor's fields).
    /// Write-only: never returned.
    #[schema(value_type = Object)]
    pub credentials: Credentials,
    /// Your own external reference for this connection (at most 255 characters).
    pub identifier: Option<String>,
    /// Seconds between scheduled jobs, 60–2592000 (default 14400).
    #[schema(minimum = 60, maximum = 2592000)]
    pub refresh_interval_secs: Option<i64>,
    /// Job time limit in seconds, 10–86400 (default 1800).
    #[schema(minimum = 10, maximum = 86400)]
    pub timeout_secs: Option<i64>,
    /// Optional freshness target in seconds, 60–7776000: an export without a successful
    /// pull for longer raises the advisory FRESHNESS_TARGET_MISSED (docs/health.md).
    #[schema(minimum = 60, maximum = 7776000)]
    pub freshness_target_secs: Option<i64>,
    /// Vendor options: `init_load_timestamp` for every vendor, and each vendor's own
    /// (`GET /v1/connectors` lists them).
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

/// Body of a PATCH: every field optional; a PATCH without `state` keeps the state.
#[derive(Debug, Default, ToSchema)]
pub struct ConnectionUpdate {
    /// New credentials: validated against the vendor before they are saved.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Credentials>,
    /// A new identifier; null clears it.
    #[schema(value_type = Option<String>)]
    pub identifier: Option<Option<String>>,
    /// `ACTIVE` or `PAUSED` (use DELETE to delete).
    pub state: Option<ConnectionState>,
    #[schema(minimum = 60, maximum = 2592000)]
    pub refresh_interval_secs: Option<i64>,
    #[schema(minimum = 10, maximum = 86400)]
    pub timeout_secs: Option<i64>,
    /// A new freshness target in seconds, 60–7776000; null removes it.
    #[schema(value_type = Option<i64>, minimum = 60, maximum = 7776000)]
    pub freshness_target_secs: Option<Option<i64>>,
}

/// What parsing a body needs besides the body: the vendors and the outbound URL guard.
#[derive(Clone, Copy)]
pub struct ParseContext<'a> {
    pub registry: &'a Registry,
    pub guard: &'a UrlGuard,
}

impl<'a> ParseContext<'a> {
    pub fn of(state: &'a AppState) -> Self {
        ParseContext {
            registry: state.engine.registry(),
            guard: &state.guard,
        }
    }

    /// Parses credentials for `spec` and applies the outbound URL guard to its base URLs.
    /// Errors are located under `["body", "credentials"]`.
    pub fn credentials(&self, spec: &VendorSpec, value: &Value) -> ApiResult<Credentials> {
        let creds = spec.parse_credentials(value).map_err(|errs| {
            ApiError::Validation(
                errs.into_iter()
                    .map(|e| e.under(&["body", "credentials"]))
                    .collect(),
            )
        })?;
        for (field, url) in creds.base_urls() {
            let raw = value.get(field).and_then(Value::as_str).unwrap_or(url);
            let shaped = self.guard.check_shape(raw, false);
            if let Err(e) = shaped.and_then(|()| self.guard.check_static(url).map(drop)) {
                return Err(ApiError::invalid(
                    &["body", "credentials", field],
                    "url_not_allowed",
                    e.to_string(),
                ));
            }
        }
        Ok(creds)
    }
}

/// Moves validation errors of a nested parse into `errors`; other errors end the parse.
fn collect<T>(
    result: ApiResult<T>,
    errors: &mut Vec<tributary_model::validation::FieldError>,
) -> ApiResult<Option<T>> {
    match result {
        Ok(t) => Ok(Some(t)),
        Err(ApiError::Validation(e)) => {
            errors.extend(e);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl ConnectionCreate {
    /// Parses and validates a create body, reporting every problem at once.
    pub fn parse(body: &Value, cx: ParseContext<'_>) -> ApiResult<Self> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let spec = f.required("vendor").and_then(|v| {
            match v.as_str().map(|name| cx.registry.parse(name)) {
                Some(Ok(spec)) => Some(spec),
                _ => {
                    let expected = cx.registry.names();
                    f.error("vendor", "enum", format!("Input should be {expected}"));
                    None
                }
            }
        });
        let credentials = f.required("credentials");
        let identifier = f.nullable_string("identifier", 255).flatten();
        let refresh = f.optional_int("refresh_interval_secs", REFRESH_BOUNDS.0, REFRESH_BOUNDS.1);
        let timeout = f.optional_int("timeout_secs", TIMEOUT_BOUNDS.0, TIMEOUT_BOUNDS.1);
        let target = f.optional_int(
            "freshness_target_secs",
            FRESHNESS_TARGET_MIN_SECS,
            FRESHNESS_TARGET_MAX_SECS,
        );
        let options_raw = f.raw("options");
        let (mut creds, mut options) = (None, None);
        if let Some(spec) = spec {
            if let Some(c) = credentials {
                creds = collect(cx.credentials(spec, c), &mut f.errors)?;
            }
            match options_raw.map(|o| parse_options(spec.vendor, spec.options, o)) {
                Some(Ok(o)) => options = o,
                Some(Err(e)) => f
                    .errors
                    .extend(e.into_iter().map(|e| e.under(&["body", "options"]))),
                None => {}
            }
        }
        f.finish()?;
        Ok(ConnectionCreate {
            vendor: spec.expect("validated").vendor,
            credentials: creds.expect("validated"),
            identifier,
            refresh_interval_secs: refresh,
            timeout_secs: timeout,
            freshness_target_secs: target,
            options,
        })
    }
}

impl ConnectionUpdate {
    /// Parses and validates a PATCH body of a connection to `spec`'s vendor.
    pub fn parse(body: &Value, spec: &VendorSpec, cx: ParseContext<'_>) -> ApiResult<Self> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let creds_raw = f.raw("credentials").filter(|v| !v.is_null());
        let identifier = f.nullable_string("identifier", 255);
        let state = match f.raw("state") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "ACTIVE" => Some(ConnectionState::Active),
            Some(Value::String(s)) if s == "PAUSED" => Some(ConnectionState::Paused),
            Some(_) => {
                f.error(
                    "state",
                    "enum",
                    "Input should be 'ACTIVE' or 'PAUSED' (use DELETE to delete)",
                );
                None
            }
        };
        let refresh = f.optional_int("refresh_interval_secs", REFRESH_BOUNDS.0, REFRESH_BOUNDS.1);
        let timeout = f.optional_int("timeout_secs", TIMEOUT_BOUNDS.0, TIMEOUT_BOUNDS.1);
        let target = f.nullable_int(
            "freshness_target_secs",
            FRESHNESS_TARGET_MIN_SECS,
            FRESHNESS_TARGET_MAX_SECS,
        );
        let credentials = match creds_raw {
            Some(raw) => collect(cx.credentials(spec, raw), &mut f.errors)?,
            None => None,
        };
        f.finish()?;
        Ok(ConnectionUpdate {
            credentials,
            identifier,
            state,
            refresh_interval_secs: refresh,
            timeout_secs: timeout,
            freshness_target_secs: target,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::validate::assert_parser_follows_schema;

    fn cx() -> (Registry, UrlGuard) {
        (Registry::builtin(), UrlGuard::from_list("127.0.0.1"))
    }

    #[test]
    fn bodies_parse_into_the_published_types() {
        let (registry, guard) = cx();
        let cx = ParseContext {
            registry: &registry,
            guard: &guard,
        };
        assert_parser_follows_schema::<ConnectionCreate, _>(|b| ConnectionCreate::parse(b, cx));
        let spec = registry.parse("SENTINELONE").unwrap();
        let update = ConnectionUpdate::parse(&json!({}), spec, cx).unwrap();
        assert!(update.credentials.is_none() && update.state.is_none());
        assert_parser_follows_schema::<ConnectionUpdate, _>(|b| {
            // Nothing in a PATCH is required; refuse `{}` here to reach the check.
            if b.as_object().is_some_and(|o| o.is_empty()) {
                return Err(ApiError::Validation(vec![]));
            }
            ConnectionUpdate::parse(b, spec, cx)
        });
    }

    #[test]
    fn a_create_names_every_problem_and_the_known_vendors() {
        let (registry, guard) = cx();
        let cx = ParseContext {
            registry: &registry,
            guard: &guard,
        };
        let Err(ApiError::Validation(errors)) = ConnectionCreate::parse(
            &json!({"vendor": "QUALYSX", "credentials": {}, "timeout_secs": 1, "x": 1}),
            cx,
        ) else {
            panic!("refused")
        };
        let kinds: Vec<(&str, String)> = errors
            .iter()
            .map(|e| (e.kind.as_str(), serde_json::to_string(&e.loc).unwrap()))
            .collect();
        assert!(
            kinds.contains(&("enum", "[\"body\",\"vendor\"]".into())),
            "{kinds:?}"
        );
        assert!(kinds.contains(&("greater_than_equal", "[\"body\",\"timeout_secs\"]".into())));
        assert!(kinds.contains(&("extra_forbidden", "[\"body\",\"x\"]".into())));
        assert!(errors[0].msg.contains("'CROWDSTRIKE'"), "{}", errors[0].msg);
        let ok = ConnectionCreate::parse(
            &json!({"vendor": "SENTINELONE",
                    "credentials": {"base_url": "http://127.0.0.1:9", "api_token": "t"}}),
            cx,
        )
        .unwrap();
        assert_eq!(ok.vendor, Vendor::named("SENTINELONE"));
    }
}
