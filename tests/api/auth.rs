//! Sign-in and tokens: login outcomes, token validation, refresh rotation with reuse detection,
//! logout and login rate limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::support::{PASSWORD, TEST_SECRET, TestApp};

async fn login(app: &TestApp, username: &str, password: &str) -> crate::support::Resp {
    app.post("/api/v1/auth/login")
        .json(json!({"username": username, "password": password}))
        .send()
        .await
}

#[actix_web::test]
async fn login_returns_bearer_tokens_that_open_me() {
    let app = TestApp::new();
    app.user("tinh01.lan", Role::Province).province("01").insert();
    let response = login(&app, "Tinh01.Lan", PASSWORD).await;
    response.assert_status(200);
    assert_eq!(response.body["token_type"], "Bearer");
    assert_eq!(response.body["expires_in"], 900);
    assert!(response.body["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let object = response.body.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec!["access_token", "expires_in", "refresh_token", "token_type"]
    );

    let me = app
        .get("/api/v1/me")
        .bearer(response.body["access_token"].as_str().unwrap())
        .send()
        .await;
    me.assert_status(200);
    assert_eq!(me.body["username"], "tinh01.lan");
    assert_eq!(me.body["role"], "province");
    assert_eq!(me.body["province_code"], "01");
    assert!(me.body.get("password_hash").is_none());
    assert!(me.body["last_login_at"].as_str().unwrap().ends_with('Z'));
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = TestApp::new();
    app.user("bo.kiemtra", Role::Auditor).insert();
    let wrong = login(&app, "bo.kiemtra", "not the password at all").await;
    wrong.assert_problem(401, "invalid_credentials");
    let unknown = login(&app, "nobody.here", PASSWORD).await;
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[actix_web::test]
async fn inactive_user_cannot_log_in_or_use_a_token() {
    let app = TestApp::new();
    let (_, admin_token) = app.admin();
    let user = app.user("bo.nguoidung", Role::Ministry).insert();
    let user_token = app.token_for(&user);
    app.get("/api/v1/me")
        .bearer(&user_token)
        .send()
        .await
        .assert_status(200);

    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);

    login(&app, "bo.nguoidung", PASSWORD)
        .await
        .assert_problem(401, "account_inactive");
    // The token issued before deactivation stops working at once.
    app.get("/api/v1/me")
        .bearer(&user_token)
        .send()
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn another_instance_sees_a_deactivation_within_the_session_cache_lifetime() {
    let settings = [("PRINCIPAL_CACHE_SECS", "1")];
    let app = TestApp::with_config(&settings);
    let other = app.another_instance(&settings);
    let (_, admin_token) = app.admin();
    let user = app.user("bo.haivien", Role::Ministry).insert();
    let token = app.token_for(&user);
    for instance in [&app, &other] {
        instance
            .get("/api/v1/me")
            .bearer(&token)
            .send()
            .await
            .assert_status(200);
    }

    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);

    // The instance that made the change forgets the session at once; the other one trusts the
    // session it checked for at most PRINCIPAL_CACHE_SECS, then reads the account again.
    app.get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_problem(401, "invalid_token");
    other
        .get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1_200)).await;
    other
        .get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn without_the_session_cache_every_instance_sees_a_deactivation_at_once() {
    let settings = [("PRINCIPAL_CACHE_SECS", "0")];
    let app = TestApp::with_config(&settings);
    let other = app.another_instance(&settings);
    let (_, admin_token) = app.admin();
    let user = app.user("bo.khongnho", Role::Ministry).insert();
    let token = app.token_for(&user);
    other
        .get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);
    other
        .get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_problem(401, "invalid_token");
}

fn claims(app: &TestApp, user_id: i64, overrides: Value) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({
        "sub": user_id.to_string(),
        "iss": app.state.config.jwt_issuer,
        "aud": app.state.config.jwt_audience,
        "exp": now + 600,
        "nbf": now,
        "iat": now,
        "jti": "t",
        "role": "admin",
    });
    for (k, v) in overrides.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_web::test]
async fn bad_tokens_are_rejected() {
    let app = TestApp::new();
    let (admin, good) = app.admin();
    app.get("/api/v1/me")
        .bearer(&good)
        .send()
        .await
        .assert_status(200);
    let now = jsonwebtoken::get_current_timestamp();

    // A correctly signed token built by the test is accepted, so the rejections below are about
    // the one claim each changes.
    let control = sign(&claims(&app, admin.id, json!({})), TEST_SECRET);
    app.get("/api/v1/me")
        .bearer(&control)
        .send()
        .await
        .assert_status(200);

    let expired = sign(
        &claims(&app, admin.id, json!({"exp": now - 3600, "nbf": now - 7200})),
        TEST_SECRET,
    );
    app.get("/api/v1/me")
        .bearer(&expired)
        .send()
        .await
        .assert_problem(401, "token_expired");

    let not_yet = sign(&claims(&app, admin.id, json!({"nbf": now + 3600})), TEST_SECRET);
    app.get("/api/v1/me")
        .bearer(&not_yet)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    let wrong_issuer = sign(
        &claims(&app, admin.id, json!({"iss": "someone-else"})),
        TEST_SECRET,
    );
    app.get("/api/v1/me")
        .bearer(&wrong_issuer)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    let wrong_audience = sign(
        &claims(&app, admin.id, json!({"aud": "another-api"})),
        TEST_SECRET,
    );
    app.get("/api/v1/me")
        .bearer(&wrong_audience)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    let wrong_key = sign(
        &claims(&app, admin.id, json!({})),
        "a-different-key-of-sufficient-length-000000",
    );
    app.get("/api/v1/me")
        .bearer(&wrong_key)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    // Tampered payload: claim another user's id, keep the original signature.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = json!((admin.id + 1).to_string());
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    let tampered = parts.join(".");
    app.get("/api/v1/me")
        .bearer(&tampered)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    // `alg: none` with no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&app, admin.id, json!({}))).unwrap());
    let unsigned = format!("{header}.{body}.");
    app.get("/api/v1/me")
        .bearer(&unsigned)
        .send()
        .await
        .assert_problem(401, "invalid_token");

    app.get("/api/v1/me")
        .bearer("not-a-jwt")
        .send()
        .await
        .assert_problem(401, "invalid_token");
    app.get("/api/v1/me")
        .header("Authorization", &format!("Basic {good}"))
        .send()
        .await
        .assert_problem(401, "missing_credentials");
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new();
    app.user("xa.hoa", Role::Commune).commune("00004").insert();
    let first = login(&app, "xa.hoa", PASSWORD).await;
    let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();

    let second = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": r1}))
        .send()
        .await;
    second.assert_status(200);
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    app.get("/api/v1/me")
        .bearer(second.body["access_token"].as_str().unwrap())
        .send()
        .await
        .assert_status(200);

    // r1 was used up: presenting it again is reuse, and it takes r2 down with it.
    let reuse = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": r1}))
        .send()
        .await;
    reuse.assert_problem(401, "invalid_refresh_token");
    let after_reuse = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": r2}))
        .send()
        .await;
    after_reuse.assert_problem(401, "invalid_refresh_token");

    // Another login is a new family and is not affected.
    let other = login(&app, "xa.hoa", PASSWORD).await;
    let r3 = other.body["refresh_token"].as_str().unwrap();
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": r3}))
        .send()
        .await
        .assert_status(200);

    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": "never-issued"}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");

    // The reuse was recorded for auditors.
    let (_, admin_token) = app.admin();
    let events = app
        .get("/api/v1/audit-events?entity_type=session&action=refresh_token_reuse")
        .bearer(&admin_token)
        .send()
        .await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn expired_refresh_token_is_rejected() {
    let app = TestApp::with_config(&[("ACCESS_TOKEN_TTL_SECS", "1"), ("REFRESH_TOKEN_TTL_SECS", "2")]);
    app.user("het.han", Role::Auditor).insert();
    let first = login(&app, "het.han", PASSWORD).await;
    let refresh = first.body["refresh_token"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": refresh}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn logout_revokes_the_session() {
    let app = TestApp::new();
    app.user("dang.xuat", Role::Ministry).insert();
    let session = login(&app, "dang.xuat", PASSWORD).await;
    let access = session.body["access_token"].as_str().unwrap();
    let refresh = session.body["refresh_token"].as_str().unwrap();

    app.post("/api/v1/auth/logout")
        .json(json!({"refresh_token": refresh}))
        .send()
        .await
        .assert_problem(401, "missing_credentials");
    app.post("/api/v1/auth/logout")
        .bearer(access)
        .json(json!({"refresh_token": refresh}))
        .send()
        .await
        .assert_status(204);
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": refresh}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
    // The access token of the ended session stops working at once, not when it expires.
    app.get("/api/v1/me")
        .bearer(access)
        .send()
        .await
        .assert_problem(401, "token_revoked");
}

#[actix_web::test]
async fn logout_ends_only_its_own_session() {
    let app = TestApp::new();
    app.user("hai.thiet.bi", Role::Ministry).insert();
    let laptop = login(&app, "hai.thiet.bi", PASSWORD).await;
    let phone = login(&app, "hai.thiet.bi", PASSWORD).await;
    app.post("/api/v1/auth/logout")
        .bearer(laptop.body["access_token"].as_str().unwrap())
        .json(json!({"refresh_token": laptop.body["refresh_token"]}))
        .send()
        .await
        .assert_status(204);
    app.get("/api/v1/me")
        .bearer(phone.body["access_token"].as_str().unwrap())
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn password_reset_role_change_and_sign_out_everywhere_refuse_earlier_tokens() {
    let app = TestApp::new();
    let (_, admin_token) = app.admin();
    let user = app.user("thu.hoi", Role::Auditor).insert();
    let me = |token: String| {
        let app = &app;
        async move { app.get("/api/v1/me").bearer(&token).send().await }
    };
    let access = |session: &crate::support::Resp| session.body["access_token"].as_str().unwrap().to_owned();

    // Password reset by an admin.
    let before_reset = access(&login(&app, "thu.hoi", PASSWORD).await);
    me(before_reset.clone()).await.assert_status(200);
    let new_password = "Lụa-Vạn-Phúc-dệt-tay-1990";
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"1\"")
        .json(json!({"password": new_password}))
        .send()
        .await
        .assert_status(200);
    me(before_reset).await.assert_problem(401, "token_revoked");
    let after_reset = access(&login(&app, "thu.hoi", new_password).await);
    me(after_reset.clone()).await.assert_status(200);

    // A role change.
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"2\"")
        .json(json!({"role": "ministry"}))
        .send()
        .await
        .assert_status(200);
    me(after_reset).await.assert_problem(401, "token_revoked");

    // "Sign out everywhere" by an admin, then by the user for themself.
    let first = access(&login(&app, "thu.hoi", new_password).await);
    let second = login(&app, "thu.hoi", new_password).await;
    app.post(&format!("/api/v1/users/{}/sessions/revocation", user.id))
        .bearer(&admin_token)
        .send()
        .await
        .assert_status(204);
    me(first).await.assert_problem(401, "token_revoked");
    me(access(&second)).await.assert_problem(401, "token_revoked");
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": second.body["refresh_token"]}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
    let own = access(&login(&app, "thu.hoi", new_password).await);
    app.post(&format!("/api/v1/users/{}/sessions/revocation", user.id))
        .bearer(&own)
        .send()
        .await
        .assert_status(204);
    me(own).await.assert_problem(401, "token_revoked");

    // Signing someone else out is an admin's action.
    let other = app.user("nguoi.khac", Role::Ministry).insert();
    let outsider = access(&login(&app, "thu.hoi", new_password).await);
    app.post(&format!("/api/v1/users/{}/sessions/revocation", other.id))
        .bearer(&outsider)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=user&entity_id={}&action=sessions_revoked",
            user.id
        ))
        .bearer(&admin_token)
        .send()
        .await;
    events.assert_status(200);
    assert_eq!(
        events.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        events.text
    );

    // A change of unit (province) alone.
    let version = || {
        let (app, admin_token) = (&app, &admin_token);
        async move {
            let user = app
                .get(&format!("/api/v1/users/{}", user.id))
                .bearer(admin_token)
                .send()
                .await;
            user.header("etag").unwrap().to_owned()
        }
    };
    let before_move = access(&login(&app, "thu.hoi", new_password).await);
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", &version().await)
        .json(json!({"role": "province", "province_code": "01"}))
        .send()
        .await
        .assert_status(200);
    let in_hanoi = access(&login(&app, "thu.hoi", new_password).await);
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", &version().await)
        .json(json!({"province_code": "46"}))
        .send()
        .await
        .assert_status(200);
    me(before_move).await.assert_problem(401, "token_revoked");
    me(in_hanoi).await.assert_problem(401, "token_revoked");
}

#[actix_web::test]
async fn password_reset_ends_sessions_and_changes_the_password() {
    let app = TestApp::new();
    let (_, admin_token) = app.admin();
    let user = app.user("doi.matkhau", Role::Auditor).insert();
    let session = login(&app, "doi.matkhau", PASSWORD).await;
    let new_password = "Lụa-Vạn-Phúc-dệt-tay-1990";
    app.patch(&format!("/api/v1/users/{}", user.id))
        .bearer(&admin_token)
        .header("If-Match", "\"1\"")
        .json(json!({"password": new_password}))
        .send()
        .await
        .assert_status(200);
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.body["refresh_token"]}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
    login(&app, "doi.matkhau", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    login(&app, "doi.matkhau", new_password).await.assert_status(200);
}

#[actix_web::test]
async fn login_attempts_are_limited_per_username() {
    let app = TestApp::with_config(&[("LOGIN_ATTEMPTS_PER_USERNAME", "3")]);
    app.user("bi.khoa", Role::Auditor).insert();
    for _ in 0..3 {
        login(&app, "bi.khoa", "wrong password guess")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let limited = login(&app, "BI.KHOA", PASSWORD).await;
    limited.assert_problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry_after));
    // Another username from the same address is not affected.
    app.user("khong.khoa", Role::Auditor).insert();
    login(&app, "khong.khoa", PASSWORD).await.assert_status(200);
}

#[actix_web::test]
async fn login_attempts_are_limited_per_client_address() {
    let app = TestApp::with_config(&[("LOGIN_ATTEMPTS_PER_CLIENT", "3")]);
    for name in ["a.one", "a.two", "a.three"] {
        app.post("/api/v1/auth/login")
            .peer("203.0.113.7:5000")
            .json(json!({"username": name, "password": "guess guess guess"}))
            .send()
            .await
            .assert_problem(401, "invalid_credentials");
    }
    app.post("/api/v1/auth/login")
        .peer("203.0.113.7:5001")
        .json(json!({"username": "a.four", "password": "guess guess guess"}))
        .send()
        .await
        .assert_problem(429, "rate_limited");
    app.post("/api/v1/auth/login")
        .peer("198.51.100.9:5000")
        .json(json!({"username": "a.four", "password": "guess guess guess"}))
        .send()
        .await
        .assert_problem(401, "invalid_credentials");
}
