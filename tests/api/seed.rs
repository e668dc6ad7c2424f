//! `khuyencong seed`, through the library: the records it makes pass the API's own checks, are
//! served and found by the API like records created through it, come out the same for the same
//! seed, and a database that already holds records is refused.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use khuyencong::api::beneficiaries::fields as beneficiary_fields;
use khuyencong::api::certification::{Place, ScopeCodes, check_scope};
use khuyencong::api::projects::fields as project_fields;
use khuyencong::api::projects::lifecycle::check_cap;
use khuyencong::auth::{Principal, Role};
use khuyencong::db::DbConn;
use khuyencong::db::schema::{
    beneficiaries, beneficiary_personal_data, certificates, products, project_disbursements, project_history,
    projects, provinces_pre2025, selection_entries, selection_rounds, selection_scores, users,
};
use khuyencong::domain::admin_units::{Era, Region};
use khuyencong::domain::beneficiaries::LegalForm;
use khuyencong::domain::certification::{SelectionLevel, certificate_status, region_scope, standings};
use khuyencong::domain::identifiers::validate_tax_code;
use khuyencong::domain::labels::Labeled;
use khuyencong::domain::projects::{
    Budget, BudgetSource, DisbursementKind, Moved, ProjectStatus, check_movement,
};
use khuyencong::domain::search::search_key;
use khuyencong::models::beneficiaries::{BeneficiaryRow, PersonalDataRow};
use khuyencong::models::certification::{CertificateRow, EntryRow, ProductRow, RoundRow, ScoreRow};
use khuyencong::models::projects::{self as project_model, DisbursementRow, HistoryRow, ProjectRow};
use khuyencong::seed::{self, Options, SeedError};

use crate::support::{PASSWORD, TestApp};

/// 100 establishments, 50 projects, 30 products, 2 rounds, 20 certificates.
const SCALE: f64 = 0.1;

fn seeded_at(scale: f64, seed_value: u64) -> TestApp {
    let app = TestApp::new();
    seed::run(&app.state.db, &Options::new(scale, seed_value)).expect("seed");
    app
}

fn seeded(seed_value: u64) -> TestApp {
    let app = TestApp::new();
    let summary = seed::run(&app.state.db, &Options::new(SCALE, seed_value)).expect("seed");
    assert_eq!(summary.rows_in("beneficiaries"), 100);
    assert_eq!(summary.rows_in("projects"), 50);
    assert_eq!(summary.rows_in("products"), 30);
    assert_eq!(summary.rows_in("selection_rounds"), 2);
    assert_eq!(summary.rows_in("certificates"), 20);
    app
}

fn ministry(app: &TestApp) -> (Principal, String) {
    let user = app.user("bo.kiemtra", Role::Ministry).insert();
    let principal = Principal {
        user_id: user.id,
        username: user.username.clone(),
        role: Role::Ministry,
        province_code: None,
        commune_code: None,
        scopes: None,
    };
    (principal, app.token_for(&user))
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

#[actix_web::test]
async fn seeded_establishments_are_listed_and_found_by_a_word_of_their_name_and_by_tax_code() {
    let app = seeded(7);
    let (_, token) = ministry(&app);
    let listed = app
        .get("/api/v1/beneficiaries?limit=500")
        .bearer(&token)
        .send()
        .await;
    listed.assert_status(200);
    let items = listed.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 100, "every seeded establishment is listed");

    // A word of a name, as typed and without its diacritics.
    let first = &items[0];
    let name = first["name"].as_str().expect("a name");
    let word = name
        .split_whitespace()
        .max_by_key(|w| w.chars().count())
        .expect("a word");
    for query in [word.to_owned(), search_key(word)] {
        let found = app
            .get(&format!(
                "/api/v1/beneficiaries?limit=500&q={}",
                urlencode(&query)
            ))
            .bearer(&token)
            .send()
            .await;
        found.assert_status(200);
        assert!(
            ids(&found.body).contains(&first["id"].as_i64().unwrap()),
            "`{query}` finds {name}: {}",
            found.text
        );
    }

    // A tax code finds its establishment, and it carries a valid check digit.
    let with_tax_code = items
        .iter()
        .find(|b| b["identifier_type"] == "tax_code")
        .expect("an establishment with a tax code");
    let code = with_tax_code["identifier_value"].as_str().unwrap();
    assert_eq!(validate_tax_code(code), Ok(()), "{code}");
    let found = app
        .get(&format!("/api/v1/beneficiaries?q={code}"))
        .bearer(&token)
        .send()
        .await;
    found.assert_status(200);
    assert_eq!(ids(&found.body), vec![with_tax_code["id"].as_i64().unwrap()]);
}

#[actix_web::test]
async fn seeded_records_pass_the_apis_own_checks() {
    // Scale 1: enough rounds for products to climb from commune to national level.
    let app = seeded_at(1.0, 11);
    pass_the_apis_own_checks(&app);
}

/// Every seeded row passes the checks the API applies to a record created through it.
fn pass_the_apis_own_checks(app: &TestApp) {
    let (principal, _) = ministry(app);
    let today = chrono::Utc::now().date_naive();
    app.with_conn(|conn| {
        // Establishments: the validation of POST /beneficiaries, and the keys it derives.
        let rows: Vec<BeneficiaryRow> = beneficiaries::table
            .order(beneficiaries::id)
            .select(BeneficiaryRow::as_select())
            .load(conn)
            .unwrap();
        let personal: BTreeMap<i64, PersonalDataRow> = beneficiary_personal_data::table
            .select(PersonalDataRow::as_select())
            .load(conn)
            .unwrap()
            .into_iter()
            .map(|p| (p.beneficiary_id, p))
            .collect();
        for row in &rows {
            let own = personal.get(&row.id).cloned().unwrap_or_default();
            let fields = beneficiary_fields::Fields::from_row(row, &own)
                .unwrap()
                .normalized();
            let errors = beneficiary_fields::validate(conn, &fields).unwrap();
            assert!(errors.is_empty(), "establishment {}: {errors:?}", row.id);
            let derived = fields.to_row(row.id, row.version, row.created_at, row.merged_into_id);
            assert_eq!(derived.search_key, row.search_key);
            assert_eq!(derived.name_key, row.name_key);
            assert_eq!(derived.phone_key, row.phone_key);
            assert_eq!(derived.representative_phone_key, row.representative_phone_key);
            if let Some(survivor) = row.merged_into_id {
                assert_eq!(row.status, "merged");
                assert!(survivor < row.id);
            }
        }

        // Projects: the validation of POST /projects, the lifecycle's completeness rules and
        // every money movement replayed through the domain's check.
        let projects: Vec<ProjectRow> = projects::table
            .order(projects::id)
            .select(ProjectRow::as_select())
            .load(conn)
            .unwrap();
        let statuses: Vec<&str> = projects.iter().map(|p| p.status.as_str()).collect();
        assert!(
            statuses.contains(&"settled") && statuses.contains(&"in_progress"),
            "{statuses:?}"
        );
        for project in &projects {
            let links = project_model::beneficiaries_of(conn, &[project.id]).unwrap();
            let mut fields = project_fields::Fields::from_row(project, &links)
                .unwrap()
                .normalized();
            let errors = project_fields::validate(conn, &principal, &mut fields, false).unwrap();
            assert!(errors.is_empty(), "project {}: {errors:?}", project.code);
            assert_eq!(fields.to_row(project).search_key, project.search_key);
            let status: ProjectStatus = project.status.parse().unwrap();
            if !status.is_editable() && status != ProjectStatus::Cancelled {
                assert!(project.planned_start.is_some() && project.planned_end.is_some());
                assert!(project.budget_national_vnd + project.budget_local_vnd > 0);
            }
            if matches!(status, ProjectStatus::Accepted | ProjectStatus::Settled) {
                assert!(
                    !links.is_empty(),
                    "project {} was accepted without establishments",
                    project.code
                );
            }
            replay_money(conn, project);
            // The support cap in force on the approval day holds (or a ministry override does).
            let approved_on = project_model::history(conn, project.id)
                .unwrap()
                .into_iter()
                .find(|h| h.action.as_deref() == Some("approve"))
                .and_then(|h| h.decision_date);
            if let Some(on) = approved_on {
                check_cap(conn, project, on, None)
                    .unwrap_or_else(|e| panic!("project {}: {}", project.code, e.detail.en));
            }
            let history: Vec<HistoryRow> = project_model::history(conn, project.id).unwrap();
            let last = history.iter().rev().find_map(|h| h.to_status.clone());
            assert_eq!(
                last.as_deref(),
                Some(project.status.as_str()),
                "history of {}",
                project.code
            );
        }

        // Rounds: scopes as the API checks them, entries inside them, scores within the maxima,
        // only qualifying entries recognised.
        let rounds: Vec<RoundRow> = selection_rounds::table
            .order(selection_rounds::id)
            .select(RoundRow::as_select())
            .load(conn)
            .unwrap();
        for round in &rounds {
            let scope = ScopeCodes::of_round(round).unwrap();
            let mut errors = Vec::new();
            let owner = scope.check(conn, &mut errors).unwrap();
            assert!(errors.is_empty(), "round {}: {errors:?}", round.id);
            assert_eq!(owner, round.owner_province_code);
            let entries: Vec<EntryRow> = selection_entries::table
                .filter(selection_entries::round_id.eq(round.id))
                .order(selection_entries::id)
                .select(EntryRow::as_select())
                .load(conn)
                .unwrap();
            let mut totals = Vec::new();
            for entry in &entries {
                let producer = khuyencong::models::beneficiaries::find(conn, entry.beneficiary_id)
                    .unwrap()
                    .unwrap();
                let place = Place::of(conn, &producer).unwrap();
                assert!(check_scope(&scope, &place, "product_id").unwrap().is_none());
                let scores: Vec<ScoreRow> = selection_scores::table
                    .filter(selection_scores::entry_id.eq(entry.id))
                    .select(ScoreRow::as_select())
                    .load(conn)
                    .unwrap();
                for s in &scores {
                    assert!(
                        (0..=40).contains(&s.market)
                            && (0..=40).contains(&s.economic_technical_social_environmental)
                    );
                    assert!((0..=10).contains(&s.cultural_aesthetic) && (0..=10).contains(&s.other));
                    assert_eq!(
                        s.total,
                        s.market + s.economic_technical_social_environmental + s.cultural_aesthetic + s.other
                    );
                }
                totals.push(scores.iter().map(|s| s.total).collect::<Vec<_>>());
                if let Some(basis) = entry.basis_certificate_id {
                    let basis = certificate(conn, basis);
                    let level: SelectionLevel = round.level.parse().unwrap();
                    assert!(level.levels_below().iter().any(|l| l.as_str() == basis.level));
                    let day = entry.created_at.date();
                    assert!(basis.issued_on <= day && day <= basis.valid_until);
                    assert!(basis.revoked_at.is_none_or(|at| at.date() > day));
                }
            }
            let standing = standings(&totals, round.qualifying_score);
            let issued: Vec<CertificateRow> = certificates::table
                .filter(certificates::round_id.eq(round.id))
                .select(CertificateRow::as_select())
                .load(conn)
                .unwrap();
            for c in &issued {
                let at = entries.iter().position(|e| Some(e.id) == c.entry_id).unwrap();
                assert!(
                    standing[at].is_some_and(|s| s.qualifies),
                    "certificate {}",
                    c.number
                );
                assert_eq!(round.status, "published");
            }
        }

        // Certificates: numbers as typed, scopes as the API checks them.
        let all: Vec<CertificateRow> = certificates::table
            .select(CertificateRow::as_select())
            .load(conn)
            .unwrap();
        for c in &all {
            assert!(khuyencong::domain::certification::is_certificate_number(
                &c.number
            ));
            assert!(c.region_code.parse::<Region>().is_ok(), "{}", c.region_code);
            let level: SelectionLevel = c.level.parse().unwrap();
            let code = |wanted: SelectionLevel| (level == wanted).then(|| c.scope_code.clone());
            let scope = ScopeCodes {
                level,
                era: c.era.parse::<Era>().unwrap(),
                commune_code: code(SelectionLevel::Commune),
                district_code: code(SelectionLevel::District),
                province_code: code(SelectionLevel::Province),
                region_code: <Region as Labeled>::ALL
                    .iter()
                    .find(|r| level == SelectionLevel::Region && region_scope(**r) == c.scope_code)
                    .map(|r| r.as_str().to_owned()),
            };
            let mut errors = Vec::new();
            scope.check(conn, &mut errors).unwrap();
            assert!(errors.is_empty(), "certificate {}: {errors:?}", c.number);
            let producer = khuyencong::models::beneficiaries::find(conn, c.beneficiary_id)
                .unwrap()
                .unwrap();
            let place = Place::of(conn, &producer).unwrap();
            assert!(
                check_scope(&scope, &place, "product_id").unwrap().is_none(),
                "certificate {} outside its scope",
                c.number
            );
            assert_eq!(c.province_code, producer.province_code);
            assert!(c.issued_on <= today && c.issued_on <= c.valid_until);
            let product: ProductRow = products::table
                .find(c.product_id)
                .select(ProductRow::as_select())
                .first(conn)
                .unwrap();
            assert_eq!(product.beneficiary_id, c.beneficiary_id);
        }
    });
}

fn certificate(conn: &mut DbConn, id: i64) -> CertificateRow {
    certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .unwrap()
}

/// Replays a project's movements in date order through `check_movement`, with the status the
/// project had on each day (approved, in progress, accepted) as its history tells.
fn replay_money(conn: &mut DbConn, project: &ProjectRow) {
    let movements: Vec<DisbursementRow> = project_disbursements::table
        .filter(project_disbursements::project_id.eq(project.id))
        .order((project_disbursements::date, project_disbursements::id))
        .select(DisbursementRow::as_select())
        .load(conn)
        .unwrap();
    if movements.is_empty() {
        return;
    }
    let history: Vec<HistoryRow> = project_history::table
        .filter(project_history::project_id.eq(project.id))
        .select(HistoryRow::as_select())
        .load(conn)
        .unwrap();
    let day_of = |action: &str| -> Option<NaiveDate> {
        history
            .iter()
            .find(|h| h.action.as_deref() == Some(action))
            .map(|h| h.occurred_at.date())
    };
    let (approved, started, accepted, settled) = (
        day_of("approve"),
        day_of("start"),
        day_of("accept"),
        day_of("settle"),
    );
    let budget = Budget {
        national: project.budget_national_vnd,
        local: project.budget_local_vnd,
        counterpart: project.budget_counterpart_vnd,
        other: project.budget_other_vnd,
    };
    let mut moved = Moved::default();
    for m in &movements {
        assert!(
            approved.is_some_and(|d| d <= m.date),
            "money before approval in {}",
            project.code
        );
        assert!(
            settled.is_none_or(|d| m.date < d),
            "money after settlement in {}",
            project.code
        );
        let status = match (accepted, started) {
            (Some(a), _) if m.date >= a => ProjectStatus::Accepted,
            (_, Some(s)) if m.date >= s => ProjectStatus::InProgress,
            _ => ProjectStatus::Approved,
        };
        let kind: DisbursementKind = m.kind.parse().unwrap();
        let source: BudgetSource = m.source.parse().unwrap();
        assert_ne!(
            (kind, status == ProjectStatus::Accepted),
            (DisbursementKind::Advance, true),
            "advance after acceptance in {}",
            project.code
        );
        if kind == DisbursementKind::Settlement {
            assert_eq!(
                status,
                ProjectStatus::Accepted,
                "settlement before acceptance in {}",
                project.code
            );
        }
        check_movement(&budget, &moved, kind, source, m.amount_vnd, status, 70)
            .unwrap_or_else(|breach| panic!("{}: {breach:?}", project.code));
        let signed = if kind == DisbursementKind::Refund {
            -m.amount_vnd
        } else {
            m.amount_vnd
        };
        match source {
            BudgetSource::National => moved.net.national += signed,
            BudgetSource::Local => moved.net.local += signed,
            BudgetSource::Counterpart => moved.net.counterpart += signed,
            BudgetSource::Other => moved.net.other += signed,
        }
        if kind == DisbursementKind::Advance && source.is_state() {
            moved.state_advances += m.amount_vnd;
        }
    }
    if project.status == "cancelled" {
        assert_eq!(
            moved.net.state_support(),
            0,
            "{} was cancelled holding state money",
            project.code
        );
    }
}

#[actix_web::test]
async fn a_seeded_projects_money_summary_adds_up() {
    let app = seeded(3);
    let (_, token) = ministry(&app);
    let with_money: Vec<i64> = app.with_conn(|conn| {
        project_disbursements::table
            .select(project_disbursements::project_id)
            .distinct()
            .order(project_disbursements::project_id)
            .load(conn)
            .unwrap()
    });
    assert!(!with_money.is_empty(), "some seeded project moved money");
    for id in with_money {
        let project = app
            .get(&format!("/api/v1/projects/{id}"))
            .bearer(&token)
            .send()
            .await;
        project.assert_status(200);
        let money = &project.body["money"];
        let movements = app
            .get(&format!("/api/v1/projects/{id}/disbursements?limit=500"))
            .bearer(&token)
            .send()
            .await;
        movements.assert_status(200);
        let mut net: BTreeMap<String, i64> = BTreeMap::new();
        let mut advances = 0;
        for m in movements.body["items"].as_array().unwrap() {
            let amount = m["amount_vnd"].as_i64().unwrap();
            let source = m["source"].as_str().unwrap().to_owned();
            let signed = if m["kind"] == "refund" { -amount } else { amount };
            *net.entry(source.clone()).or_default() += signed;
            if m["kind"] == "advance" && (source == "national" || source == "local") {
                advances += amount;
            }
        }
        let state_support = money["state_support_vnd"].as_i64().unwrap();
        for source in ["national", "local", "counterpart", "other"] {
            let line = format!("{source}_vnd");
            let approved = money["approved"][&line].as_i64().unwrap();
            let disbursed = money["disbursed"][&line].as_i64().unwrap();
            assert_eq!(
                disbursed,
                net.get(source).copied().unwrap_or(0),
                "project {id} {source}"
            );
            assert_eq!(money["remaining"][&line].as_i64().unwrap(), approved - disbursed);
            if source == "national" || source == "local" {
                assert!((0..=approved).contains(&disbursed), "project {id}: {money}");
            }
        }
        assert_eq!(money["state_advances_vnd"].as_i64().unwrap(), advances);
        assert!(advances * 100 <= 70 * state_support, "project {id}: {money}");
        let rate = money["disbursement_rate"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&rate));
        assert_eq!(
            money["total_cost_vnd"].as_i64().unwrap(),
            ["national", "local", "counterpart", "other"]
                .iter()
                .map(|s| money["approved"][format!("{s}_vnd")].as_i64().unwrap())
                .sum::<i64>()
        );
    }
}

#[actix_web::test]
async fn a_seeded_certificate_verifies_through_the_public_endpoint() {
    let app = seeded(5);
    let today = chrono::Utc::now().date_naive();
    let rows: Vec<(CertificateRow, String, String)> = app.with_conn(|conn| {
        let all: Vec<CertificateRow> = certificates::table
            .order(certificates::id)
            .select(CertificateRow::as_select())
            .load(conn)
            .unwrap();
        all.into_iter()
            .map(|c| {
                let product: String = products::table
                    .find(c.product_id)
                    .select(products::name)
                    .first(conn)
                    .unwrap();
                let establishment: String = beneficiaries::table
                    .find(c.beneficiary_id)
                    .select(beneficiaries::name)
                    .first(conn)
                    .unwrap();
                (c, product, establishment)
            })
            .collect()
    });
    assert_eq!(rows.len(), 20);
    for (certificate, product, establishment) in rows.iter().take(5) {
        let verified = app
            .get(&format!("/api/v1/public/certificates/{}", certificate.number))
            .send()
            .await;
        verified.assert_status(200);
        let status = certificate_status(certificate.valid_until, certificate.revoked_at.is_some(), today);
        assert_eq!(verified.body["status"], status.as_str());
        assert_eq!(verified.body["number"], certificate.number.as_str());
        assert_eq!(verified.body["product_name"], product.as_str());
        assert_eq!(verified.body["establishment_name"], establishment.as_str());
        assert_eq!(verified.body["level"], certificate.level.as_str());
    }
}

/// A digest of the rows of the registry's main tables, ids and timestamps included.
fn digest(app: &TestApp) -> Vec<(&'static str, String)> {
    fn hash(rows: impl std::fmt::Debug) -> String {
        let digest = Sha256::digest(format!("{rows:?}").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
    app.with_conn(|conn| {
        vec![
            (
                "beneficiaries",
                hash(
                    beneficiaries::table
                        .order(beneficiaries::id)
                        .select(BeneficiaryRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "projects",
                hash(
                    projects::table
                        .order(projects::id)
                        .select(ProjectRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "project_history",
                hash(
                    project_history::table
                        .order(project_history::id)
                        .select(HistoryRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "project_disbursements",
                hash(
                    project_disbursements::table
                        .order(project_disbursements::id)
                        .select(DisbursementRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "products",
                hash(
                    products::table
                        .order(products::id)
                        .select(ProductRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "selection_entries",
                hash(
                    selection_entries::table
                        .order(selection_entries::id)
                        .select(EntryRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "certificates",
                hash(
                    certificates::table
                        .order(certificates::id)
                        .select(CertificateRow::as_select())
                        .load(conn)
                        .unwrap(),
                ),
            ),
            (
                "users",
                hash(
                    users::table
                        .order(users::id)
                        .select((
                            users::id,
                            users::username,
                            users::password_hash,
                            users::created_at,
                        ))
                        .load::<(i64, String, String, chrono::NaiveDateTime)>(conn)
                        .unwrap(),
                ),
            ),
        ]
    })
}

#[actix_web::test]
async fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let first = digest(&seeded(42));
    let second = digest(&seeded(42));
    assert_eq!(first, second);
    let other = digest(&seeded(43));
    for ((table, a), (_, b)) in first.iter().zip(&other).filter(|((t, _), _)| *t != "users") {
        assert_ne!(a, b, "{table} does not depend on the seed");
    }
}

#[actix_web::test]
async fn a_database_with_records_is_refused() {
    let app = seeded(1);
    let count = |app: &TestApp| -> i64 {
        app.with_conn(|conn| beneficiaries::table.count().get_result(conn).unwrap())
    };
    let before = count(&app);
    let refused = seed::run(&app.state.db, &Options::new(SCALE, 2)).unwrap_err();
    assert!(
        matches!(
            refused,
            SeedError::NotEmpty {
                table: "beneficiaries",
                rows: 100
            }
        ),
        "{refused}"
    );
    assert!(refused.to_string().contains("already holds records"));
    assert_eq!(count(&app), before);
}

#[actix_web::test]
async fn benchmark_accounts_sign_in_with_the_password_given() {
    let weak = seed::run(
        &TestApp::new().state.db,
        &Options {
            password: Some("password".into()),
            ..Options::new(SCALE, 1)
        },
    )
    .unwrap_err();
    assert!(matches!(weak, SeedError::WeakPassword(_)), "{weak}");

    let app = TestApp::new();
    seed::run(
        &app.state.db,
        &Options {
            password: Some(PASSWORD.into()),
            ..Options::new(SCALE, 1)
        },
    )
    .expect("seed");
    for username in ["bench-admin", "bench-ministry", "bench-province", "hoidong-001"] {
        let login = app
            .post("/api/v1/auth/login")
            .json(serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await;
        login.assert_status(200);
    }
    // Without a password, jury accounts exist (scores name them) but cannot sign in.
    let closed = seeded(1);
    let login = closed
        .post("/api/v1/auth/login")
        .json(serde_json::json!({"username": "hoidong-001", "password": PASSWORD}))
        .send()
        .await;
    login.assert_status(401);
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[actix_web::test]
async fn records_created_after_a_seed_take_the_next_ids_and_codes() {
    let app = seeded(9);
    let (_, token) = ministry(&app);
    let created = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(serde_json::json!({
            "name": "Hợp tác xã mây tre đan Phú Vinh",
            "legal_form": "cooperative_group",
            "identifier_type": "none",
            "province_code": "01",
            "commune_code": "00004",
        }))
        .send()
        .await;
    created.assert_status(201);
    assert_eq!(created.body["id"], 101);

    // A project without a code takes the number after the seeded ones of its prefix.
    let (code, unit): (String, i64) = app.with_conn(|conn| {
        let code = projects::table
            .filter(projects::code.like("KCDP-%"))
            .order(projects::code.desc())
            .select(projects::code)
            .first::<String>(conn)
            .unwrap();
        let province = code.split('-').nth(2).unwrap().to_owned();
        let unit = khuyencong::db::schema::organizations::table
            .filter(khuyencong::db::schema::organizations::province_code.eq(province))
            .order(khuyencong::db::schema::organizations::id)
            .select(khuyencong::db::schema::organizations::id)
            .first::<i64>(conn)
            .unwrap();
        (code, unit)
    });
    let parts: Vec<&str> = code.split('-').collect();
    let project = app
        .post("/api/v1/projects")
        .bearer(&token)
        .json(serde_json::json!({
            "title": "Hỗ trợ ứng dụng máy sấy bơm nhiệt trong chế biến nông sản",
            "activity_type": "machinery_application",
            "funding_source": "local",
            "plan_year": parts[1].parse::<i64>().unwrap(),
            "province_code": parts[2],
            "implementing_unit_id": unit,
        }))
        .send()
        .await;
    project.assert_status(201);
    let next: i64 = parts[3].parse::<i64>().unwrap() + 1;
    assert_eq!(
        project.body["code"],
        format!("{}-{}-{}-{next:04}", parts[0], parts[1], parts[2])
    );
    assert_eq!(project.body["id"], 51);
}

// ---------------------------------------------------------------------------------------------
// The demo data set (`khuyencong seed --demo`)

/// A demo on an empty database, its accounts signing in with [`PASSWORD`].
fn demo() -> TestApp {
    let app = TestApp::new();
    let summary = seed::run(
        &app.state.db,
        &Options {
            password: Some(PASSWORD.into()),
            ..Options::demo(1)
        },
    )
    .expect("demo seed");
    assert!(summary.generated_password.is_none(), "a password was given");
    app
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let login = app
        .post("/api/v1/auth/login")
        .json(serde_json::json!({"username": username, "password": password}))
        .send()
        .await;
    login.assert_status(200);
    login.body["access_token"].as_str().expect("a token").to_owned()
}

/// Every item of a list, page after page.
async fn every_item(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=500&cursor={c}"),
            None => format!("{path}{sep}limit=500"),
        };
        let page = app.get(&url).bearer(token).send().await;
        page.assert_status(200);
        items.extend(page.body["items"].as_array().expect("items").iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The values of `field` over `items`, as a set.
fn values(items: &[Value], field: &str) -> std::collections::BTreeSet<String> {
    items
        .iter()
        .map(|i| {
            i[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field} in {i}"))
                .to_owned()
        })
        .collect()
}

fn all<T: Labeled>() -> std::collections::BTreeSet<String> {
    T::ALL.iter().map(|v| v.code().to_owned()).collect()
}

#[actix_web::test]
async fn the_demo_shows_every_legal_form_project_state_and_selection_level() {
    let app = demo();
    // The demo's own ministry account reads everything.
    let token = sign_in(&app, "demo-ministry", PASSWORD).await;

    let establishments = every_item(&app, &token, "/api/v1/beneficiaries").await;
    assert_eq!(values(&establishments, "legal_form"), all::<LegalForm>());

    let projects = every_item(&app, &token, "/api/v1/projects").await;
    assert_eq!(values(&projects, "status"), all::<ProjectStatus>());
    let approved_money: i64 = projects
        .iter()
        .map(|p| p["money"]["state_support_vnd"].as_i64().unwrap_or(0))
        .sum();
    assert!(approved_money > 0, "budgets are approved");
    let moved: i64 = app.with_conn(|conn| project_disbursements::table.count().get_result(conn).unwrap());
    assert!(moved > 0, "money moved");

    // Rounds of every level, and every level recognised products through its rounds.
    let rounds = every_item(&app, &token, "/api/v1/selection-rounds").await;
    assert_eq!(values(&rounds, "level"), all::<SelectionLevel>());
    let certificates = every_item(&app, &token, "/api/v1/certificates").await;
    let issued_by_rounds: Vec<Value> = certificates
        .iter()
        .filter(|c| !c["round_id"].is_null())
        .cloned()
        .collect();
    assert_eq!(values(&issued_by_rounds, "level"), all::<SelectionLevel>());
    let number = certificates[0]["number"].as_str().unwrap();
    app.get(&format!("/api/v1/public/certificates/{number}"))
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn the_demo_has_programmes_with_targets_and_their_progress() {
    let app = demo();
    let token = sign_in(&app, "demo-ministry", PASSWORD).await;
    let programmes = every_item(&app, &token, "/api/v1/programmes").await;
    assert!(
        programmes.iter().any(|p| p["level"] == "national")
            && programmes.iter().any(|p| p["level"] == "provincial"),
        "{programmes:?}"
    );
    for programme in &programmes {
        let id = programme["id"].as_i64().unwrap();
        let targets = app
            .get(&format!("/api/v1/programmes/{id}/targets"))
            .bearer(&token)
            .send()
            .await;
        targets.assert_status(200);
        assert!(
            targets.body["total_count"].as_i64().unwrap() > 0,
            "{}",
            targets.text
        );
        // The version moved on when the targets were set, as PUT .../targets does.
        assert_eq!(programme["version"], 2);
    }
    // Plan versus actual of the finished national period: targets beside approved projects.
    let national = programmes
        .iter()
        .find(|p| p["level"] == "national" && p["code"] == "2021-2025")
        .expect("the national 2021-2025 programme");
    let progress = app
        .get(&format!("/api/v1/programmes/{}/progress", national["id"]))
        .bearer(&token)
        .send()
        .await;
    progress.assert_status(200);
    let total = &progress.body["total"];
    assert!(total["target_count"].as_i64().unwrap() > 0, "{}", progress.text);
    assert!(
        total["projects_approved"].as_i64().unwrap() > 0,
        "{}",
        progress.text
    );
}

#[actix_web::test]
async fn the_demo_lies_in_provinces_merged_in_2025_with_their_former_codes() {
    let app = demo();
    let token = sign_in(&app, "demo-ministry", PASSWORD).await;
    let establishments = every_item(&app, &token, "/api/v1/beneficiaries").await;
    let successor: BTreeMap<String, String> = app.with_conn(|conn| {
        provinces_pre2025::table
            .select((provinces_pre2025::code, provinces_pre2025::successor_code))
            .load::<(String, String)>(conn)
            .unwrap()
            .into_iter()
            .collect()
    });
    // Current province → the pre-2025 provinces its establishments record.
    let mut recorded: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for e in &establishments {
        let current = e["province_code"].as_str().unwrap().to_owned();
        if let Some(old) = e["recorded_province_code_pre2025"].as_str() {
            assert_eq!(successor[old], current, "{e}");
            assert!(
                e["recorded_district_code_pre2025"].is_string(),
                "a demo record names its old district too: {e}"
            );
            recorded.entry(current).or_default().insert(old.to_owned());
        }
    }
    let merged: Vec<(&String, &std::collections::BTreeSet<String>)> =
        recorded.iter().filter(|(_, old)| old.len() >= 2).collect();
    assert!(
        merged.len() >= 2,
        "two merged provinces show two former ones each: {recorded:?}"
    );
    // A code that names another province since the reform: 24 was Bắc Giang, is Bắc Ninh.
    assert!(
        recorded
            .iter()
            .any(|(current, old)| old.iter().any(|o| o == current) && old.len() >= 2),
        "{recorded:?}"
    );
    // The province account works in one of the demo's provinces.
    let province_user = sign_in(&app, "demo-province", PASSWORD).await;
    let me = app.get("/api/v1/me").bearer(&province_user).send().await;
    me.assert_status(200);
    let own = me.body["province_code"].as_str().expect("a province").to_owned();
    assert!(recorded.contains_key(&own), "{own} holds demo records");
    for username in ["demo-admin", "demo-auditor", "demo-commune", "hoidong-001"] {
        sign_in(&app, username, PASSWORD).await;
    }
}

#[actix_web::test]
async fn the_demos_rows_pass_the_apis_own_checks() {
    let app = demo();
    pass_the_apis_own_checks(&app);
}

#[actix_web::test]
async fn the_demo_is_the_same_every_run_and_refused_on_a_filled_database() {
    let first = demo();
    assert_eq!(digest(&first), digest(&demo()));

    let before: i64 = first.with_conn(|conn| beneficiaries::table.count().get_result(conn).unwrap());
    let refused = seed::run(&first.state.db, &Options::demo(1)).unwrap_err();
    assert!(
        matches!(
            refused,
            SeedError::NotEmpty {
                table: "beneficiaries",
                ..
            }
        ),
        "{refused}"
    );
    let after: i64 = first.with_conn(|conn| beneficiaries::table.count().get_result(conn).unwrap());
    assert_eq!(after, before);
}

#[actix_web::test]
async fn a_demo_without_a_password_makes_one_that_signs_in() {
    let app = TestApp::new();
    let summary = seed::run(&app.state.db, &Options::demo(1)).expect("demo seed");
    let password = summary.generated_password.clone().expect("a generated password");
    let usernames: Vec<&str> = summary.accounts.iter().map(|a| a.username.as_str()).collect();
    for username in ["demo-admin", "demo-ministry", "demo-province", "demo-commune"] {
        assert!(usernames.contains(&username), "{usernames:?}");
        sign_in(&app, username, &password).await;
    }
    // The summary names the accounts but keeps the password out of debug output.
    let shown = summary.to_string();
    assert!(
        shown.contains("demo-admin") && !shown.contains(&password),
        "{shown}"
    );
    assert!(!format!("{summary:?}").contains(&password));
}
