//! OpenAPI links: from the operations that create a record to the operations that use its id, so
//! that client generators and stateful testing can follow a new record through its life.

use serde_json::{Value, json};

/// (operation that creates, its status, [(link name, operation that follows, its parameters)]).
type LinkTable = [(
    &'static str,
    &'static str,
    &'static [(
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    )],
)];

const ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
/// An update sends back the version it read.
const ID_AND_VERSION: &[(&str, &str)] = &[
    ("id", "$response.body#/id"),
    ("header.If-Match", "$response.header.ETag"),
];

/// An entry of a round.
const ENTRY: &[(&str, &str)] = &[
    ("id", "$response.body#/round_id"),
    ("entry_id", "$response.body#/id"),
];
const ENTRY_AND_VERSION: &[(&str, &str)] = &[
    ("id", "$response.body#/round_id"),
    ("entry_id", "$response.body#/id"),
    ("header.If-Match", "$response.header.ETag"),
];

const LINKS: &LinkTable = &[
    ("create_import", "201", &[("GetImport", "get_import", ID)]),
    ("create_import", "202", &[("GetImportJob", "get_import", ID)]),
    (
        "create_organization",
        "201",
        &[
            ("GetOrganization", "get_organization", ID),
            ("UpdateOrganization", "update_organization", ID_AND_VERSION),
            (
                "ListOrganizationProjects",
                "list_projects",
                &[("query.implementing_unit_id", "$response.body#/id")],
            ),
        ],
    ),
    (
        "create_project",
        "201",
        &[
            ("GetProject", "get_project", ID),
            ("UpdateProject", "update_project", ID_AND_VERSION),
            ("DeleteProject", "delete_project", ID_AND_VERSION),
            ("NameBeneficiaries", "put_project_beneficiaries", ID_AND_VERSION),
            ("SetBudget", "put_budget", ID_AND_VERSION),
            ("TransitionProject", "transition_project", ID_AND_VERSION),
            ("GetHistory", "project_history", ID),
            ("GetBudget", "get_budget", ID),
            ("ListDisbursements", "list_disbursements", ID),
            ("RecordDisbursement", "record_disbursement", ID),
            ("GetIndicators", "get_indicators", ID),
            ("PutIndicators", "put_indicators", ID_AND_VERSION),
        ],
    ),
    (
        "put_budget",
        "200",
        &[
            ("TransitionProject", "transition_project", ID_AND_VERSION),
            ("GetBudget", "get_budget", ID),
        ],
    ),
    (
        "transition_project",
        "200",
        &[
            ("NextTransition", "transition_project", ID_AND_VERSION),
            ("AdjustBudget", "adjust_budget", ID_AND_VERSION),
            ("RecordDisbursement", "record_disbursement", ID),
            ("GetHistory", "project_history", ID),
        ],
    ),
    (
        "create_activity_type",
        "201",
        &[(
            "UpdateActivityType",
            "update_activity_type",
            &[
                ("code", "$response.body#/code"),
                ("header.If-Match", "$response.header.ETag"),
            ],
        )],
    ),
    (
        "create_support_cap",
        "201",
        &[("GetSupportCap", "get_support_cap", ID)],
    ),
    (
        "create_programme",
        "201",
        &[
            ("GetProgramme", "get_programme", ID),
            ("GetTargets", "get_targets", ID),
            ("PutTargets", "put_targets", ID_AND_VERSION),
        ],
    ),
    (
        "create_beneficiary",
        "201",
        &[
            ("GetBeneficiary", "get_beneficiary", ID),
            ("UpdateBeneficiary", "update_beneficiary", ID_AND_VERSION),
            ("ListAnnualFigures", "list_annual_figures", ID),
            (
                "PutAnnualFigures",
                "put_annual_figures",
                &[("id", "$response.body#/id"), ("year", "2024")],
            ),
            ("ListPossibleDuplicates", "list_possible_duplicates", ID),
            ("MergeIntoBeneficiary", "merge_beneficiary", ID_AND_VERSION),
        ],
    ),
    (
        "update_beneficiary",
        "200",
        &[("GetBeneficiary", "get_beneficiary", ID)],
    ),
    (
        "merge_beneficiary",
        "200",
        &[
            ("GetSurvivor", "get_beneficiary", ID),
            ("ListSurvivorFigures", "list_annual_figures", ID),
            (
                "UnmergeDuplicate",
                "unmerge_beneficiary",
                &[("id", "$request.body#/duplicate_id")],
            ),
        ],
    ),
    (
        "create_user",
        "201",
        &[
            ("GetUser", "get_user", ID),
            ("UpdateUser", "update_user", ID_AND_VERSION),
            ("RevokeSessions", "revoke_sessions", ID),
        ],
    ),
    (
        "create_product",
        "201",
        &[
            ("GetProduct", "get_product", ID),
            ("UpdateProduct", "update_product", ID_AND_VERSION),
            (
                "ListProductCertificates",
                "list_certificates",
                &[("query.product_id", "$response.body#/id")],
            ),
        ],
    ),
    (
        "create_round",
        "201",
        &[
            ("GetRound", "get_round", ID),
            ("UpdateRound", "update_round", ID_AND_VERSION),
            ("TransitionRound", "transition_round", ID_AND_VERSION),
            ("GetJudges", "get_judges", ID),
            ("PutJudges", "put_judges", ID),
            ("ListEntries", "list_entries", ID),
            ("CreateEntry", "create_entry", ID),
            ("ListEligibleProducts", "eligible_products", ID),
            ("Recognise", "recognise", ID_AND_VERSION),
        ],
    ),
    (
        "transition_round",
        "200",
        &[
            ("NextTransition", "transition_round", ID_AND_VERSION),
            ("Recognise", "recognise", ID_AND_VERSION),
            ("ListEntries", "list_entries", ID),
        ],
    ),
    (
        "create_entry",
        "201",
        &[
            ("GetEntry", "get_entry", ENTRY),
            ("UpdateEntry", "update_entry", ENTRY_AND_VERSION),
            ("DeleteEntry", "delete_entry", ENTRY),
            ("GetScores", "get_scores", ENTRY),
            ("PutScores", "put_scores", ENTRY),
        ],
    ),
    (
        "record_legacy_certificate",
        "201",
        &[
            ("GetCertificate", "get_certificate", ID),
            ("RevokeCertificate", "revoke_certificate", ID),
            (
                "VerifyCertificate",
                "verify_certificate",
                &[("number", "$response.body#/number")],
            ),
        ],
    ),
    (
        "put_annual_figures",
        "201",
        &[(
            "ListAnnualFigures",
            "list_annual_figures",
            &[("id", "$request.path.id")],
        )],
    ),
];

/// Adds the links of [`LINKS`] to the responses of `document`.
pub fn apply(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let Some(id) = operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        for (from, status, links) in LINKS.iter().filter(|(from, ..)| *from == id) {
            let Some(response) = operation.pointer_mut(&format!("/responses/{status}")) else {
                panic!("{from} has no {status} response to link from");
            };
            let entries = response
                .as_object_mut()
                .expect("a response object")
                .entry("links")
                .or_insert_with(|| json!({}));
            for (name, target, parameters) in links.iter() {
                let parameters: serde_json::Map<String, Value> = parameters
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                entries[*name] = json!({"operationId": target, "parameters": parameters});
            }
        }
    }
}
