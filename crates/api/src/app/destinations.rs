//! Where Tributary will send requests on a customer's behalf: vendor base URLs and webhook
//! URLs. The body parsers apply the guard's static rules; saving also resolves the host,
//! so a name that points at loopback or a private network (`localhost.`, a name in
//! `/etc/hosts`, a DNS record) is a 422 `url_not_allowed` and nothing is saved.

use tributary_model::credentials::Credentials;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Resolves every base URL of `creds`; errors are located under `["body", "credentials"]`.
pub async fn check_credentials(state: &AppState, creds: &Credentials) -> ApiResult<()> {
    let mut errors = Vec::new();
    for (field, url) in creds.base_urls() {
        if let Err(ApiError::Validation(e)) =
            check_url(state, &["body", "credentials", field], url).await
        {
            errors.extend(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Resolves `url`'s host; a non-public address is a 422 at `loc`.
pub async fn check_url(state: &AppState, loc: &[&str], url: &str) -> ApiResult<()> {
    match state.guard.check_on_save(url).await {
        Ok(_) => Ok(()),
        Err(e) => Err(ApiError::invalid(loc, "url_not_allowed", e.to_string())),
    }
}
