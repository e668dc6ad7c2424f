//! Example answers of the figures and reports, shown in the document beside their schemas: what
//! the registry answered on a national-volume data set, each list cut to its first two lines (so
//! totals are the whole answer's, not the sum of the lines shown). They are files in
//! `openapi/examples/`, one per operation, and a test checks each against its schema.

use serde_json::Value;

/// (operation, its 200 answer as JSON).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "project_stats",
        include_str!("../../openapi/examples/project_stats.json"),
    ),
    (
        "indicator_stats",
        include_str!("../../openapi/examples/indicator_stats.json"),
    ),
    (
        "certification_stats",
        include_str!("../../openapi/examples/certification_stats.json"),
    ),
    (
        "public_certification_stats",
        include_str!("../../openapi/examples/public_certification_stats.json"),
    ),
    (
        "programme_progress",
        include_str!("../../openapi/examples/programme_progress.json"),
    ),
    (
        "outcome_stats",
        include_str!("../../openapi/examples/outcome_stats.json"),
    ),
    (
        "province_year_report",
        include_str!("../../openapi/examples/province_year_report.json"),
    ),
    (
        "national_year_report",
        include_str!("../../openapi/examples/national_year_report.json"),
    ),
];

/// Puts each example under its operation's JSON answer.
pub fn apply(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let Some((id, text)) = EXAMPLES.iter().find(|(name, _)| *name == id) else {
            continue;
        };
        let Some(content) = operation.pointer_mut("/responses/200/content/application~1json") else {
            panic!("{id} has no JSON answer to show an example of");
        };
        content["example"] = serde_json::from_str(text).expect("an example answer is JSON");
    }
}
