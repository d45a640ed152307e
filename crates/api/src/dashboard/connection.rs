//! One connection: health and its failing exports, resolution, uptime bars, job history,
//! run now, and the credentials form (same validation as the API, errors inline).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use chrono::Utc;
use serde_json::{Map, Value};
use tributary_model::{ConnectionState, DataExportType, HealthName};
use tributary_store::{models::ConnectionRecord, ListWindow};

use super::{
    render,
    view::{badge_class, owner_label, warnings, when, WarningView},
    Session,
};
use crate::{
    app::{
        connections::{self, ConnectionUpdate, ParseContext},
        health::connection_uptime,
        invites, jobs, wire,
    },
    state::AppState,
    ApiError,
};

pub struct HealthView {
    pub status: String,
    pub description: String,
    pub owner: &'static str,
    pub checked_at: String,
    pub job_id: String,
    pub unhealthy_since: String,
    pub failures: u32,
    pub resolution: String,
    pub details: Vec<DetailView>,
    pub warnings: Vec<WarningView>,
    pub freshness: Vec<FreshnessView>,
}

/// One export's data age (`health.freshness`).
pub struct FreshnessView {
    pub export: String,
    pub newest: String,
    pub data_age: String,
    pub last_pull: String,
    pub pull_age: String,
}

/// Seconds as the largest whole units that matter: `3 h 12 min`, `45 s`; "—" for none.
fn age(secs: Option<i64>) -> String {
    let Some(s) = secs else {
        return "—".into();
    };
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

pub struct DetailView {
    pub export: String,
    pub endpoint: String,
    pub name: String,
    pub http: String,
    pub message: String,
}

/// How many records of one export the connection has, and the page that lists them.
pub struct RecordCount {
    pub name: &'static str,
    pub count: i64,
    pub page: Option<&'static str>,
}

/// The dashboard page that browses `export`'s records.
fn records_page(export: DataExportType) -> Option<&'static str> {
    match export {
        DataExportType::Devices | DataExportType::Assets => Some("devices"),
        DataExportType::Alerts => Some("alerts"),
        DataExportType::Vulnerabilities => Some("findings"),
        DataExportType::Users => Some("users"),
        DataExportType::Groups => Some("groups"),
        // Applications and policies are counted; the API lists them.
        DataExportType::Applications | DataExportType::Policies => None,
    }
}

pub struct Bar {
    pub color: &'static str,
    pub title: String,
}

pub struct FieldView {
    pub name: &'static str,
    pub required: bool,
    pub secret: bool,
    pub value: String,
    pub error: Option<String>,
}

pub struct ExportView {
    pub name: String,
    pub upserted: u64,
    pub quarantined: u64,
    pub pages: u64,
    pub error: Option<String>,
}

pub struct JobView {
    pub started: String,
    pub trigger: String,
    pub status: String,
    pub health: String,
    pub duration: String,
    pub exports: Vec<ExportView>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "dashboard/connection.html")]
struct Page {
    csrf: String,
    id: String,
    label: String,
    organization: String,
    vendor: String,
    state: String,
    identifier: String,
    refresh: i64,
    timeout: i64,
    /// The connection's freshness target, in words.
    freshness_target: Option<String>,
    next_run: String,
    records: Vec<RecordCount>,
    health_name: String,
    class: &'static str,
    health: Option<HealthView>,
    bars: Vec<Bar>,
    uptime: String,
    fields: Vec<FieldView>,
    jobs: Vec<JobView>,
    notice: Option<String>,
    errors: Vec<String>,
    /// A fix link just made: its URL and expiry.
    fix_link: Option<(String, String)>,
    /// Reload while a job is queued or running, so the page shows its result.
    auto_reload: bool,
}

async fn load(state: &AppState, session: &Session, id: &str) -> Result<ConnectionRecord, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "Connection not found").into_response();
    let id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    match state
        .store
        .get_connection(session.caller.account_id, id)
        .await
    {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(not_found()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

fn health_view(c: &ConnectionRecord) -> Option<HealthView> {
    let h = wire::connection(c).health?;
    Some(HealthView {
        status: format!("{:?}", h.status).to_uppercase(),
        description: h.description.clone(),
        owner: owner_label(h.resolution_owner),
        checked_at: when(Some(h.checked_at)),
        job_id: h.last_job_id.to_string(),
        unhealthy_since: when(h.unhealthy_since),
        failures: h.consecutive_failures,
        resolution: h.resolution.clone(),
        warnings: warnings(&h.advisories),
        freshness: h
            .freshness
            .iter()
            .map(|f| FreshnessView {
                export: f.data_export_type.to_string(),
                newest: when(f.newest_record_at),
                data_age: age(f.data_age_secs),
                last_pull: when(f.last_successful_pull_at),
                pull_age: age(f.pull_age_secs),
            })
            .collect(),
        details: h
            .details
            .unwrap_or_default()
            .into_iter()
            .map(|d| DetailView {
                export: d.data_export_type.to_string(),
                endpoint: d.endpoint,
                name: d.name.to_string(),
                http: d
                    .http_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".into()),
                message: d.message,
            })
            .collect(),
    })
}

fn bar_color(worst: Option<HealthName>, ratio: Option<f64>) -> &'static str {
    match (worst, ratio) {
        (None, _) => "#d0d5dd",
        (Some(HealthName::Healthy), _) => "#17b26a",
        (Some(n), r) => match badge_class(Some(n)) {
            _ if r.is_some_and(|r| r >= 0.5) => "#fdb022",
            "customer" => "#f79009",
            "vendor" => "#6172f3",
            _ => "#f04438",
        },
    }
}

/// Renders the page; `form` carries values and errors of a failed credentials form.
async fn render_page(
    state: &AppState,
    session: &Session,
    c: &ConnectionRecord,
    notice: Option<String>,
    errors: Vec<String>,
    form: Option<(Map<String, Value>, HashMap<String, String>)>,
) -> Result<Response, ApiError> {
    render_page_with(state, session, c, notice, errors, form, None).await
}

async fn render_page_with(
    state: &AppState,
    session: &Session,
    c: &ConnectionRecord,
    notice: Option<String>,
    errors: Vec<String>,
    form: Option<(Map<String, Value>, HashMap<String, String>)>,
    fix_link: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let account = session.caller.account_id;
    let spec = connections::spec_of(state, c.vendor)?;
    let jobs = state
        .store
        .list_jobs(account, c.id, ListWindow::first(20))
        .await?
        .items;
    let running = jobs.iter().any(|j| !j.status.is_finished());
    let uptime = connection_uptime(state, account, c.id, c.created_at, 14).await?;
    let counts = state.store.record_counts(account, c.id).await?;
    let (values, field_errors) = form.unwrap_or_default();
    let name = c.health.as_ref().map(|h| h.name);
    let page = Page {
        csrf: session.csrf.clone(),
        id: c.id.to_string(),
        label: connections::label(state, c),
        organization: c.organization_name.clone().unwrap_or_default(),
        vendor: state.engine.registry().display_name(c.vendor),
        state: c.state.to_string(),
        identifier: c.identifier.clone().unwrap_or_else(|| "—".into()),
        refresh: c.refresh_interval_secs,
        timeout: c.timeout_secs,
        freshness_target: c.freshness_target_secs.map(|t| age(Some(t))),
        next_run: if c.state == ConnectionState::Active {
            when(c.next_run_at)
        } else {
            "not scheduled".into()
        },
        records: spec
            .exports
            .iter()
            .map(|e| RecordCount {
                name: e.data_export_type.as_str(),
                count: counts.get(e.data_export_type),
                page: records_page(e.data_export_type),
            })
            .collect(),
        health_name: name.map_or("NOT CHECKED YET".into(), |n| n.to_string()),
        class: badge_class(name),
        health: health_view(c),
        uptime: uptime
            .uptime_ratio
            // `+ 0.0` turns a -0.0 ratio into 0.0, so it never prints as "-0.00%".
            .map(|r| format!("{:.2}% healthy", (r * 100.0).max(0.0) + 0.0))
            .unwrap_or_default(),
        bars: uptime
            .days
            .iter()
            .map(|d| Bar {
                color: bar_color(d.worst, d.uptime_ratio),
                title: format!(
                    "{}: {}",
                    d.date,
                    d.uptime_ratio
                        .map(|r| format!("{:.1}% healthy", r * 100.0))
                        .unwrap_or_else(|| "no data".into())
                ),
            })
            .collect(),
        fields: spec
            .credentials
            .iter()
            .map(|field| FieldView {
                name: field.name,
                required: field.is_required(),
                secret: field.is_secret(),
                // Secrets are never echoed back, not even after a failed submit.
                value: if field.is_secret() {
                    String::new()
                } else {
                    values
                        .get(field.name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                },
                error: field_errors.get(field.name).cloned(),
            })
            .collect(),
        jobs: jobs
            .iter()
            .map(|j| job_view(&wire::job(j, Utc::now())))
            .collect(),
        notice,
        errors,
        fix_link,
        auto_reload: running,
    };
    Ok(render(&page))
}

fn job_view(j: &tributary_model::job::Job) -> JobView {
    JobView {
        started: when(j.started_at.or(Some(j.created_at))),
        trigger: j.trigger.as_str().to_owned(),
        status: j.status.to_string(),
        health: j.health.map_or("—".into(), |h| h.to_string()),
        duration: j.duration_secs.map_or("—".into(), |d| format!("{d:.1} s")),
        exports: j
            .exports
            .iter()
            .map(|e| ExportView {
                name: e.data_export_type.to_string(),
                upserted: e.records_upserted,
                quarantined: e.records_quarantined,
                pages: e.pages,
                error: e.error.clone(),
            })
            .collect(),
        error: j.error.clone().unwrap_or_default(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let c = match load(&state, &session, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let notice = q.get("notice").cloned();
    render_page(&state, &session, &c, notice, vec![], None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub async fn run_now(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !session.check_csrf(form.get("csrf")) {
        return (StatusCode::FORBIDDEN, "Invalid form token").into_response();
    }
    let c = match load(&state, &session, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let notice = match jobs::run_now(&state, &session.caller, &c).await {
        Ok(_) => "A job was queued.",
        Err(ApiError::Conflict(_)) if c.state != ConnectionState::Active => {
            "Only ACTIVE connections can run."
        }
        Err(ApiError::Conflict(_)) => "A job is already queued or running.",
        Err(e) => return e.into_response(),
    };
    Redirect::to(&format!(
        "/dashboard/connections/{}?notice={}",
        c.id,
        urlencode(notice)
    ))
    .into_response()
}

/// A fix link for the customer: an update token's hosted page, shown once on this page
/// (never put in a URL of the dashboard).
pub async fn fix_link(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !session.check_csrf(form.get("csrf")) {
        return (StatusCode::FORBIDDEN, "Invalid form token").into_response();
    }
    let c = match load(&state, &session, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let link = match invites::fix_link(&state, &session.caller, &c, None).await {
        Ok(link) => link,
        Err(e) => return e.into_response(),
    };
    render_page_with(
        &state,
        &session,
        &c,
        None,
        vec![],
        None,
        Some((link.url, when(Some(link.expires_at)))),
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The credentials form: the API's validation (422 → inline field errors) and the vendor
/// check (refused → inline error, nothing saved).
pub async fn save_credentials(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !session.check_csrf(form.get("csrf")) {
        return (StatusCode::FORBIDDEN, "Invalid form token").into_response();
    }
    let c = match load(&state, &session, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let spec = match connections::spec_of(&state, c.vendor) {
        Ok(spec) => spec,
        Err(e) => return e.into_response(),
    };
    let values: Map<String, Value> = spec
        .credentials
        .iter()
        .filter_map(|f| {
            form.get(f.name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (f.name.to_owned(), Value::String(v.clone())))
        })
        .collect();
    let body = serde_json::json!({ "credentials": Value::Object(values.clone()) });
    let result = match ConnectionUpdate::parse(&body, spec, ParseContext::of(&state)) {
        Ok(patch) => connections::update(&state, &session.caller, &c, patch).await,
        Err(e) => Err(e),
    };
    let (errors, field_errors) = match result {
        Ok(_) => {
            let notice = "Credentials accepted by the vendor and saved; a sync is running.";
            return Redirect::to(&format!(
                "/dashboard/connections/{}?notice={}",
                c.id,
                urlencode(notice)
            ))
            .into_response();
        }
        Err(ApiError::Validation(list)) => {
            let mut fields = HashMap::new();
            for e in list {
                let name = e
                    .loc
                    .last()
                    .and_then(|l| serde_json::to_value(l).ok())
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                fields.insert(name, e.msg);
            }
            (vec!["Some fields need attention.".to_owned()], fields)
        }
        Err(e @ (ApiError::BadRequest(_) | ApiError::Unavailable(_) | ApiError::Conflict(_))) => {
            (vec![e.to_string()], HashMap::new())
        }
        Err(e) => return e.into_response(),
    };
    let mut response = render_page(
        &state,
        &session,
        &c,
        None,
        errors,
        Some((values, field_errors)),
    )
    .await
    .unwrap_or_else(IntoResponse::into_response);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}
