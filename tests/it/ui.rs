//! The dashboard at `/_dxemu/ui`: what it shows, that it escapes, and its actions.

use crate::common::*;
use aws_sdk_directconnect::types::{
    ConnectionState, NewPrivateVirtualInterface, NewPrivateVirtualInterfaceAllocation, Tag,
    VirtualInterfaceState,
};

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
        // Each name twice (as text and as the tooltip with the full name),
        // and the LAG's once more in its member connection's row, by name
        // and in the link's tooltip.
        assert_eq!(html.matches(HOSTILE_ESCAPED).count(), 8, "{path}");
        assert_eq!(
            html.matches(&format!(
                "<span class=\"name\" title=\"{HOSTILE_ESCAPED}\">{HOSTILE_ESCAPED}</span>"
            ))
            .count(),
            3,
            "{path}"
        );
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

/// A Direct Connect gateway of the caller; its id.
async fn gateway(dx: &aws_sdk_directconnect::Client, name: &str) -> String {
    dx.create_direct_connect_gateway()
        .direct_connect_gateway_name(name)
        .amazon_side_asn(64512)
        .send()
        .await
        .unwrap()
        .direct_connect_gateway()
        .unwrap()
        .direct_connect_gateway_id()
        .unwrap()
        .to_string()
}

/// A private VIF of the caller on `conn` attached to `gw`; its id.
async fn private_vif(
    dx: &aws_sdk_directconnect::Client,
    conn: &str,
    gw: &str,
    name: &str,
) -> String {
    dx.create_private_virtual_interface()
        .connection_id(conn)
        .new_private_virtual_interface(
            NewPrivateVirtualInterface::builder()
                .virtual_interface_name(name)
                .vlan(101)
                .asn(65000)
                .direct_connect_gateway_id(gw)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .virtual_interface_id()
        .unwrap()
        .to_string()
}

/// A VGW association of a gateway; its id.
async fn associate(dx: &aws_sdk_directconnect::Client, gw: &str, vgw: &str) -> String {
    dx.create_direct_connect_gateway_association()
        .direct_connect_gateway_id(gw)
        .gateway_id(vgw)
        .send()
        .await
        .unwrap()
        .direct_connect_gateway_association()
        .unwrap()
        .association_id()
        .unwrap()
        .to_string()
}

async fn events_json(srv: &TestServer, query: &str) -> Vec<serde_json::Value> {
    let (status, headers, body) = page(srv, &format!("/_dxemu/events{query}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn dashboard_names_every_reference_and_truncates_long_names() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let long = "n".repeat(300);
    let conn = connection_at(&dx, "EqDC2", &long).await;
    let gw = gateway(&dx, "core-gw").await;
    let vif = private_vif(&dx, &conn, &gw, "app-vif").await;
    let assoc = associate(&dx, &gw, "vgw-0a1b2c3d").await;
    let (_, _, html) = page(&srv, "/_dxemu/ui").await;

    // The long name is one truncating span with the full name on hover.
    let conn_row = row(&html, &conn);
    assert!(
        conn_row.contains(&format!(
            "<td class=\"namecell\"><span class=\"name\" title=\"{long}\">{long}</span></td>"
        )),
        "{conn_row}"
    );
    assert!(html.contains(".name{max-width:22em}"));
    assert!(html.contains("text-overflow:ellipsis"));
    // References carry the names of what they point at, with the id.
    let vif_row = row(&html, &vif);
    assert!(
        vif_row.contains(&format!(
            "<a href=\"#r-{gw}\" class=\"ref\" title=\"core-gw {gw}\"><span class=\"ref-name\">core-gw</span> <code>{gw}</code></a>"
        )),
        "{vif_row}"
    );
    assert!(vif_row.contains(&format!("<span class=\"ref-name\">{long}</span>")));
    // An association is named by the gateways it joins, and its gateway
    // shows by name.
    let assoc_row = row(&html, &assoc);
    assert!(
        assoc_row.contains("<span class=\"name derived\" title=\"core-gw ↔ vgw-0a1b2c3d\">core-gw ↔ vgw-0a1b2c3d</span>"),
        "{assoc_row}"
    );
    assert!(assoc_row.contains("<span class=\"ref-name\">core-gw</span>"));
    assert!(row(&html, &gw).contains("<span class=\"ref-name\">app-vif</span>"));
    // Every id cell opens the detail view.
    assert!(conn_row.contains(&format!(
        "<a href=\"/_dxemu/ui/resource/connection/{conn}\" title=\"Details of {conn}\">"
    )));
}

#[tokio::test]
async fn dashboard_hides_deleted_resources_and_filters() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let other = srv.client(OTHER, "eu-west-1");
    let kept = connection_at(&dx, "EqDC2", "kept-link").await;
    let gone = connection_at(&dx, "EqDC2", "gone-link").await;
    let far = connection_at(&other, "EIRCL", "far-link").await;
    let gw = gateway(&dx, "filter-gw").await;
    dx.delete_connection()
        .connection_id(&gone)
        .send()
        .await
        .unwrap();
    assert_eq!(connection_state(&dx, &gone).await, ConnectionState::Deleted);

    let (_, _, html) = page(&srv, "/_dxemu/ui").await;
    assert!(!html.contains(&format!("id=\"r-{gone}\"")), "deleted shown");
    assert!(html.contains(&format!("id=\"r-{kept}\"")));
    assert!(
        html.contains(
            "<p class=\"totals\" id=\"totals\"><b>3</b> resource(s) · 1 deleted hidden</p>"
        ),
        "{html}"
    );
    // The owner's connections count one: the deleted one does not count.
    assert!(html.contains("<h3>Connections <span class=\"count\">1</span></h3>"));
    // The filter form: plain GET, with the toggle.
    assert!(
        html.contains(
            "<form method=\"get\" action=\"/_dxemu/ui\" class=\"filters\" role=\"search\">"
        )
    );
    assert!(html.contains("<input type=\"checkbox\" name=\"deleted\" value=\"1\"> Show deleted"));

    let (_, _, html) = page(&srv, "/_dxemu/ui?deleted=1").await;
    assert!(row(&html, &gone).contains("data-state=\"deleted\""));
    assert!(
        html.contains("<b>3</b> resource(s), 1 deleted shown</p>"),
        "{html}"
    );
    assert!(html.contains("<h3>Connections <span class=\"count\">1 · 1 deleted</span></h3>"));
    assert!(html.contains("name=\"deleted\" value=\"1\" checked"));

    let ids = |html: &str| {
        [&kept, &gone, &far, &gw]
            .iter()
            .filter(|id| html.contains(&format!("id=\"r-{id}\"")))
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
    };
    for (query, want) in [
        (format!("?account={OTHER}"), vec![far.clone()]),
        ("?region=eu-west-1".to_string(), vec![far.clone()]),
        ("?region=global".to_string(), vec![gw.clone()]),
        ("?kind=gateway".to_string(), vec![gw.clone()]),
        ("?state=deleted&deleted=1".to_string(), vec![gone.clone()]),
        ("?state=deleted".to_string(), vec![]),
        ("?q=KEPT".to_string(), vec![kept.clone()]),
        (format!("?q={}", &far[..10]), vec![far.clone()]),
        (
            format!("?account={OWNER}&kind=connection&deleted=1"),
            vec![kept.clone(), gone.clone()],
        ),
    ] {
        let (status, _, html) = page(&srv, &format!("/_dxemu/ui{query}")).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&html), want, "{query}");
        // The refresh keeps the filters.
        let (_, _, frag) = page(&srv, &format!("/_dxemu/ui/fragment{query}")).await;
        assert_eq!(ids(&frag), want, "fragment {query}");
    }
    let (_, _, html) = page(&srv, "/_dxemu/ui?q=nothing-like-this").await;
    assert!(html.contains("Nothing matches the filters."));
    // The selected values are kept, escaped.
    let (_, _, html) = page(&srv, "/_dxemu/ui?q=%22%3E%3Cb%3E&kind=gateway").await;
    assert!(html.contains("name=\"q\" value=\"&quot;&gt;&lt;b&gt;\""));
    assert!(html.contains("<option value=\"gateway\" selected>Direct Connect gateways</option>"));
    let js = page(&srv, "/_dxemu/ui/app.js").await.2;
    assert!(js.contains("\"/_dxemu/ui/fragment\" + window.location.search"));
}

#[tokio::test]
async fn detail_view_follows_relations_and_shows_everything() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "primary-link").await;
    dx.tag_resource()
        .resource_arn(format!(
            "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{conn}"
        ))
        .tags(Tag::builder().key("team").value("net-ops").build().unwrap())
        .send()
        .await
        .unwrap();
    let gw = gateway(&dx, "core-gw").await;
    let vif = private_vif(&dx, &conn, &gw, HOSTILE).await;
    let assoc = associate(&dx, &gw, "vgw-0a1b2c3d").await;

    let (status, headers, html) =
        page(&srv, &format!("/_dxemu/ui/resource/connection/{conn}")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert!(
        html.contains("<tr data-field=\"bandwidth\"><th>bandwidth</th><td>1Gbps</td></tr>"),
        "{html}"
    );
    assert!(html.contains("<tr data-field=\"location\"><th>location</th><td>EqDC2</td></tr>"));
    assert!(html.contains(&format!(
        "<tr data-field=\"connectionId\"><th>connectionId</th><td>{conn}</td></tr>"
    )));
    assert!(
        html.contains("<tr><td>team</td><td>net-ops</td></tr>"),
        "{html}"
    );
    assert!(!html.contains(HOSTILE), "raw markup on the detail view");
    assert!(html.contains("<h3>Raw JSON</h3><pre class=\"raw\">{"));
    assert!(html.contains(&format!("&quot;connectionId&quot;: &quot;{conn}&quot;")));
    // connection → VIF, and the VIF's name in the link.
    assert!(html.contains(&format!(
        "<tr><th>Virtual interfaces on it</th><td><a href=\"/_dxemu/ui/resource/vif/{vif}\" class=\"ref\""
    )), "{html}");
    assert!(html.contains(&format!(
        "data-kind=\"connection\" data-id=\"{conn}\" data-state=\"available\""
    )));

    // VIF → connection and gateway; its VLAN and ASN.
    let (_, _, html) = page(&srv, &format!("/_dxemu/ui/resource/vif/{vif}")).await;
    assert!(html.contains("<tr data-field=\"vlan\"><th>vlan</th><td>101</td></tr>"));
    assert!(html.contains("<tr data-field=\"asn\"><th>asn</th><td>65000</td></tr>"));
    assert!(html.contains(&format!(
        "<tr><th>Sits on</th><td><a href=\"/_dxemu/ui/resource/connection/{conn}\""
    )));
    assert!(html.contains(&format!(
        "<tr><th>Linked to</th><td><a href=\"/_dxemu/ui/resource/gateway/{gw}\""
    )));
    assert!(html.contains(&format!(
        "<h2><span class=\"name\" title=\"{HOSTILE_ESCAPED}\">{HOSTILE_ESCAPED}</span>"
    )));
    assert!(!html.contains(HOSTILE));
    // One hop further: the gateway's associations.
    assert!(
        html.contains(&format!(
            "<tr><th>Its gateway&#39;s associations</th><td><a href=\"/_dxemu/ui/resource/gateway-association/{assoc}\""
        )),
        "{html}"
    );

    // gateway → VIFs and associations, and back.
    let (_, _, html) = page(&srv, &format!("/_dxemu/ui/resource/gateway/{gw}")).await;
    assert!(html.contains(&format!(
        "<tr><th>Virtual interfaces linked to it</th><td><a href=\"/_dxemu/ui/resource/vif/{vif}\""
    )));
    assert!(html.contains(&format!("<tr><th>Gateway associations on it</th><td><a href=\"/_dxemu/ui/resource/gateway-association/{assoc}\"")), "{html}");
    let (status, _, html) = page(
        &srv,
        &format!("/_dxemu/ui/resource/gateway-association/{assoc}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(
        "<tr><th>Sits on</th><td><a href=\"/_dxemu/ui/resource/gateway/{gw}\""
    )));
    assert!(
        html.contains("<tr><th>Linked to</th><td><code>vgw-0a1b2c3d</code></td></tr>"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<tr><th>Its gateway&#39;s VIFs</th><td><a href=\"/_dxemu/ui/resource/vif/{vif}\""
        )),
        "{html}"
    );

    // The history: created (instant timing stores it available), then
    // taken down from the detail view's own button, which comes back here.
    let form = format!(
        "do=state&kind=connection&id={conn}&to=down&back=/_dxemu/ui/resource/connection/{conn}"
    );
    let (status, location) = act(&srv, &form, None).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("/_dxemu/ui/resource/connection/{conn}?flash=")),
        "{location}"
    );
    let (_, _, html) = page(&srv, &location).await;
    assert!(html.contains(&format!("connection {conn} is now down")));
    let history =
        &html[html.find("<h3>History</h3>").unwrap()..html.find("<h3>Raw JSON</h3>").unwrap()];
    let cells: Vec<&str> = history
        .split("<tr><td>")
        .skip(1)
        .map(|r| &r[r.find("</td>").unwrap() + 5..r.find("</tr>").unwrap()])
        .collect();
    assert_eq!(
        cells,
        vec![
            "<td><span class=\"none\">—</span></td><td><span class=\"st ok\">available</span></td><td>create</td>",
            "<td>available</td><td><span class=\"st bad\">down</span></td><td>control</td>",
        ],
        "{history}"
    );

    // Unknown resources and kinds are 404 pages, escaped.
    let (status, _, html) = page(&srv, "/_dxemu/ui/resource/connection/dxcon-%3Cb%3E").await;
    assert_eq!(status, 404);
    assert!(html.contains("No connection with id <code>dxcon-&lt;b&gt;</code>."));
    let (status, _, _) = page(&srv, "/_dxemu/ui/resource/spaceship/x").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn event_log_records_creates_lifecycle_api_and_control_changes() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = "realistic".into();
    let srv = TestServer::start_with(args).await;
    let dx = srv.owner();
    let other = srv.client(OTHER, "us-east-1");
    let conn = connection_at(&dx, "EqDC2", "logged").await;
    let theirs = connection_at(&other, "EqDC2", "theirs").await;
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(serde_json::json!({ "seconds": 30 * 86400 })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = control(
        &srv,
        "POST",
        &format!("/_dxemu/resources/connection/{conn}/state"),
        Some(serde_json::json!({ "state": "down" })),
    )
    .await;
    assert_eq!(status, 200);
    dx.delete_connection()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();

    let events = events_json(&srv, &format!("?id={conn}")).await;
    let steps: Vec<(Option<&str>, &str, &str)> = events
        .iter()
        .map(|e| {
            assert_eq!(e["id"], conn.as_str());
            assert_eq!(e["kind"], "connection");
            assert_eq!(e["account"], OWNER);
            assert_eq!(e["region"], "us-east-1");
            assert!(e["atMs"].as_i64().unwrap() > 0);
            (
                e["from"].as_str(),
                e["to"].as_str().unwrap(),
                e["cause"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, "requested", "create"),
            (Some("requested"), "pending", "lifecycle"),
            (Some("pending"), "available", "lifecycle"),
            (Some("available"), "down", "control"),
            (Some("down"), "deleted", "api"),
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "newest last: {seqs:?}"
    );
    // Filters by account and kind.
    let theirs_only = events_json(&srv, &format!("?account={OTHER}")).await;
    assert!(!theirs_only.is_empty());
    assert!(theirs_only.iter().all(|e| e["id"] == theirs.as_str()));
    assert!(events_json(&srv, "?kind=gateway").await.is_empty());
    assert_eq!(
        events_json(&srv, &format!("?kind=connection&account={OWNER}"))
            .await
            .len(),
        5
    );
    // The dashboard's own actions are logged too.
    let form = format!("do=state&kind=connection&id={theirs}&to=down");
    assert_eq!(act(&srv, &form, None).await.0, 303);
    let last = events_json(&srv, &format!("?id={theirs}")).await;
    assert_eq!(last.last().unwrap()["to"], "down");
    assert_eq!(last.last().unwrap()["cause"], "control");
    // A reset forgets the history with the resources.
    assert_eq!(act(&srv, "do=reset", None).await.0, 303);
    assert!(events_json(&srv, "").await.is_empty());
}

#[tokio::test]
async fn owner_confirms_and_declines_from_the_dashboard() {
    let srv = TestServer::start().await;
    let partner = srv.owner();
    let customer = srv.client(OTHER, "us-east-1");
    let ic = partner
        .create_interconnect()
        .interconnect_name("ix")
        .bandwidth("10Gbps")
        .location("EqDC2")
        .send()
        .await
        .unwrap()
        .interconnect_id()
        .unwrap()
        .to_string();
    let hosted = |name: &'static str, vlan: i32| {
        let partner = partner.clone();
        let ic = ic.clone();
        async move {
            partner
                .allocate_hosted_connection()
                .connection_id(&ic)
                .owner_account(OTHER)
                .bandwidth("500Mbps")
                .connection_name(name)
                .vlan(vlan)
                .send()
                .await
                .unwrap()
                .connection_id()
                .unwrap()
                .to_string()
        }
    };
    let to_confirm = hosted("to-confirm", 101).await;
    let to_decline = hosted("to-decline", 102).await;
    let (_, _, html) = page(&srv, "/_dxemu/ui").await;
    let r = row(&html, &to_confirm);
    assert!(r.contains("data-state=\"ordering\""));
    assert!(r.contains("<button type=\"submit\" class=\"confirm\" title=\"Accept it as its owner\">confirm</button>"));
    assert!(r.contains("<input type=\"hidden\" name=\"back\" value=\"/_dxemu/ui\">"));

    let (status, location) = act(
        &srv,
        &format!("do=confirm&kind=connection&id={to_confirm}&back=/_dxemu/ui%3Fkind%3Dconnection"),
        None,
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(
        location.starts_with("/_dxemu/ui?kind=connection&flash="),
        "{location}"
    );
    let (_, _, html) = page(&srv, &location).await;
    // ConfirmConnection answers `pending`; instant timing then makes it available.
    assert!(
        html.contains(&format!(
            "connection {to_confirm} confirmed; it is now pending"
        )),
        "{html}"
    );
    assert_eq!(
        connection_state(&customer, &to_confirm).await,
        ConnectionState::Available
    );
    assert!(!row(&html, &to_confirm).contains("class=\"confirm\""));

    let (status, location) = act(
        &srv,
        &format!("do=decline&kind=connection&id={to_decline}"),
        None,
    )
    .await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    // The owner deleting a hosted connection still being ordered rejects it.
    assert!(
        html.contains(&format!(
            "connection {to_decline} declined; it is now rejected"
        )),
        "{html}"
    );
    assert_eq!(
        connection_state(&customer, &to_decline).await,
        ConnectionState::Rejected
    );
    // Confirming twice: the API's refusal is the banner.
    let (_, location) = act(
        &srv,
        &format!("do=confirm&kind=connection&id={to_decline}"),
        None,
    )
    .await;
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    assert!(html.contains("class=\"flash error\""), "{html}");

    // A hosted VIF awaiting its owner: confirmed onto the owner's gateway
    // picked in the form; another one declined.
    let conn = connection_at(&partner, "EqDC2", "partner-port").await;
    let gw = gateway(&customer, "customer-gw").await;
    let alloc = |vlan: i32| {
        partner
            .allocate_private_virtual_interface()
            .connection_id(&conn)
            .owner_account(OTHER)
            .new_private_virtual_interface_allocation(
                NewPrivateVirtualInterfaceAllocation::builder()
                    .virtual_interface_name("hosted")
                    .vlan(vlan)
                    .asn(65020)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let v1 = alloc(300)
        .await
        .unwrap()
        .virtual_interface_id()
        .unwrap()
        .to_string();
    let v2 = alloc(301)
        .await
        .unwrap()
        .virtual_interface_id()
        .unwrap()
        .to_string();
    let (_, _, html) = page(&srv, "/_dxemu/ui").await;
    let r = row(&html, &v1);
    assert!(r.contains("data-state=\"confirming\""));
    assert!(
        r.contains(&format!("<select name=\"gateway\" aria-label=\"Gateway to attach to\"><option value=\"{gw}\">customer-gw</option></select>")),
        "{r}"
    );
    let (_, location) = act(
        &srv,
        &format!("do=confirm&kind=vif&id={v1}&gateway={gw}"),
        None,
    )
    .await;
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    let described = customer
        .describe_virtual_interfaces()
        .virtual_interface_id(&v1)
        .send()
        .await
        .unwrap();
    let v = &described.virtual_interfaces()[0];
    assert_ne!(
        v.virtual_interface_state(),
        Some(&VirtualInterfaceState::Confirming)
    );
    assert_eq!(v.direct_connect_gateway_id(), Some(gw.as_str()));
    // ConfirmPrivateVirtualInterface answers `pending`.
    assert!(
        html.contains(&format!("vif {v1} confirmed; it is now pending")),
        "{html}"
    );
    let (_, location) = act(&srv, &format!("do=decline&kind=vif&id={v2}"), None).await;
    let (_, _, html) = page(&srv, &location.unwrap()).await;
    // The owner deleting a VIF it has not confirmed rejects it.
    assert!(
        html.contains(&format!("vif {v2} declined; it is now rejected")),
        "{html}"
    );
    // The answer never points off the dashboard.
    let (_, location) = act(
        &srv,
        "do=advance&seconds=1&back=https://evil.example/",
        None,
    )
    .await;
    assert!(location.unwrap().starts_with("/_dxemu/ui?flash="));
    let (_, location) = act(
        &srv,
        "do=advance&seconds=1&back=//evil.example/_dxemu/ui",
        None,
    )
    .await;
    assert!(location.unwrap().starts_with("/_dxemu/ui?flash="));
}
