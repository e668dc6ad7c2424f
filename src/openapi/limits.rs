//! The limits every schema of the document states. A client generated from the document, or a
//! fuzzer reading it, must know what the server refuses: how long a string may be, which
//! characters it may hold, how large a number or a list may get. Fields that have a tighter rule
//! say so on the field itself; this pass gives every other string, integer and array the limit the
//! server enforces for all of them, so that no schema is left unbounded.

use serde_json::{Map, Value, json};

/// The longest string the server takes anywhere: a JSON string value, a query parameter, a path
/// segment (counted in characters). Longer input is refused with 400 `too_long`.
pub const TEXT_MAX_CHARS: usize = 2000;
/// The largest file an answer holds (a year report's workbook is far smaller).
pub const FILE_MAX_BYTES: usize = 100 * 1024 * 1024;

/// No list the API sends or takes holds more items than a page may.
pub const ARRAY_MAX_ITEMS: usize = crate::pagination::MAX_LIMIT as usize;

/// Characters a JSON string value may hold: anything but control characters other than tab, line
/// feed and carriage return (see [`crate::domain::text`]).
pub const BODY_TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Characters a path or query parameter may hold: no control characters at all.
pub const PARAMETER_TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// Where a schema is used: what a client sends gets the character rule as well.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Parameter,
    Response,
}

/// Applies the limits to `document` (the serialized OpenAPI document).
pub fn apply(document: &mut Value) {
    let requests = request_schema_names(document);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            let side = if requests.contains(name) {
                Side::Request
            } else {
                Side::Response
            };
            bound(schema, side);
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|item| item.values_mut())
        {
            for parameter in operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(schema) = parameter.get_mut("schema") {
                    not_null(schema);
                    bound(schema, Side::Parameter);
                }
            }
            for content in operation
                .pointer_mut("/requestBody/content")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|c| c.values_mut())
            {
                if let Some(schema) = content.get_mut("schema") {
                    bound(schema, Side::Request);
                }
            }
        }
    }
    for response in super::responses_mut(document) {
        bound_response(response);
    }
}

/// A header or query parameter is absent or a string: it cannot be JSON `null`, which a schema
/// derived from an `Option` would otherwise allow (and a fuzzer would send as the text `null`).
fn not_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type")
        && let Some(list) = types.as_array()
    {
        let rest: Vec<Value> = list.iter().filter(|t| *t != "null").cloned().collect();
        *types = match rest.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(rest),
        };
    }
}

fn bound_response(response: &mut Value) {
    for key in ["content", "headers"] {
        for part in response
            .get_mut(key)
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|c| c.values_mut())
        {
            if let Some(schema) = part.get_mut("schema") {
                bound(schema, Side::Response);
            }
        }
    }
}

/// Component schemas that request bodies use, directly or through the schemas they refer to.
fn request_schema_names(document: &Value) -> Vec<String> {
    let mut names = direct_request_schema_names(document);
    let mut next = 0;
    while next < names.len() {
        let schema = &document["components"]["schemas"][&names[next]];
        let mut found = Vec::new();
        referenced_schemas(schema, &mut found);
        for name in found {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        next += 1;
    }
    names
}

/// The component schemas `schema` refers to.
fn referenced_schemas(schema: &Value, found: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                            found.push(name.to_owned());
                        }
                    }
                    _ => referenced_schemas(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| referenced_schemas(item, found)),
        _ => {}
    }
}

/// Component schemas that request bodies name directly.
fn direct_request_schema_names(document: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for item in document["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            for content in operation
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.values())
            {
                if let Some(name) = content
                    .pointer("/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

fn has_type(schema: &Map<String, Value>, wanted: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == wanted,
        Some(Value::Array(types)) => types.iter().any(|t| t == wanted),
        _ => false,
    }
}

fn bound(schema: &mut Value, side: Side) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let constrained = object.contains_key("enum") || object.contains_key("const");
    if has_type(object, "string") && !constrained {
        // A file (a workbook) is bounded by the size a report reaches, not by a text's.
        let limit = if object.get("format").is_some_and(|format| format == "binary") {
            FILE_MAX_BYTES
        } else {
            TEXT_MAX_CHARS
        };
        object.entry("maxLength").or_insert(json!(limit));
        // Formats with a syntax of their own (dates, e-mail, URIs) need no character rule;
        // `password` is only a hint to hide the value.
        let free_text =
            !object.contains_key("pattern") && object.get("format").is_none_or(|format| format == "password");
        if free_text {
            match side {
                Side::Request => {
                    object.insert("pattern".into(), json!(BODY_TEXT_PATTERN));
                }
                Side::Parameter => {
                    object.insert("pattern".into(), json!(PARAMETER_TEXT_PATTERN));
                }
                Side::Response => {}
            }
        }
    }
    if has_type(object, "integer") {
        // Unsigned Rust integers are documented as int32 with a minimum of 0.
        let unsigned = object.get("minimum").and_then(Value::as_i64) == Some(0);
        let (low, high) = match object.get("format").and_then(Value::as_str) {
            Some("int32") if unsigned => (json!(0), json!(u32::MAX)),
            Some("int32") => (json!(i32::MIN), json!(i32::MAX)),
            _ => (json!(i64::MIN), json!(i64::MAX)),
        };
        object.entry("minimum").or_insert(low);
        object.entry("maximum").or_insert(high);
    }
    if has_type(object, "array") {
        object.entry("maxItems").or_insert(json!(ARRAY_MAX_ITEMS));
    }
    for key in ["items", "additionalProperties", "propertyNames"] {
        if let Some(inner) = object.get_mut(key) {
            bound(inner, side);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for inner in object
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            bound(inner, side);
        }
    }
    for inner in object
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        bound(inner, side);
    }
}
