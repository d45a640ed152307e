//! Whole-document rules that make the OpenAPI document as strict as the server: closed
//! request bodies, strings without control characters, bounded pagination, per-vendor
//! credentials, pages without the `oneOf` that `flatten` produces, and the answers every
//! operation can give (401, 429, 414; 415 with a body). Applied to the document's JSON.

use serde_json::{json, Map, Value};
use tributary_connectors::{url_shape, Registry, VendorSpec};
use tributary_model::{
    credentials::FieldKind,
    options::{OptionField, OptionKind, COMMON},
};

/// A string with at least one visible character and no control characters (the server
/// trims, and refuses `Cc` characters: NUL, escapes, CR, LF, tab, DEL, C1).
pub const PLAIN_TEXT: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";
/// A query value: anything without control characters (the server refuses those).
const NO_CONTROL: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";
/// A cursor as issued (base64url); one the server did not sign is a 422.
const CURSOR: &str = "^[A-Za-z0-9_-]*$";

/// Applies every rule to `doc`.
pub fn tighten(
    doc: &mut Value,
    registry: &Registry,
    lists: &[(&str, Vec<String>)],
    event_types: &[&str],
) {
    flatten_pages(doc);
    vendor_bodies(doc, registry);
    for_each_operation(doc, |op, has_body| {
        common_responses(op, has_body);
        bound_parameters(op);
        // EDR filters take the records' own (case-insensitive) names.
        if op["tags"] != json!(["EDR"]) {
            list_parameters(op, lists);
        }
    });
    close_request_bodies(doc);
    webhook_bodies(doc, event_types);
}

/// Comma-separated filters are arrays of their values, sent as `a,b` (form style,
/// not exploded): each value must be one of the listed ones.
fn list_parameters(op: &mut Map<String, Value>, lists: &[(&str, Vec<String>)]) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for p in params.iter_mut().filter(|p| p["in"] == "query") {
        let name = p["name"].as_str().unwrap_or_default();
        let Some((_, values)) = lists.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        p["schema"] = json!({"type": "array", "items": {"type": "string", "enum": values}});
        p["style"] = json!("form");
        p["explode"] = json!(false);
    }
}

/// Webhook bodies: https URLs on a public host name and the known event types; a
/// connection PATCH may not set `state` to DELETED or PENDING (DELETE deletes).
fn webhook_bodies(doc: &mut Value, event_types: &[&str]) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for name in ["WebhookCreate", "WebhookUpdate"] {
        let Some(props) = schemas.get_mut(name).map(|s| &mut s["properties"]) else {
            continue;
        };
        props["url"]["pattern"] = json!(url_shape::webhook_pattern());
        props["event_types"]["items"] = json!({"type": "string", "enum": event_types});
    }
    if let Some(state) = schemas
        .get_mut("ConnectionUpdate")
        .and_then(|s| s.pointer_mut("/properties/state"))
    {
        *state = json!({"type": ["string", "null"], "enum": ["ACTIVE", "PAUSED", null],
                        "description": "`ACTIVE` or `PAUSED` (use DELETE to delete)."});
    }
}

/// `Page_*`: one object with optional `next_cursor`/`previous_cursor` (present in cursor
/// mode) instead of `allOf[oneOf[null, CursorLinks], …]`.
fn flatten_pages(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if !name.starts_with("Page_") {
            continue;
        }
        let Some(mut page) = schema.pointer("/allOf/1").cloned() else {
            continue;
        };
        let cursor = json!({"type": ["string", "null"],
            "description": "Cursor mode only: pass back as `cursor`; null at the end"});
        if let Some(props) = page["properties"].as_object_mut() {
            props.insert("next_cursor".into(), cursor.clone());
            props.insert("previous_cursor".into(), cursor);
        }
        page["additionalProperties"] = json!(false);
        *schema = page;
    }
}

fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&mut Map<String, Value>, bool)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for method in ["get", "put", "post", "delete", "patch"] {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                let has_body = op.contains_key("requestBody");
                f(op, has_body);
            }
        }
    }
}

fn detail(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "string"}}}}}})
}

/// The answers any `/v1` operation can give, with their `{"detail"}` bodies and, for 429,
/// the rate-limit headers.
fn common_responses(op: &mut Map<String, Value>, has_body: bool) {
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    let int = |d: &str| json!({"description": d, "schema": {"type": "integer", "minimum": 0}});
    let mut limited = detail(
        "Too many requests: this API key's budget, or failed authentications from this address",
    );
    limited["headers"] = json!({
        "Retry-After": int("Seconds until a request is allowed"),
        "X-RateLimit-Limit": int("Requests in the full budget"),
        "X-RateLimit-Remaining": int("Requests left now"),
        "X-RateLimit-Reset": int("Seconds until the budget is full again"),
    });
    let mut add = |code: &str, response: Value| {
        responses.entry(code).or_insert(response);
    };
    add("401", detail("Missing, unknown or revoked API key"));
    add("414", detail("The URL is longer than 8192 bytes"));
    add("429", limited);
    if has_body {
        add(
            "413",
            detail("The body is larger than the limit (1 MiB by default)"),
        );
        add("415", detail("The body is not `application/json`"));
    }
    // Documented answers without a body spec get the `{"detail"}` body they carry.
    for (code, response) in responses.iter_mut() {
        let plain = response.get("content").is_none() && response.get("$ref").is_none();
        if plain && code.starts_with('4') && code != "422" {
            let description = response["description"].as_str().unwrap_or_default();
            let description = if description.is_empty() {
                "Error"
            } else {
                description
            };
            *response = detail(description);
        }
    }
}

/// Pagination and other bounded parameters say their bounds; free-text query values say
/// they take no control characters.
fn bound_parameters(op: &mut Map<String, Value>) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for p in params.iter_mut() {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        let schema = &mut p["schema"];
        match name.as_str() {
            "limit" => {
                schema["minimum"] = json!(1);
                schema["maximum"] = json!(1000);
            }
            "offset" => schema["minimum"] = json!(0),
            "days" => {
                schema["minimum"] = json!(1);
                schema["maximum"] = json!(90);
            }
            _ => {}
        }
        let is_text =
            schema["type"] == json!("string") || schema["type"] == json!(["string", "null"]);
        if is_text && schema.get("format").is_none() && schema.get("pattern").is_none() {
            let pattern = if name == "cursor" { CURSOR } else { NO_CONTROL };
            schema["pattern"] = json!(pattern);
        }
    }
}

/// Request bodies refuse unknown fields, and their strings take no control characters.
fn close_request_bodies(doc: &mut Value) {
    let mut names = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for op in paths
            .values()
            .filter_map(Value::as_object)
            .flat_map(|i| i.values())
        {
            let schema = op.pointer("/requestBody/content/application~1json/schema/$ref");
            if let Some(name) = schema.and_then(Value::as_str) {
                names.push(name.trim_start_matches("#/components/schemas/").to_owned());
            }
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    while let Some(name) = names.pop() {
        let Some(schema) = schemas.get_mut(&name) else {
            continue;
        };
        match schema.get("oneOf").and_then(Value::as_array) {
            // A body that is one of several: close each of them.
            Some(variants) => names.extend(
                variants
                    .iter()
                    .filter_map(|v| v["$ref"].as_str())
                    .map(|r| r.trim_start_matches("#/components/schemas/").to_owned()),
            ),
            None => close(schema),
        }
    }
}

fn close(schema: &mut Value) {
    schema["additionalProperties"] = json!(false);
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for prop in props.values_mut() {
            let text = prop["type"] == json!("string") || prop["type"] == json!(["string", "null"]);
            if text && prop.get("pattern").is_none() && prop.get("enum").is_none() {
                prop["pattern"] = json!(PLAIN_TEXT);
            }
        }
    }
}

/// The credentials object of `spec`: its fields, closed.
pub fn credentials_schema(spec: &VendorSpec) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in spec.credentials {
        let mut p = json!({"type": "string", "minLength": 1, "maxLength": 4096,
                           "description": f.description});
        p["pattern"] = json!(if f.kind == FieldKind::Url {
            url_shape::pattern()
        } else {
            PLAIN_TEXT.to_owned()
        });
        if f.kind == FieldKind::Secret {
            p["writeOnly"] = json!(true);
        }
        if let Some(d) = f.default {
            p["default"] = json!(d);
            p["type"] = json!(["string", "null"]);
        } else {
            required.push(f.name);
        }
        props.insert(f.name.to_owned(), p);
    }
    json!({"type": "object", "title": format!("{} credentials", spec.name),
           "properties": props, "required": required, "additionalProperties": false})
}

fn option_schema(f: &OptionField) -> Value {
    let text = json!({"type": "string", "pattern": PLAIN_TEXT});
    let mut s = match f.kind {
        OptionKind::Timestamp => json!({"type": ["string", "null"], "format": "date-time"}),
        OptionKind::Text { max_len } => {
            let mut t = text;
            t["maxLength"] = json!(max_len);
            t["type"] = json!(["string", "null"]);
            t
        }
        OptionKind::TextList { max_items } => {
            json!({"type": ["array", "null"], "items": text, "maxItems": max_items})
        }
        OptionKind::Integer { min, max } => {
            json!({"type": ["integer", "null"], "minimum": min, "maximum": max})
        }
    };
    s["description"] = json!(f.description);
    s
}

/// The options object of `spec`: the common options and its own, closed.
fn options_schema(spec: &VendorSpec) -> Value {
    let props: Map<String, Value> = COMMON
        .iter()
        .chain(spec.options)
        .map(|f| (f.name.to_owned(), option_schema(f)))
        .collect();
    json!({"type": ["object", "null"], "properties": props, "additionalProperties": false})
}

/// `ConnectionCreate` becomes one body per vendor, told apart by `vendor`, each with that
/// vendor's credentials and options; a PATCH's `credentials` is one of the vendors'.
fn vendor_bodies(doc: &mut Value, registry: &Registry) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(create) = schemas.get("ConnectionCreate").cloned() else {
        return;
    };
    let mut variants = Vec::new();
    let mut mapping = Map::new();
    let mut credentials = Vec::new();
    for spec in registry.all() {
        let vendor = spec.vendor.as_str();
        let creds_name = format!("Credentials_{vendor}");
        schemas.insert(creds_name.clone(), credentials_schema(spec));
        let creds_ref = json!({"$ref": format!("#/components/schemas/{creds_name}")});
        credentials.push(creds_ref.clone());
        let mut body = create.clone();
        body["title"] = json!(format!("A {} connection", spec.name));
        body["properties"]["vendor"] = json!({"type": "string", "enum": [vendor]});
        body["properties"]["credentials"] = creds_ref;
        body["properties"]["options"] = options_schema(spec);
        let name = format!("ConnectionCreate_{vendor}");
        schemas.insert(name.clone(), body);
        mapping.insert(
            vendor.to_owned(),
            json!(format!("#/components/schemas/{name}")),
        );
        variants.push(json!({"$ref": format!("#/components/schemas/{name}")}));
    }
    schemas.insert(
        "ConnectionCreate".into(),
        json!({"description": create["description"], "oneOf": variants,
               "discriminator": {"propertyName": "vendor", "mapping": mapping}}),
    );
    if let Some(update) = schemas.get_mut("ConnectionUpdate") {
        let mut one_of = credentials;
        one_of.push(json!({"type": "null"}));
        update["properties"]["credentials"] = json!({
            "description": "New credentials for the connection's vendor: validated against \
                the vendor before they are saved.",
            "oneOf": one_of});
    }
}
