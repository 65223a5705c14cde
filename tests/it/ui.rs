//! The dashboard at `/_dxemu/ui`: what it shows, that it escapes, and its actions.

use crate::common::*;
use aws_sdk_directconnect::types::{ConnectionState, NewPrivateVirtualInterface};

const HOSTILE: &str = r#"<script>alert(1)</script>"'&"#;
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";

/// A client that does not follow redirects, so the 303 answers can be seen.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(srv: &TestServer, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = http()
        .get(format!("{}{path}", srv.endpoint))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

/// Posts a dashboard form; the status and the page the answer points to.
async fn act(srv: &TestServer, form: &str, origin: Option<&str>) -> (u16, Option<String>) {
    let mut req = http()
        .post(format!("{}/_dxemu/ui/action", srv.endpoint))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string());
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (resp.status().as_u16(), location)
}

#[tokio::test]
async fn dashboard_shows_resources_and_relations() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let other = srv.client(OTHER, "eu-west-1");
    let conn = connection_at(&dx, "EqDC2", "primary-link").await;
    let far = connection_at(&other, "EIRCL", "far-away").await;
    let gw = dx
        .create_direct_connect_gateway()
        .direct_connect_gateway_name("core-gw")
        .amazon_side_asn(64512)
        .send()
        .await
        .unwrap()
        .direct_connect_gateway()
        .unwrap()
        .direct_connect_gateway_id()
        .unwrap()
        .to_string();
    let vif = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(
            NewPrivateVirtualInterface::builder()
                .virtual_interface_name("app-vif")
                .vlan(101)
                .asn(65000)
                .direct_connect_gateway_id(&gw)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .virtual_interface_id()
        .unwrap()
        .to_string();

    let (status, headers, html) = page(&srv, "/_dxemu/ui").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    for text in [
        conn.as_str(),
        far.as_str(),
        gw.as_str(),
        vif.as_str(),
        "primary-link",
        "far-away",
        "core-gw",
        "app-vif",
        OWNER,
        OTHER,
        "eu-west-1",
        "global",
        "take down",
        "+1 hour",
        "instant",
    ] {
        assert!(html.contains(text), "{text} missing from the page");
    }
    // Each account and region is its own section, owner first.
    let owner_at = html.find(&format!("<code>{OWNER}</code>")).unwrap();
    let other_at = html.find(&format!("<code>{OTHER}</code>")).unwrap();
    assert!(owner_at < other_at && html[other_at..].contains(&far));
    assert!(!html[other_at..].contains(&conn));
    // The VIF's row names its connection and its gateway.
    let vif_row = row(&html, &vif);
    assert!(
        vif_row.contains(&format!("href=\"#r-{conn}\"")),
        "{vif_row}"
    );
    assert!(vif_row.contains(&format!("href=\"#r-{gw}\"")), "{vif_row}");
    // The connection and the gateway list the VIF.
    assert!(row(&html, &conn).contains(&format!("href=\"#r-{vif}\"")));
    assert!(row(&html, &gw).contains(&format!("href=\"#r-{vif}\"")));
    // The fragment the page refreshes itself with has the same rows.
    let (status, _, fragment) = page(&srv, "/_dxemu/ui/fragment").await;
    assert_eq!(status, 200);
    assert!(fragment.contains(&vif) && !fragment.contains("<html"));
    let (status, headers, js) = page(&srv, "/_dxemu/ui/app.js").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(js.contains("/_dxemu/ui/fragment"));
}

/// The `<tr>` of a resource.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"r-{id}\""))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn dashboard_escapes_what_it_renders() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", HOSTILE).await;
    dx.create_lag()
        .location("EqDC2")
        .connections_bandwidth("1Gbps")
        .number_of_connections(1)
        .lag_name(HOSTILE)
        .send()
        .await
        .unwrap();
    dx.create_direct_connect_gateway()
        .direct_connect_gateway_name(HOSTILE)
        .send()
        .await
        .unwrap();
    for path in ["/_dxemu/ui", "/_dxemu/ui/fragment"] {
        let (_, _, html) = page(&srv, path).await;
        assert!(html.contains(&conn));
        assert!(!html.contains(HOSTILE), "{path} renders the raw name");
        assert!(!html.contains("<script>alert"), "{path} renders a script");
        assert_eq!(html.matches(HOSTILE_ESCAPED).count(), 3, "{path}");
    }
}

#[tokio::test]
async fn dashboard_actions_move_resources() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "to-take-down").await;
    assert_eq!(
        connection_state(&dx, &conn).await,
        ConnectionState::Available
    );

    // "take down": a 303 back to the page, which says what happened once.
    let form = format!("do=state&kind=connection&id={conn}&to=down");
    let (status, location) = act(&srv, &form, None).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with("/_dxemu/ui?flash="), "{location}");
    assert_eq!(connection_state(&dx, &conn).await, ConnectionState::Down);
    let (_, _, html) = page(&srv, &location).await;
    assert!(html.contains(&format!("connection {conn} is now down")));
    assert!(row(&html, &conn).contains("bring up"));
    let (_, _, again) = page(&srv, &location).await;
    assert!(!again.contains("is now down"));

    // A refused transition comes back as an error banner; nothing moves.
    let form = format!("do=state&kind=connection&id={conn}&to=requested");
    let (status, location) = act(&srv, &form, None).await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    assert!(html.contains("class=\"flash error\""), "{html}");
    assert!(html.contains("cannot move from down to requested"));
    assert_eq!(connection_state(&dx, &conn).await, ConnectionState::Down);

    // A form posted from another site is refused; one from the page is not.
    let form = format!("do=state&kind=connection&id={conn}&to=available");
    let (status, _) = act(&srv, &form, Some("http://evil.example")).await;
    assert_eq!(status, 403);
    assert_eq!(connection_state(&dx, &conn).await, ConnectionState::Down);
    let own = srv.endpoint.clone();
    let (status, _) = act(&srv, &form, Some(&own)).await;
    assert_eq!(status, 303);
    assert_eq!(
        connection_state(&dx, &conn).await,
        ConnectionState::Available
    );

    // The clock moves forward; reset forgets everything.
    let before = clock_ms(&srv).await;
    let (status, location) = act(&srv, "do=advance&seconds=86400", None).await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    assert!(html.contains("clock moved forward by 1 day(s)"), "{html}");
    assert!(clock_ms(&srv).await - before >= 86_400_000);
    let (status, _) = act(&srv, "do=reset", None).await;
    assert_eq!(status, 303);
    let listed = dx.describe_connections().send().await.unwrap();
    assert!(listed.connections().is_empty());
    let (_, _, html) = page(&srv, "/_dxemu/ui").await;
    assert!(html.contains("No resources yet"));
}

async fn clock_ms(srv: &TestServer) -> i64 {
    let body: serde_json::Value = http()
        .get(format!("{}/_dxemu/clock", srv.endpoint))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["nowMs"].as_i64().unwrap()
}
