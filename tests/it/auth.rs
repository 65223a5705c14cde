//! `--auth verify` (SigV4 checked against registered credentials) and the
//! protection of the control API (`--admin-token`, `--no-control-api`).

use crate::common::{TestServer, error_of};
use aws_sdk_directconnect::config::{BehaviorVersion, Credentials, Region};
use dxemu::cli::ServeArgs;
use serde_json::{Value, json};

const OWNER: &str = "111111111111";
const TOKEN: &str = "adm1n-t0ken";

fn client(
    srv: &TestServer,
    key: &str,
    secret: &str,
    session: Option<&str>,
) -> aws_sdk_directconnect::Client {
    client_in(srv, key, secret, session, "us-east-1")
}

fn client_in(
    srv: &TestServer,
    key: &str,
    secret: &str,
    session: Option<&str>,
    region: &str,
) -> aws_sdk_directconnect::Client {
    let config = aws_sdk_directconnect::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(
            key,
            secret,
            session.map(str::to_string),
            None,
            "tests",
        ))
        .endpoint_url(&srv.endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_directconnect::Client::from_conf(config)
}

async fn verifying() -> TestServer {
    let mut args = ServeArgs::for_tests();
    args.auth = "verify".into();
    args.credentials = vec![
        format!("AKIDOWNER:owner/Secret+Key:{OWNER}"),
        format!("AKIDOWNER2:second-secret:{OWNER}"),
        "222222222222:other-secret".into(),
        "AKIDDEFAULT:default-secret".into(),
    ];
    TestServer::start_with(args).await
}

async fn create(dx: &aws_sdk_directconnect::Client) -> String {
    dx.create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("signed")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string()
}

async fn ids(dx: &aws_sdk_directconnect::Client) -> Vec<String> {
    dx.describe_connections()
        .send()
        .await
        .unwrap()
        .connections()
        .iter()
        .filter_map(|c| c.connection_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn right_secret_is_accepted_and_the_account_follows_the_credential() {
    let srv = verifying().await;
    let owner = client(&srv, "AKIDOWNER", "owner/Secret+Key", None);
    let id = create(&owner).await;
    let conn = owner
        .describe_connections()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    let conn = &conn.connections()[0];
    assert_eq!(conn.owner_account(), Some(OWNER));
    assert_eq!(conn.region(), Some("us-east-1"));
    // The region comes from the credential scope.
    let elsewhere = client_in(&srv, "AKIDOWNER", "owner/Secret+Key", None, "eu-west-1");
    assert!(ids(&elsewhere).await.is_empty());
    // Another key of the same account sees it; other accounts do not.
    let second = client(&srv, "AKIDOWNER2", "second-secret", None);
    assert_eq!(ids(&second).await, vec![id.clone()]);
    let other = client(&srv, "222222222222", "other-secret", None);
    assert!(ids(&other).await.is_empty());
    let default = client(&srv, "AKIDDEFAULT", "default-secret", None);
    assert!(ids(&default).await.is_empty());
    let mine = create(&default).await;
    let conn = default
        .describe_connections()
        .connection_id(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(conn.connections()[0].owner_account(), Some("123456789012"));
    // A session token is signed too and accepted.
    let session = client(
        &srv,
        "AKIDOWNER",
        "owner/Secret+Key",
        Some("FwoGZXIvYXdzEXAMPLE"),
    );
    assert_eq!(ids(&session).await, vec![id]);
}

#[tokio::test]
async fn wrong_secret_and_unknown_key_are_refused() {
    let srv = verifying().await;
    let wrong = client(&srv, "AKIDOWNER", "not-the-secret", None);
    let (code, msg) = error_of(wrong.describe_locations().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        msg.starts_with("The request signature we calculated does not match"),
        "{msg}"
    );
    // Another account's secret does not sign for this key either.
    let swapped = client(&srv, "AKIDOWNER", "other-secret", None);
    let (code, _) = error_of(swapped.describe_connections().send().await);
    assert_eq!(code, "InvalidSignatureException");
    let unknown = client(&srv, "AKIDNOBODY", "owner/Secret+Key", None);
    let (code, msg) = error_of(unknown.describe_locations().send().await);
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        msg,
        "The security token included in the request is invalid."
    );
    // A 12-digit key is not accepted just for looking like an account.
    let numeric = client(&srv, OWNER, "anything", None);
    let (code, _) = error_of(numeric.describe_locations().send().await);
    assert_eq!(code, "UnrecognizedClientException");
}

#[tokio::test]
async fn raw_requests_get_aws_errors_and_statuses() {
    let srv = verifying().await;
    let http = reqwest::Client::new();
    let post = |auth: Option<&str>| {
        let mut req = http
            .post(&srv.endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "OvertureService.DescribeLocations")
            .header("x-amz-date", "20261129T000000Z")
            .body("{}");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let resp = post(None).await.unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
    let resp = post(Some("AWS4-HMAC-SHA256 Credential=AKIDOWNER/20261129"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "IncompleteSignatureException");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Authorization header requires 'Signature' parameter."),
        "{body}"
    );
}

#[tokio::test]
async fn signatures_follow_the_real_clock_not_the_emulated_one() {
    let srv = verifying().await;
    let owner = client(&srv, "AKIDOWNER", "owner/Secret+Key", None);
    owner.describe_locations().send().await.unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/_dxemu/clock/advance", srv.endpoint))
        .json(&json!({"seconds": 3 * 86400}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Three emulated days later the SDK's real-time signature still verifies.
    owner.describe_locations().send().await.unwrap();
}

#[tokio::test]
async fn default_mode_accepts_any_secret() {
    let srv = TestServer::start().await;
    let dx = client(&srv, OWNER, "whatever", None);
    let id = create(&dx).await;
    let conn = dx
        .describe_connections()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(conn.connections()[0].owner_account(), Some(OWNER));
}

async fn guarded(token: Option<&str>, disabled: bool) -> TestServer {
    let mut args = ServeArgs::for_tests();
    args.admin_token = token.map(str::to_string);
    args.no_control_api = disabled;
    TestServer::start_with(args).await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn admin_token_guards_every_control_route_but_health() {
    let srv = guarded(Some(TOKEN), false).await;
    let http = no_redirects();
    let get = |path: &str, header: Option<(&str, String)>| {
        let mut req = http.get(format!("{}{path}", srv.endpoint));
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        req.send()
    };
    assert_eq!(get("/_dxemu/health", None).await.unwrap().status(), 200);
    for path in [
        "/_dxemu/clock",
        "/_dxemu/resources",
        "/_dxemu/ui",
        "/_dxemu/ui/app.js",
        "/_dxemu/nope",
    ] {
        let resp = get(path, None).await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "Unauthorized");
        let wrong = get(path, Some(("authorization", "Bearer nope-nope".into())))
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let reset = http
        .post(format!("{}/_dxemu/reset", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 401);
    for header in [
        ("authorization", format!("Bearer {TOKEN}")),
        ("x-dxemu-admin-token", TOKEN.to_string()),
        ("cookie", format!("theme=dark; dxemu_admin_token={TOKEN}")),
    ] {
        let resp = get("/_dxemu/clock", Some(header.clone())).await.unwrap();
        assert_eq!(resp.status(), 200, "{header:?}");
    }
    // The AWS API does not need the admin token.
    let dx = srv.owner();
    dx.describe_locations().send().await.unwrap();
}

#[tokio::test]
async fn login_sets_the_cookie_and_redirects_to_the_dashboard() {
    let srv = guarded(Some(TOKEN), false).await;
    let http = no_redirects();
    let bad = http
        .get(format!("{}/_dxemu/login?token=wrong", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers().get("set-cookie").is_none());
    let good = http
        .get(format!("{}/_dxemu/login?token={TOKEN}", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 303);
    assert_eq!(good.headers()["location"], "/_dxemu/ui");
    let cookie = good.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("dxemu_admin_token={TOKEN};")),
        "{cookie}"
    );
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/_dxemu"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // The cookie as a browser would send it back.
    let value = cookie.split(';').next().unwrap().to_string();
    let clock = http
        .get(format!("{}/_dxemu/clock", srv.endpoint))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
}

#[tokio::test]
async fn no_control_api_hides_everything_but_health() {
    let srv = guarded(None, true).await;
    let http = no_redirects();
    let health = http
        .get(format!("{}/_dxemu/health", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    for path in [
        "/_dxemu/clock",
        "/_dxemu/resources",
        "/_dxemu/ui",
        "/_dxemu/login?token=x",
    ] {
        let resp = http
            .get(format!("{}{path}", srv.endpoint))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    let reset = http
        .post(format!("{}/_dxemu/reset", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 404);
    srv.owner().describe_locations().send().await.unwrap();
}

#[tokio::test]
async fn without_a_token_the_control_api_stays_open() {
    let srv = guarded(None, false).await;
    let resp = reqwest::get(format!("{}/_dxemu/clock", srv.endpoint))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn keys_registered_at_run_time_sign_under_verify() {
    let srv = verifying().await;
    let late = client(&srv, "AKIDLATE", "late-secret", None);
    let (code, _) = error_of(late.describe_locations().send().await);
    assert_eq!(code, "UnrecognizedClientException");
    let resp = reqwest::Client::new()
        .post(format!("{}/_dxemu/accounts/keys", srv.endpoint))
        .body(
            json!({"accessKey": "AKIDLATE", "account": "333333333333", "secretAccessKey": "late-secret"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let id = create(&late).await;
    let body: Value = reqwest::Client::new()
        .get(format!(
            "{}/_dxemu/resources?kind=connection&account=333333333333",
            srv.endpoint
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["resources"][0]["id"], id.as_str());
    // The wrong secret for the new key is still refused.
    let wrong = client(&srv, "AKIDLATE", "guess", None);
    let (code, _) = error_of(wrong.describe_locations().send().await);
    assert_eq!(code, "InvalidSignatureException");
}
