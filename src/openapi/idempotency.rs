//! The `Idempotency-Key` header on every POST that takes one ([`crate::api::idempotency`]), with
//! the 409 and 422 its misuse is answered with.

use serde_json::{Value, json};

use crate::api::idempotency::{KEY_PATTERN, applies};

pub fn apply(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let parameter = json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Makes a retry safe: the first successful answer to this key is kept for 24 hours and \
            given again to a retry with the same request, without a second effect. A retry while the first \
            is running is answered 409 `idempotency_key_in_use`; the key with another request, 422 \
            `idempotency_key_reused` (draft-ietf-httpapi-idempotency-key-header). Keys are the caller's own.",
        "schema": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 257},
        "example": "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"",
    });
    for (path, item) in paths.iter_mut() {
        if !applies(path) {
            continue;
        }
        let Some(operation) = item.get_mut("post").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(parameters) = operation
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            parameters.push(parameter.clone());
        }
        if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
            responses
                .entry("409")
                .or_insert_with(|| json!({ "$ref": "#/components/responses/Conflict" }));
            responses
                .entry("422")
                .or_insert_with(|| json!({ "$ref": "#/components/responses/Unprocessable" }));
        }
    }
}
