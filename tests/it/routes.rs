//! ListVirtualInterfaceRoutes and the control call that sets the customer
//! router's advertised prefixes.

use crate::common::{OTHER, OWNER, TestServer, control, raw_call};
use serde_json::{Value, json};

const VGW: &str = "vgw-aba37db6";
const TGW: &str = "tgw-0123456789abcdef0";

async fn call(srv: &TestServer, op: &str, body: Value) -> (u16, Value) {
    raw_call(srv, OWNER, "us-east-1", op, body).await
}

async fn ok(srv: &TestServer, op: &str, body: Value) -> Value {
    let (status, out) = call(srv, op, body).await;
    assert_eq!(status, 200, "{op}: {out}");
    out
}

async fn connection(srv: &TestServer) -> String {
    let c = ok(
        srv,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "c"}),
    )
    .await;
    c["connectionId"].as_str().unwrap().to_string()
}

async fn private_vif(srv: &TestServer, conn: &str, vlan: i32, gateway: Value) -> String {
    let mut new = json!({"virtualInterfaceName": "p", "vlan": vlan, "asn": 65000});
    for (k, v) in gateway.as_object().unwrap() {
        new[k] = v.clone();
    }
    let v = ok(
        srv,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": conn, "newPrivateVirtualInterface": new}),
    )
    .await;
    v["virtualInterfaceId"].as_str().unwrap().to_string()
}

async fn list(srv: &TestServer, body: Value) -> Value {
    ok(srv, "ListVirtualInterfaceRoutes", body).await
}

async fn routes(srv: &TestServer, vif: &str, filters: Option<Value>) -> Vec<Value> {
    let mut body = json!({"virtualInterfaceId": vif});
    if let Some(f) = filters {
        body["filters"] = f;
    }
    let out = list(srv, body).await;
    assert_eq!(out["virtualInterfaceId"], vif);
    assert!(out.get("nextToken").is_none(), "{out}");
    out["routes"].as_array().unwrap().clone()
}

fn cidrs(routes: &[Value]) -> Vec<String> {
    routes
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["routeDirection"].as_str().unwrap(),
                r["cidr"].as_str().unwrap()
            )
        })
        .collect()
}

async fn inject(srv: &TestServer, vif: &str, body: Value) -> (u16, Value) {
    control(
        srv,
        "POST",
        &format!("/_dxemu/vifs/{vif}/routes"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn private_vif_on_a_vgw_advertises_the_vpc_and_accepts_injected_routes() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let vif = private_vif(&srv, &conn, 101, json!({"virtualGatewayId": VGW})).await;
    let (_, desc) = call(
        &srv,
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": vif}),
    )
    .await;
    let device = desc["virtualInterfaces"][0]["awsLogicalDeviceId"].clone();
    assert_eq!(
        desc["virtualInterfaces"][0]["virtualInterfaceState"],
        "available"
    );

    let before = routes(&srv, &vif, None).await;
    // The VPC's IPv4 CIDRs only: the VIF has an IPv4 peer alone.
    assert_eq!(before.len(), 2, "{before:?}");
    let re = regex::Regex::new(r"^(10\.\d+\.0\.0/16|172\.(1[6-9]|2\d|3[01])\.\d+\.0/20)$").unwrap();
    for r in &before {
        assert!(re.is_match(r["cidr"].as_str().unwrap()), "{r}");
        assert_eq!(r["routeDirection"], "advertised");
        assert_eq!(r["addressFamily"], "ipv4");
        assert_eq!(r["asPath"], json!([{"pathType": "seq", "path": [64512]}]));
        assert!(r.get("communities").is_none(), "{r}");
        assert_eq!(r["awsLogicalDeviceId"], device);
        assert!(r["routeInstalledAt"].as_f64().unwrap() > 1.7e9);
    }
    assert!(before[0]["cidr"].as_str().unwrap().starts_with("10."));
    // Seeded: the same VGW gives the same VPC.
    let again = private_vif(&srv, &conn, 102, json!({"virtualGatewayId": VGW})).await;
    assert_eq!(cidrs(&routes(&srv, &again, None).await), cidrs(&before));

    let (status, out) = inject(
        &srv,
        &vif,
        json!({"routes": [
            {"cidr": "192.168.0.0/16", "asPath": [65000, 65001], "communities": ["7224:7100", "65000:1"]},
            {"cidr": "10.200.0.0/16"},
            {"cidr": "2001:db8::/32"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["virtualInterfaceId"], vif.as_str());
    let all = routes(&srv, &vif, None).await;
    // Accepted first, by family then address; no IPv6 session, no IPv6 route.
    assert_eq!(
        cidrs(&all)[..2],
        [
            "accepted 10.200.0.0/16".to_string(),
            "accepted 192.168.0.0/16".to_string()
        ]
    );
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[0]["asPath"],
        json!([{"pathType": "seq", "path": [65000]}])
    );
    assert!(all[0].get("communities").is_none());
    assert_eq!(
        all[1]["asPath"],
        json!([{"pathType": "seq", "path": [65000, 65001]}])
    );
    assert_eq!(all[1]["communities"], json!(["7224:7100"]));

    // Filters: AND across fields, OR within a list.
    let f = |v: Value| routes(&srv, &vif, Some(v));
    assert_eq!(f(json!({"routeDirection": "accepted"})).await.len(), 2);
    assert_eq!(f(json!({"routeDirection": "advertised"})).await.len(), 2);
    assert_eq!(f(json!({"addressFamily": "ipv6"})).await.len(), 0);
    assert_eq!(
        cidrs(&f(json!({"cidrs": ["192.168.0.0/16", "10.200.0.0/16"]})).await),
        ["accepted 10.200.0.0/16", "accepted 192.168.0.0/16"]
    );
    assert_eq!(
        cidrs(&f(json!({"asPath": [65001, 1]})).await),
        ["accepted 192.168.0.0/16"]
    );
    assert_eq!(
        cidrs(&f(json!({"communities": ["7224:7100"]})).await),
        ["accepted 192.168.0.0/16"]
    );
    assert_eq!(f(json!({"asPath": [64512]})).await.len(), 2);
    assert_eq!(
        f(json!({"routeDirection": "advertised", "cidrs": ["192.168.0.0/16"]}))
            .await
            .len(),
        0
    );
    let (status, out) = call(
        &srv,
        "ListVirtualInterfaceRoutes",
        json!({"virtualInterfaceId": vif, "filters": {"cidrs": ["10.0.0.1/8"]}}),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid CIDR in filters.cidrs"),
        "{out}"
    );

    // Paging: one at a time gives the same routes in the same order.
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"virtualInterfaceId": vif, "maxResults": 1});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let out = list(&srv, body).await;
        let page = out["routes"].as_array().unwrap();
        assert_eq!(page.len(), 1);
        paged.extend(page.iter().cloned());
        match out.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let big = list(&srv, json!({"virtualInterfaceId": vif, "maxResults": 500})).await;
    assert_eq!(big["routes"].as_array().unwrap().len(), 4);
    assert!(big.get("nextToken").is_none());
    let (status, out) = call(
        &srv,
        "ListVirtualInterfaceRoutes",
        json!({"virtualInterfaceId": vif, "nextToken": "garbage"}),
    )
    .await;
    assert_eq!(
        (status, out["message"].as_str()),
        (400, Some("The nextToken provided is not valid."))
    );

    // A route kept keeps its install time; a new one gets the clock's.
    let installed = all[1]["routeInstalledAt"].as_f64().unwrap();
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 100})),
    )
    .await;
    inject(
        &srv,
        &vif,
        json!({"routes": [
            {"cidr": "192.168.0.0/16", "asPath": [65000, 65001], "communities": ["7224:7100", "65000:1"]},
            {"cidr": "172.31.0.0/16"}
        ]}),
    )
    .await;
    let accepted = routes(&srv, &vif, Some(json!({"routeDirection": "accepted"}))).await;
    assert_eq!(
        cidrs(&accepted),
        ["accepted 172.31.0.0/16", "accepted 192.168.0.0/16"]
    );
    assert_eq!(accepted[1]["routeInstalledAt"].as_f64().unwrap(), installed);
    assert!(accepted[0]["routeInstalledAt"].as_f64().unwrap() >= installed + 100.0);

    // BGP down: nothing.
    let (status, _) = control(
        &srv,
        "POST",
        &format!("/_dxemu/vifs/{vif}/bgp-status"),
        Some(json!({"bgpStatus": "down"})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(routes(&srv, &vif, None).await.is_empty());
}

#[tokio::test]
async fn errors_and_other_accounts() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let vif = private_vif(&srv, &conn, 101, json!({"virtualGatewayId": VGW})).await;
    let (status, out) = call(&srv, "ListVirtualInterfaceRoutes", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(out["__type"], "DirectConnectClientException");
    assert_eq!(out["message"], "virtualInterfaceId must be specified.");
    let (_, out) = call(
        &srv,
        "ListVirtualInterfaceRoutes",
        json!({"virtualInterfaceId": "dxvif-ffffffff"}),
    )
    .await;
    assert_eq!(
        out["message"],
        "Virtual interface dxvif-ffffffff does not exist"
    );
    let (status, out) = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "ListVirtualInterfaceRoutes",
        json!({"virtualInterfaceId": vif}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!("Virtual interface {vif} does not exist")
    );

    // The control call checks its input strictly.
    let url = format!("{}/_dxemu/vifs/{vif}/routes", srv.endpoint);
    let resp = reqwest::Client::new()
        .post(&url)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "BadRequest");
    for (bad, text) in [
        (
            json!({"routes": [{"cidr": "10.0.0.1/8"}]}),
            "routes[0]: \"10.0.0.1/8\" has host bits set; its network is 10.0.0.0/8",
        ),
        (
            json!({"routes": [{"cidr": "300.0.0.0/8"}]}),
            "routes[0]: \"300.0.0.0/8\" is not a CIDR block like 10.0.0.0/16 or 2001:db8::/32",
        ),
        (
            json!({"routes": [{"cidr": "10.0.0.0/8", "asPath": [-1]}]}),
            "routes[0]: asPath entry -1 is not an ASN (1-4294967295)",
        ),
        (
            json!({"routes": [{"cidr": "10.0.0.0/8", "communities": ["a:b"]}]}),
            "routes[0]: community \"a:b\" is not of the form <0-65535>:<0-65535>",
        ),
    ] {
        let (status, out) = inject(&srv, &vif, bad).await;
        assert_eq!(status, 400, "{out}");
        assert_eq!(out["message"], text);
    }
    let (status, out) = inject(
        &srv,
        &vif,
        json!({"routes": [{"cidr": "10.0.0.0/8", "med": 5}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `med`"),
        "{out}"
    );
    let (status, out) = inject(&srv, "dxvif-ffffffff", json!({"routes": []})).await;
    assert_eq!(
        (status, out["message"].as_str()),
        (400, Some("Virtual interface dxvif-ffffffff does not exist"))
    );
    // Nothing was stored by the refused calls.
    assert_eq!(
        routes(&srv, &vif, Some(json!({"routeDirection": "accepted"})))
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn injected_routes_travel_with_the_state_export() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let vif = private_vif(&srv, &conn, 101, json!({"virtualGatewayId": VGW})).await;
    inject(
        &srv,
        &vif,
        json!({"routes": [{"cidr": "10.9.0.0/16", "communities": ["7224:9100"]}]}),
    )
    .await;
    let before = routes(&srv, &vif, None).await;
    let (_, state) = control(&srv, "GET", "/_dxemu/state", None).await;
    let doc = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == vif.as_str())
        .unwrap()["document"]
        .clone();
    assert_eq!(doc["x"]["routes"]["customer"][0]["cidr"], "10.9.0.0/16");
    assert!(doc["wire"].get("routes").is_none());
    let (status, out) = control(&srv, "POST", "/_dxemu/reset", Some(json!({}))).await;
    assert_eq!(status, 200, "{out}");
    let (status, out) = control(&srv, "POST", "/_dxemu/state", Some(state)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(routes(&srv, &vif, None).await, before);
}

#[tokio::test]
async fn public_vifs_advertise_aws_prefixes_and_accept_their_filters() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let v = ok(
        &srv,
        "CreatePublicVirtualInterface",
        json!({"connectionId": conn, "newPublicVirtualInterface": {
            "virtualInterfaceName": "pub", "vlan": 200, "asn": 65010,
            "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
            "routeFilterPrefixes": [{"cidr": "198.51.100.0/24"}]
        }}),
    )
    .await;
    let vif = v["virtualInterfaceId"].as_str().unwrap().to_string();
    let all = routes(&srv, &vif, None).await;
    assert_eq!(all[0]["cidr"], "198.51.100.0/24");
    assert_eq!(all[0]["routeDirection"], "accepted");
    assert_eq!(
        all[0]["asPath"],
        json!([{"pathType": "seq", "path": [65010]}])
    );
    let advertised = &all[1..];
    assert_eq!(advertised.len(), 8);
    assert!(
        advertised
            .iter()
            .all(|r| r["asPath"] == json!([{"pathType": "seq", "path": [7224]}]))
    );
    let local = routes(&srv, &vif, Some(json!({"communities": ["7224:8100"]}))).await;
    assert_eq!(cidrs(&local), ["advertised 52.4.0.0/14"]);
    let continent = routes(&srv, &vif, Some(json!({"communities": ["7224:8200"]}))).await;
    assert_eq!(
        cidrs(&continent),
        ["advertised 3.128.0.0/15", "advertised 34.208.0.0/12"]
    );
    let global: Vec<_> = advertised
        .iter()
        .filter(|r| r.get("communities").is_none())
        .collect();
    assert_eq!(global.len(), 5);
    // Public VIFs take no injected routes.
    let (status, out) = inject(&srv, &vif, json!({"routes": []})).await;
    assert_eq!(status, 400, "{out}");
}

#[tokio::test]
async fn vifs_on_a_gateway_advertise_its_associations_allowed_prefixes() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let gw = ok(
        &srv,
        "CreateDirectConnectGateway",
        json!({"directConnectGatewayName": "g", "amazonSideAsn": 64600}),
    )
    .await;
    let gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
        .as_str()
        .unwrap()
        .to_string();
    let private = private_vif(&srv, &conn, 101, json!({"directConnectGatewayId": gw_id})).await;
    assert!(routes(&srv, &private, None).await.is_empty());
    ok(
        &srv,
        "CreateDirectConnectGatewayAssociation",
        json!({"directConnectGatewayId": gw_id, "gatewayId": VGW,
               "addAllowedPrefixesToDirectConnectGateway": [{"cidr": "10.50.0.0/16"}, {"cidr": "10.40.0.0/16"}]}),
    )
    .await;
    let got = routes(&srv, &private, None).await;
    assert_eq!(
        cidrs(&got),
        ["advertised 10.40.0.0/16", "advertised 10.50.0.0/16"]
    );
    assert_eq!(
        got[0]["asPath"],
        json!([{"pathType": "seq", "path": [64600]}])
    );

    // A transit VIF sees the transit gateway's prefixes, not the VGW's.
    let gw2 = ok(
        &srv,
        "CreateDirectConnectGateway",
        json!({"directConnectGatewayName": "t"}),
    )
    .await;
    let gw2_id = gw2["directConnectGateway"]["directConnectGatewayId"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &srv,
        "CreateDirectConnectGatewayAssociation",
        json!({"directConnectGatewayId": gw2_id, "gatewayId": TGW,
               "addAllowedPrefixesToDirectConnectGateway": [{"cidr": "100.64.0.0/16"}]}),
    )
    .await;
    let t = ok(
        &srv,
        "CreateTransitVirtualInterface",
        json!({"connectionId": conn, "newTransitVirtualInterface": {
            "virtualInterfaceName": "t", "vlan": 300, "asn": 65020, "directConnectGatewayId": gw2_id}}),
    )
    .await;
    let transit = t["virtualInterface"]["virtualInterfaceId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        cidrs(&routes(&srv, &transit, None).await),
        ["advertised 100.64.0.0/16"]
    );
}

#[tokio::test]
async fn the_dashboard_row_of_a_vif_sets_its_customer_routes() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let vif = private_vif(&srv, &conn, 101, json!({"virtualGatewayId": VGW})).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/_dxemu/ui", srv.endpoint))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<input type=\"hidden\" name=\"do\" value=\"routes\"><input type=\"hidden\" name=\"id\" value=\"{vif}\">"
        )),
        "no routes form for {vif}"
    );
    let post = |form: String| {
        http.post(format!("{}/_dxemu/ui/action", srv.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let resp = post(format!(
        "do=routes&id={vif}&cidrs=10.7.0.0%2F16%2C+10.8.0.0%2F16"
    ))
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let flash = resp.headers()["location"].to_str().unwrap().to_string();
    let shown = http
        .get(format!("{}{flash}", srv.endpoint))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains(&format!("{vif} now advertises 2 customer route(s)")),
        "{shown}"
    );
    let accepted = routes(&srv, &vif, Some(json!({"routeDirection": "accepted"}))).await;
    assert_eq!(
        cidrs(&accepted),
        ["accepted 10.7.0.0/16", "accepted 10.8.0.0/16"]
    );
    // A bad CIDR is reported, not stored.
    let resp = post(format!("do=routes&id={vif}&cidrs=10.7.0.1%2F16"))
        .await
        .unwrap();
    let flash = resp.headers()["location"].to_str().unwrap().to_string();
    let shown = http
        .get(format!("{}{flash}", srv.endpoint))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("has host bits set"), "{shown}");
    assert_eq!(
        routes(&srv, &vif, Some(json!({"routeDirection": "accepted"})))
            .await
            .len(),
        2
    );
}

/// Prefix controls and routes together: a customer advertising more prefixes
/// than the VIF's allocation puts its BGP session idle (peer and VIF down);
/// an allocation that covers them again brings it back; an allocation may
/// not be lowered below the prefixes in use.
#[tokio::test]
async fn advertising_past_the_allocation_idles_bgp_until_it_is_raised() {
    let srv = TestServer::start().await;
    let conn = connection(&srv).await;
    let vif = private_vif(&srv, &conn, 301, json!({"virtualGatewayId": VGW})).await;
    let update = |body: Value| {
        let srv = &srv;
        let vif = vif.clone();
        async move {
            let mut body = body;
            body["virtualInterfaceId"] = json!(vif);
            call(srv, "UpdateVirtualInterfaceAttributes", body).await
        }
    };
    let (status, out) = update(json!({"prefixPoolAllocatedCountIpv4": 2})).await;
    assert_eq!(status, 200, "{out}");
    let state = || {
        let srv = &srv;
        let vif = vif.clone();
        async move {
            let (_, d) = call(
                srv,
                "DescribeVirtualInterfaces",
                json!({"virtualInterfaceId": vif}),
            )
            .await;
            let v = d["virtualInterfaces"][0].clone();
            (
                v["virtualInterfaceState"].as_str().unwrap().to_string(),
                v["bgpPeers"][0]["bgpStatus"].as_str().unwrap().to_string(),
            )
        }
    };
    assert_eq!(state().await, ("available".into(), "up".into()));
    let three = json!({"routes": [
        {"cidr": "192.168.0.0/24"}, {"cidr": "192.168.1.0/24"}, {"cidr": "192.168.2.0/24"}
    ]});
    assert_eq!(inject(&srv, &vif, three.clone()).await.0, 200);
    assert_eq!(state().await, ("down".into(), "down".into()));
    // The dashboard says why, and shows the port's billing mode.
    let html = reqwest::get(format!("{}/_dxemu/ui/fragment", srv.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("3 customer routes: past the allocation, BGP idle"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"billing\">PayAsYouGo</span>"),
        "{html}"
    );
    assert!(
        routes(&srv, &vif, None).await.is_empty(),
        "an idle session has no routes"
    );
    // Raising the allocation to cover them brings the session back.
    let (status, out) = update(json!({"prefixPoolAllocatedCountIpv4": 3})).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["virtualInterfaceState"], "available");
    assert_eq!(state().await, ("available".into(), "up".into()));
    assert_eq!(
        routes(&srv, &vif, Some(json!({"routeDirection": "accepted"})))
            .await
            .len(),
        3
    );
    // Not below the prefixes in use.
    let (status, out) = update(json!({"prefixPoolAllocatedCountIpv4": 2})).await;
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["__type"], "DirectConnectClientException");
    assert_eq!(
        out["message"],
        format!(
            "prefixPoolAllocatedCountIpv4 of {vif} cannot be set to 2: 3 IPv4 prefixes are in use."
        )
    );
    // Fewer routes, then a lower allocation is fine.
    assert_eq!(
        inject(&srv, &vif, json!({"routes": [{"cidr": "192.168.0.0/24"}]}))
            .await
            .0,
        200
    );
    assert_eq!(
        update(json!({"prefixPoolAllocatedCountIpv4": 1})).await.0,
        200
    );
    assert_eq!(state().await, ("available".into(), "up".into()));
}
