//! Per-vendor connection options (`options` on create): never secret, returned as given.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::{
    validation::{FieldError, LocItem},
    Vendor,
};

/// Options every vendor takes.
const COMMON: &[&str] = &["init_load_timestamp"];

fn vendor_keys(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        // An MSSP parent can read a child tenant (CID) with its own API client.
        Vendor::Crowdstrike => &["member_cid"],
        // Scope the pull to some sites or accounts of a multi-site console.
        Vendor::Sentinelone => &["site_ids", "account_ids"],
        Vendor::MsDefenderEndpoint => &[],
    }
}

/// Validates `options` for `vendor`: `init_load_timestamp` (RFC 3339; the first sync pulls
/// records updated since then), CrowdStrike `member_cid` (string), SentinelOne `site_ids`
/// and `account_ids` (arrays of strings). Errors are relative to the options object.
pub fn parse_options(vendor: Vendor, value: &Value) -> Result<Option<Value>, Vec<FieldError>> {
    let obj = match value {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => {
            return Err(vec![FieldError::new(
                vec![],
                "model_attributes_type",
                "Input should be a valid dictionary or object",
            )])
        }
    };
    let mut errors = Vec::new();
    let mut out = Map::new();
    for (key, v) in obj {
        let loc = vec![LocItem::from(key.as_str())];
        if !COMMON.contains(&key.as_str()) && !vendor_keys(vendor).contains(&key.as_str()) {
            errors.push(FieldError::new(
                loc,
                "extra_forbidden",
                format!("Unknown option for {vendor}"),
            ));
            continue;
        }
        let ok = match (key.as_str(), v) {
            (_, Value::Null) => true,
            ("init_load_timestamp", Value::String(s)) => DateTime::parse_from_rfc3339(s).is_ok(),
            ("member_cid", Value::String(s)) => !s.trim().is_empty() && s.len() <= 64,
            ("site_ids" | "account_ids", Value::Array(items)) => {
                items.len() <= 500
                    && items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|s| !s.is_empty()))
            }
            _ => false,
        };
        if ok {
            out.insert(key.clone(), v.clone());
        } else {
            let expected = match key.as_str() {
                "init_load_timestamp" => "an RFC 3339 date-time",
                "site_ids" | "account_ids" => "a list of non-empty strings",
                _ => "a non-empty string",
            };
            errors.push(FieldError::new(
                loc,
                "value_error",
                format!("Input should be {expected}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Some(Value::Object(out)))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn options_per_vendor() {
        assert!(parse_options(Vendor::Sentinelone, &json!({"site_ids": ["1"]})).is_ok());
        assert!(parse_options(Vendor::Crowdstrike, &json!({"site_ids": ["1"]})).is_err());
        let errs = parse_options(
            Vendor::MsDefenderEndpoint,
            &json!({"init_load_timestamp": "yesterday"}),
        )
        .unwrap_err();
        assert_eq!(errs[0].loc, vec![LocItem::from("init_load_timestamp")]);
        assert_eq!(
            parse_options(Vendor::Crowdstrike, &Value::Null).unwrap(),
            None
        );
    }
}
