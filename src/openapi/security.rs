//! What each operation asks of an integration client, written into the document from the same
//! rule the server enforces ([`crate::auth::scopes::access`]): `security: [{bearer: [scope]}]`
//! for the operations a scope opens, a sentence in the description of those no client may call,
//! the 403 every authenticated operation may then answer, and the `RateLimit-*` headers of a
//! client's answers.

use serde_json::{Value, json};

use crate::auth::scopes::{self, Access};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub fn apply(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            let signed_in = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if !signed_in {
                continue;
            }
            let access = scopes::access(method, path);
            if access != Access::People {
                describe_allowance(operation);
            }
            let note = match access {
                Access::Scope(scope) => {
                    operation.insert("security".into(), json!([{ "bearer": [scope.as_str()] }]));
                    format!("Integration clients need the scope `{scope}`.")
                }
                Access::AnyClient => "Open to every integration client.".to_owned(),
                Access::People => "Not open to integration clients.".to_owned(),
            };
            let description = operation
                .get("description")
                .and_then(Value::as_str)
                .map(|d| format!("{d}\n\n{note}"))
                .unwrap_or(note);
            operation.insert("description".into(), Value::String(description));
            if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                responses
                    .entry("403")
                    .or_insert_with(|| json!({ "$ref": "#/components/responses/Forbidden" }));
            }
        }
    }
}

/// The `RateLimit-*` headers an integration client's answers carry
/// (draft-ietf-httpapi-ratelimit-headers), on each successful answer of an operation clients call.
fn describe_allowance(operation: &mut serde_json::Map<String, Value>) {
    let header = |description: &str| {
        json!({
            "description": format!("Integration clients only: {description} (`CLIENT_REQUESTS_PER_MINUTE`)."),
            "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4_294_967_295_u64},
        })
    };
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        if !status.starts_with('2') {
            continue;
        }
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        if response.contains_key("$ref") {
            continue;
        }
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        headers["RateLimit-Limit"] = header("requests allowed per minute");
        headers["RateLimit-Remaining"] = header("requests left now");
        headers["RateLimit-Reset"] = header("seconds until the full allowance is back");
    }
    responses
        .entry("429")
        .or_insert_with(|| json!({ "$ref": "#/components/responses/TooManyRequests" }));
}
