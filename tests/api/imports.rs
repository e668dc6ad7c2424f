//! Importing establishments from files: a dry run names exactly the rows and columns with
//! problems, the fixed file imports once, a file with one bad row writes nothing, large files run
//! as jobs, a job whose server is killed leaves nothing, and the template imports as it is.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use khuyencong::auth::Role;
use khuyencong::db::schema::{audit_events, beneficiaries};
use khuyencong::domain::identifiers::tax_code_check_digit;

use crate::binary::{Server, free_port};
use crate::contract::assert_documented;
use crate::support::{TEST_SECRET, TestApp, is_postgres};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const HEADER: &str = "name,legal_form,identifier_type,identifier_value,province_code,commune_code,\
                      recorded_province_code_pre2025,recorded_district_code_pre2025,employees,in_craft_village,\
                      craft_village_name";

/// The `n`-th valid tax code of a Hà Nội series.
fn tax_code(n: u32) -> String {
    let mut seq = n * 10;
    loop {
        let prefix = format!("01{seq:07}");
        let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        if let Some(check) = tax_code_check_digit(&digits.clone().try_into().unwrap()) {
            return format!("{prefix}{check}");
        }
        seq += 1;
    }
}

/// A tax code whose check digit is wrong.
fn bad_tax_code(n: u32) -> String {
    let good = tax_code(n);
    let last = good.as_bytes()[9] - b'0';
    format!("{}{}", &good[..9], (last + 1) % 10)
}

fn establishments(app: &TestApp) -> i64 {
    app.with_conn(|conn| beneficiaries::table.count().get_result(conn).unwrap())
}

/// The (row, column, code) of every problem of a report.
pub fn problems(body: &Value) -> BTreeSet<(u64, String, String)> {
    body["report"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems in {body}"))
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub fn triple(row: u64, column: &str, code: &str) -> (u64, String, String) {
    (row, column.to_owned(), code.to_owned())
}

struct Staff {
    admin: String,
    province: String,
}

fn staff(app: &TestApp) -> Staff {
    let (_, admin) = app.admin();
    let province = app.user("importer-01", Role::Province).province("01").insert();
    Staff {
        admin,
        province: app.token_for(&province),
    }
}

/// `file` sent to the import of `kind`, with the rest of the query (`&dry_run=true`).
pub async fn upload(
    app: &TestApp,
    token: &str,
    kind: &str,
    query: &str,
    content_type: &str,
    file: impl Into<Vec<u8>>,
) -> crate::support::Resp {
    app.post(&format!("/api/v1/imports?kind={kind}{query}"))
        .bearer(token)
        .raw(content_type, file)
        .send()
        .await
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    file: impl Into<Vec<u8>>,
) -> crate::support::Resp {
    upload(app, token, "beneficiaries", query, content_type, file).await
}

#[actix_web::test]
async fn a_dry_run_names_each_bad_row_and_column_and_the_fixed_file_imports_once() {
    let app = TestApp::new();
    let staff = staff(&app);
    // An establishment already registered: a row with its tax code is a duplicate.
    let existing = tax_code(900);
    app.post("/api/v1/beneficiaries")
        .bearer(&staff.admin)
        .json(serde_json::json!({
            "name": "Công ty Gốm Bát Tràng", "legal_form": "enterprise", "identifier_type": "tax_code",
            "identifier_value": existing, "province_code": "01", "commune_code": "00004"
        }))
        .send()
        .await
        .assert_status(201);
    let before = establishments(&app);

    let rows = [
        // row 2: valid
        format!(
            "Công ty Mây tre Phú Vinh,enterprise,tax_code,{},01,00004,01,001,25,true,Làng mây tre đan Phú Vinh",
            tax_code(1)
        ),
        // row 3: the tax code's check digit is wrong
        format!(
            "Công ty Sơn mài Hạ Thái,enterprise,tax_code,{},01,00004,,,,,",
            bad_tax_code(2)
        ),
        // row 4: no such commune; the district is not of the recorded province
        format!(
            "Hợp tác xã Lụa Vạn Phúc,cooperative,cooperative_code,{},01,99999,01,760,,,",
            tax_code(3)
        ),
        // row 5: the commune is in another province (79)
        format!(
            "Công ty Cơ khí Sài Gòn,enterprise,tax_code,{},01,25747,,,,,",
            tax_code(4)
        ),
        // row 6: the same tax code as row 2
        format!(
            "Công ty Mây tre Phú Vinh 2,enterprise,tax_code,{},01,00004,,,,,",
            tax_code(1)
        ),
        // row 7: already in the registry
        format!("Công ty Gốm Bát Tràng,enterprise,tax_code,{existing},01,00004,,,,,"),
        // row 8: an unknown legal form, employees not a number, a craft village name without the flag
        format!(
            "Cơ sở Nón lá,partnership,tax_code,{},01,00004,,,nhiều,false,Làng nón Chuông",
            tax_code(5)
        ),
        // row 9: valid
        "Tổ hợp tác Thêu ren Văn Lâm,cooperative_group,none,,01,00004,,,12,,".to_owned(),
    ];
    let file = format!("{HEADER}\n{}\n", rows.join("\n"));

    let dry = import(&app, &staff.admin, "&dry_run=true", "text/csv", file.clone()).await;
    dry.assert_status(200);
    assert_documented("post", "/api/v1/imports", &dry);
    assert_eq!(dry.body["report"]["rows_read"], 8);
    assert_eq!(dry.body["report"]["rows_valid"], 2);
    assert!(
        dry.body.get("id").is_none(),
        "a dry run in the request is not recorded"
    );
    assert_eq!(
        problems(&dry.body),
        BTreeSet::from([
            triple(3, "identifier_value", "invalid_tax_code_check_digit"),
            triple(4, "commune_code", "unknown_commune"),
            triple(4, "recorded_district_code_pre2025", "district_not_in_province"),
            triple(5, "commune_code", "commune_not_in_province"),
            triple(6, "identifier_value", "duplicate_in_file"),
            triple(7, "identifier_value", "duplicate_identifier"),
            triple(8, "legal_form", "invalid_value"),
            triple(8, "employees", "invalid_value"),
            triple(8, "craft_village_name", "not_in_craft_village"),
        ]),
        "{}",
        dry.text
    );
    assert_eq!(establishments(&app), before, "a dry run writes nothing");

    // A real run of the same file: refused, nothing written.
    let refused = import(&app, &staff.admin, "", "text/csv", file).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(problems(&refused.body).len(), 9);
    assert_eq!(establishments(&app), before);

    // The fixed file (with a byte-order mark, as Excel saves "CSV UTF-8") imports every row.
    let fixed_rows = [
        rows[0].clone(),
        format!(
            "Công ty Sơn mài Hạ Thái,enterprise,tax_code,{},01,00004,,,,,",
            tax_code(2)
        ),
        format!(
            "Hợp tác xã Lụa Vạn Phúc,cooperative,cooperative_code,{},01,00004,01,001,,,",
            tax_code(3)
        ),
        format!(
            "Công ty Cơ khí Ba Đình,enterprise,tax_code,{},01,00004,,,,,",
            tax_code(4)
        ),
        format!(
            "Công ty Nón lá Chuông,enterprise,tax_code,{},01,00004,,,,,",
            tax_code(6)
        ),
        "Cơ sở Nón lá,household_business,household_registration,01A8001234,01,00004,,,7,false,".to_owned(),
        rows[7].clone(),
    ];
    let fixed = format!("\u{feff}{HEADER}\n{}\n", fixed_rows.join("\n"));
    let dry = import(&app, &staff.admin, "&dry_run=true", "text/csv", fixed.clone()).await;
    dry.assert_status(200);
    assert_eq!(dry.body["report"]["problems_total"], 0, "{}", dry.text);

    let applied = import(&app, &staff.admin, "", "text/csv", fixed.clone()).await;
    applied.assert_status(201);
    assert_documented("post", "/api/v1/imports", &applied);
    assert_eq!(applied.body["state"], "succeeded");
    assert_eq!(applied.body["rows_total"], 7);
    assert_eq!(establishments(&app), before + 7);
    let id = applied.body["id"].as_i64().unwrap();
    assert_eq!(
        applied.header("location"),
        Some(format!("/api/v1/imports/{id}").as_str())
    );
    let sha256 = applied.body["file_sha256"].as_str().unwrap().to_owned();

    // The rows are the API's records: found by tax code, with what the file said.
    let found = app
        .get(&format!("/api/v1/beneficiaries?q={}", tax_code(1)))
        .bearer(&staff.admin)
        .send()
        .await;
    let record = &found.body["items"][0];
    assert_eq!(record["name"], "Công ty Mây tre Phú Vinh");
    assert_eq!(record["recorded_district_code_pre2025"], "001");
    assert_eq!(record["employees"], 25);
    assert_eq!(record["in_craft_village"], true);
    assert_eq!(record["craft_village_name"], "Làng mây tre đan Phú Vinh");

    // One audit event for the file, with its SHA-256.
    let audited: Vec<Option<String>> = app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::entity_type.eq("import"))
            .select(audit_events::after_json)
            .load(conn)
            .unwrap()
    });
    assert_eq!(audited.len(), 1);
    let after: Value = serde_json::from_str(audited[0].as_deref().unwrap()).unwrap();
    assert_eq!(after["file_sha256"], sha256);
    assert_eq!(after["rows"], 7);

    // The same file again is refused, naming the import that applied it.
    let again = import(&app, &staff.admin, "", "text/csv", fixed).await;
    again.assert_problem(409, "duplicate_import");
    assert_eq!(again.body["existing_id"], id);
    assert_eq!(establishments(&app), before + 7);

    let shown = app
        .get(&format!("/api/v1/imports/{id}"))
        .bearer(&staff.admin)
        .send()
        .await;
    shown.assert_status(200);
    assert_documented("get", "/api/v1/imports/{id}", &shown);
    assert_eq!(shown.body["report"]["rows_valid"], 7);
    // Province staff see the imports of their province only.
    app.get(&format!("/api/v1/imports/{id}"))
        .bearer(&staff.province)
        .send()
        .await
        .assert_problem(404, "not_found");

    // The list: national staff see every import (reports left out), province staff theirs.
    let listed = app
        .get("/api/v1/imports?kind=beneficiaries")
        .bearer(&staff.admin)
        .send()
        .await;
    listed.assert_status(200);
    assert_documented("get", "/api/v1/imports", &listed);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "refused files and dry runs are not recorded: {}",
        listed.text
    );
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["report"], Value::Null);
    let theirs = app.get("/api/v1/imports").bearer(&staff.province).send().await;
    assert_eq!(
        theirs.body["items"].as_array().unwrap().len(),
        0,
        "{}",
        theirs.text
    );
    let failed = app
        .get("/api/v1/imports?state=failed")
        .bearer(&staff.admin)
        .send()
        .await;
    assert_eq!(failed.body["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn province_staff_import_only_their_provinces_rows_and_bad_files_are_reported() {
    let app = TestApp::new();
    let staff = staff(&app);
    let file = format!(
        "{HEADER}\nCông ty A,enterprise,tax_code,{},01,00004,,,,,\nCông ty B,enterprise,tax_code,{},79,25747,,,,,\n",
        tax_code(11),
        tax_code(12)
    );
    let dry = import(&app, &staff.province, "&dry_run=true", "text/csv", file).await;
    dry.assert_status(200);
    assert_eq!(
        problems(&dry.body),
        BTreeSet::from([triple(3, "province_code", "outside_territory")])
    );
    assert_eq!(dry.body["province_code"], "01");

    // A file without the required columns, one with an unknown column.
    let no_header = import(&app, &staff.admin, "&dry_run=true", "text/csv", "a,b\n1,2\n").await;
    no_header.assert_status(200);
    assert_eq!(no_header.body["report"]["problems"][0]["code"], "missing_header");
    let unknown = import(
        &app,
        &staff.admin,
        "&dry_run=true",
        "text/csv",
        format!(
            "{HEADER},colour\nCông ty A,enterprise,tax_code,{},01,00004,,,,,,red\n",
            tax_code(11)
        ),
    )
    .await;
    assert_eq!(
        problems(&unknown.body),
        BTreeSet::from([triple(1, "colour", "unknown_column")])
    );
    // Not a file type the import reads; a commune user may not import.
    import(&app, &staff.admin, "", "application/json", "{}")
        .await
        .assert_problem(415, "unsupported_media_type");
    let commune = app.user("commune-1", Role::Commune).commune("00004").insert();
    import(&app, &app.token_for(&commune), "", "text/csv", "x")
        .await
        .assert_problem(403, "forbidden");
}

/// `count` valid household businesses of Hà Nội, numbered from `from`.
fn household_rows(from: u32, count: u32) -> Vec<String> {
    (from..from + count)
        .map(|n| {
            format!(
                "Hộ kinh doanh số {n},household_business,household_registration,01A8{n:06},01,00004,,,3,,"
            )
        })
        .collect()
}

async fn wait_for_job(app: &TestApp, token: &str, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let job = app
            .get(&format!("/api/v1/imports/{id}"))
            .bearer(token)
            .send()
            .await;
        job.assert_status(200);
        if matches!(job.body["state"].as_str(), Some("succeeded" | "failed")) {
            return job.body;
        }
        assert!(Instant::now() < deadline, "job {id} did not finish: {}", job.text);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_large_file_runs_as_a_job_and_one_bad_row_among_ten_thousand_writes_nothing() {
    let app = TestApp::with_config(&[("IMPORT_SYNC_MAX_BYTES", "65536")]);
    let staff = staff(&app);
    let before = establishments(&app);
    let mut rows = household_rows(1, 10_000);
    // Row 7,778 of the file (the 7,777th data row): a commune of another province.
    rows[7_776] =
        "Hộ kinh doanh sai,household_business,household_registration,01A8999999,01,25747,,,3,,".to_owned();
    let file = format!("{HEADER}\n{}\n", rows.join("\n"));

    let accepted = import(&app, &staff.admin, "", "text/csv", file).await;
    accepted.assert_status(202);
    assert_documented("post", "/api/v1/imports", &accepted);
    assert_eq!(accepted.body["state"], "queued");
    let id = accepted.body["id"].as_i64().unwrap();
    assert_eq!(
        accepted.header("location"),
        Some(format!("/api/v1/imports/{id}").as_str())
    );
    let job = wait_for_job(&app, &staff.admin, id).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["rows_total"], 10_000);
    assert_eq!(job["report"]["rows_valid"], 9_999);
    assert_eq!(
        problems(&serde_json::json!({"report": job["report"]})),
        BTreeSet::from([triple(7_778, "commune_code", "commune_not_in_province")])
    );
    assert_eq!(establishments(&app), before, "one bad row: nothing written");

    // The fixed file runs as a job and writes every row.
    rows[7_776] = household_rows(10_001, 1).remove(0);
    let file = format!("{HEADER}\n{}\n", rows.join("\n"));
    let accepted = import(&app, &staff.admin, "", "text/csv", file).await;
    accepted.assert_status(202);
    let job = wait_for_job(&app, &staff.admin, accepted.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["rows_done"], 10_000);
    assert_eq!(establishments(&app), before + 10_000);
    // Records created afterwards through the API take the next ids.
    let created = app
        .post("/api/v1/beneficiaries")
        .bearer(&staff.admin)
        .json(serde_json::json!({
            "name": "Công ty Sau nhập", "legal_form": "enterprise", "identifier_type": "tax_code",
            "identifier_value": tax_code(77), "province_code": "01", "commune_code": "00004"
        }))
        .send()
        .await;
    created.assert_status(201);
    let largest: i64 = app.with_conn(|conn| {
        beneficiaries::table
            .select(diesel::dsl::max(beneficiaries::id))
            .first::<Option<i64>>(conn)
            .unwrap()
            .unwrap()
    });
    assert_eq!(created.body["id"], largest);
}

#[actix_web::test]
async fn the_template_imports_as_it_is_downloaded() {
    let app = TestApp::new();
    let staff = staff(&app);
    let template = app
        .get("/api/v1/imports/templates/beneficiaries")
        .bearer(&staff.province)
        .send()
        .await;
    template.assert_status(200);
    let documented = &crate::contract::document()["paths"]["/api/v1/imports/templates/{kind}"]["get"];
    assert!(documented["responses"]["200"]["content"][XLSX].is_object());
    assert_eq!(template.header("content-type"), Some(XLSX));

    // Vietnamese headings, then the code row, then the example.
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(template.bytes.clone())).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "Tên cơ sở (*)");
    assert_eq!(rows[1][0], "name");
    assert_eq!(rows[1].len(), khuyencong::imports::columns::BENEFICIARIES.len());
    assert_eq!(rows.len(), 3);

    let before = establishments(&app);
    let applied = import(&app, &staff.province, "", XLSX, template.bytes.clone()).await;
    applied.assert_status(201);
    assert_eq!(applied.body["file_format"], "xlsx");
    assert_eq!(applied.body["rows_total"], 1, "{}", applied.text);
    assert_eq!(establishments(&app), before + 1);
    let found = app
        .get("/api/v1/beneficiaries?q=0100109106")
        .bearer(&staff.province)
        .send()
        .await;
    let record = &found.body["items"][0];
    assert_eq!(record["name"], rows[2][0]);
    assert_eq!(record["commune_code"], "00004");
    assert_eq!(record["employees"], 25);
    assert_eq!(
        record["personal_data"]["representative_national_id"],
        "001085012345"
    );
}

#[actix_web::test]
async fn the_command_line_reports_a_bad_file_as_a_table_and_fails_then_imports_the_fixed_one() {
    let app = TestApp::new();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("co-so.csv");
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\nCông ty A,enterprise,tax_code,{},01,00004,,,,,\n",
            bad_tax_code(31)
        ),
    )
    .unwrap();
    let run = |file: &std::path::Path, extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_khuyencong"))
            .args(["import", file.to_str().unwrap(), "--kind", "beneficiaries"])
            .args(extra)
            .env("DATABASE_URL", &app._database.url)
            .env("JWT_SECRET", TEST_SECRET)
            .env("LANG", "C")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let before = establishments(&app);
    let (ok, stdout, stderr) = run(&bad, &["--dry-run"]);
    assert!(!ok, "an invalid file fails: {stdout} {stderr}");
    assert!(
        stdout.contains("rows read: 1   valid: 0   invalid: 1"),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("invalid_tax_code_check_digit"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.trim_start().starts_with("2  identifier_value"), "{line}");

    let (ok, _, _) = run(&bad, &["--province-code", "79"]);
    assert!(!ok);
    assert_eq!(establishments(&app), before);

    let good = dir.path().join("co-so-da-sua.csv");
    std::fs::write(
        &good,
        format!(
            "{HEADER}\nCông ty A,enterprise,tax_code,{},01,00004,,,,,\n",
            tax_code(31)
        ),
    )
    .unwrap();
    let (ok, stdout, stderr) = run(&good, &["--province-code", "01"]);
    assert!(ok, "{stdout} {stderr}");
    assert!(stdout.contains("imported 1 rows"), "{stdout}");
    assert_eq!(establishments(&app), before + 1);
    let (ok, _, stderr) = run(&good, &[]);
    assert!(!ok);
    assert!(stderr.contains("already imported"), "{stderr}");
}

fn json_of(response: ureq::Response) -> Value {
    serde_json::from_str(&response.into_string().unwrap()).unwrap()
}

#[actix_web::test]
async fn a_server_killed_while_a_job_writes_leaves_nothing_and_the_job_shows_as_failed() {
    let app = TestApp::with_config(&[("IMPORT_JOB_LEASE_SECS", "2")]);
    let staff = staff(&app);
    let before = establishments(&app);
    let port = free_port();
    let server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_khuyencong"))
            .arg("serve")
            .env("DATABASE_URL", &app._database.url)
            .env("JWT_SECRET", TEST_SECRET)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("IMPORT_JOB_LEASE_SECS", "2")
            .env("IMPORT_SYNC_MAX_BYTES", "1024")
            .env("WEBHOOK_POLL_MS", "0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let started = Instant::now();
    while agent
        .get(&format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let file = format!("{HEADER}\n{}\n", household_rows(1, 60_000).join("\n"));
    let accepted: Value = agent
        .post(&format!("{base}/imports?kind=beneficiaries"))
        .set("Authorization", &format!("Bearer {}", staff.admin))
        .set("Content-Type", "text/csv")
        .send_bytes(file.as_bytes())
        .map(json_of)
        .unwrap();
    let id = accepted["id"].as_i64().unwrap();
    // Kill the server once every row is checked: the job is writing them.
    let mut server = server;
    loop {
        let job: Value = agent
            .get(&format!("{base}/imports/{id}"))
            .set("Authorization", &format!("Bearer {}", staff.admin))
            .call()
            .map(json_of)
            .unwrap();
        assert!(
            matches!(job["state"].as_str(), Some("queued" | "running")),
            "the job ended before it could be killed: {job}"
        );
        if job["rows_done"] == 60_000 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the job did not progress: {job}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();

    // Another instance: once the lease has run out, the job is failed and nothing was written.
    let other = app.another_instance(&[("IMPORT_JOB_LEASE_SECS", "2")]);
    assert_eq!(establishments(&other), before, "a killed job wrote rows");
    actix_web::rt::time::sleep(Duration::from_millis(2_500)).await;
    let job = other
        .get(&format!("/api/v1/imports/{id}"))
        .bearer(&staff.admin)
        .send()
        .await;
    job.assert_status(200);
    assert_eq!(job.body["state"], "failed", "{}", job.text);
    assert!(
        job.body["failure"].as_str().unwrap().contains("interrupted"),
        "{}",
        job.text
    );
    assert_eq!(establishments(&other), before);
    if is_postgres() {
        // PostgreSQL rolled the transaction back when its connection went away.
        let waiting: i64 = other.with_conn(|conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND state <> 'idle')",
            ))
            .get_result(conn)
            .unwrap()
        });
        assert_eq!(waiting, 0);
    }
    // The same file can be imported again now that the job failed.
    let again = import(
        &other,
        &staff.admin,
        "&dry_run=true",
        "text/csv",
        file.into_bytes(),
    )
    .await;
    assert!(matches!(again.status, 200 | 202), "{}", again.text);
}
