//! The dashboard under `/_dxemu/ui`: a server-rendered page of every
//! account's resources, their states and relations, with buttons for the
//! control actions.
//!
//! Every value that reaches the HTML goes through [`esc`]. The page works
//! without JavaScript (plain forms that POST and are answered with a 303); a
//! small script only re-fetches the live part every two seconds. The
//! Content-Security-Policy allows no inline script, so markup that slipped
//! through escaping still could not run.

use super::http::AppState;
use crate::control::{ControlError, ResourceSummary};
use crate::lifecycle::{self, Step, Timing};
use crate::store::Kind;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::Mutex;

const PAGE: &str = "/_dxemu/ui";
const ACTION: &str = "/_dxemu/ui/action";
const FRAGMENT: &str = "/_dxemu/ui/fragment";
const SCRIPT: &str = "/_dxemu/ui/app.js";
const ICON: &str = "/_dxemu/ui/icon.svg";
const DETAIL: &str = "/_dxemu/ui/resource";
const EVENTS: &str = "/_dxemu/events";

/// Rows shown per table; the rest are counted, not listed.
const MAX_ROWS: usize = 500;

/// The dashboard routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route(FRAGMENT, get(fragment))
        .route(SCRIPT, get(script))
        .route(ICON, get(icon))
        .route(ACTION, post(action))
        .route("/_dxemu/ui/resource/{kind}/{id}", get(detail))
        .route(EVENTS, get(events))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- responses

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        // Not `no-referrer`: browsers would then send `Origin: null` with
        // the forms, and the action route could not tell them from others.
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn see_other(location: String) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

// ---------------------------------------------------------------- flash messages

/// Outcomes of actions, kept until the page they redirect to shows them.
/// Keyed by a random token so the page never echoes text from its URL.
static FLASH: Mutex<VecDeque<(String, Flash)>> = Mutex::new(VecDeque::new());
const FLASH_KEPT: usize = 64;

#[derive(Clone)]
struct Flash {
    ok: bool,
    text: String,
}

fn flash_put(flash: Flash) -> String {
    let key = uuid::Uuid::new_v4().simple().to_string();
    let mut q = FLASH.lock().unwrap_or_else(|e| e.into_inner());
    if q.len() >= FLASH_KEPT {
        q.pop_front();
    }
    q.push_back((key.clone(), flash));
    key
}

fn flash_take(key: &str) -> Option<Flash> {
    let mut q = FLASH.lock().unwrap_or_else(|e| e.into_inner());
    let at = q.iter().position(|(k, _)| k == key)?;
    q.remove(at).map(|(_, f)| f)
}

// ---------------------------------------------------------------- handlers

fn flash_of(raw: Option<&str>) -> Option<Flash> {
    raw.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "flash")
            .and_then(|(_, v)| flash_take(&v))
    })
}

async fn page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let flash = flash_of(raw.as_deref());
    let filter = Filter::parse(raw.as_deref());
    match load(&state).await {
        Ok(view) => {
            let live = render(&view.list, &filter, view.now, view.mode, view.next);
            let filters = filter_form(&view.list, &filter);
            html(
                StatusCode::OK,
                frame(
                    flash.as_ref(),
                    &format!("{filters}<div id=\"live\">{live}</div>"),
                ),
            )
        }
        Err(e) => failure(e),
    }
}

async fn fragment(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let filter = Filter::parse(raw.as_deref());
    match load(&state).await {
        Ok(view) => html(
            StatusCode::OK,
            render(&view.list, &filter, view.now, view.mode, view.next),
        ),
        Err(e) => failure(e),
    }
}

/// `GET /_dxemu/events`: the logged state changes, newest last, filtered by
/// `id`, `account` and `kind`.
async fn events(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let q: HashMap<String, String> = raw
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let list = state.backend.events(get("id"), get("account"), get("kind"));
    match serde_json::to_string(&serde_json::json!({ "events": list })) {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the events could not be encoded",
        ),
    }
}

/// `GET /_dxemu/ui/resource/<kind>/<id>`: every field of one resource, its
/// tags, raw JSON, relations and state history.
async fn detail(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let flash = flash_of(raw.as_deref());
    let Some(kind) = Kind::parse(&kind) else {
        return html(
            StatusCode::NOT_FOUND,
            frame(None, "<p class=\"empty\">No such kind of resource.</p>"),
        );
    };
    let backend = state.backend.clone();
    let wanted = id.clone();
    let found = match blocking(move || backend.resource(kind, &wanted)).await {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let view = match load(&state).await {
        Ok(view) => view,
        Err(e) => return failure(e),
    };
    let Some(res) = found else {
        return html(
            StatusCode::NOT_FOUND,
            frame(
                flash.as_ref(),
                &format!(
                    "<p class=\"empty\">No {} with id <code>{}</code>. <a href=\"{PAGE}\">Back to the dashboard</a></p>",
                    esc(kind.as_str()),
                    esc(&id)
                ),
            ),
        );
    };
    let history = state.backend.events(Some(&id), None, Some(kind.as_str()));
    html(
        StatusCode::OK,
        frame(flash.as_ref(), &detail_page(kind, &res, &view, &history)),
    )
}

async fn script() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn icon() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        ICON_SVG,
    )
        .into_response()
}

fn failure(e: ControlError) -> Response {
    tracing::error!(error = %e, "dashboard failure");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the dashboard could not read the resources",
    )
}

/// Whether a state-changing request comes from a page of this server: browsers
/// send `Sec-Fetch-Site` and `Origin` with form posts; other clients send neither.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    match text("origin") {
        None => true,
        Some(origin) => {
            let host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            host.is_some() && host == text("host")
        }
    }
}

async fn action(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !same_origin(&headers) {
        return plain(
            StatusCode::FORBIDDEN,
            "dashboard actions are accepted from the dashboard's own origin only",
        );
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let outcome = match get("do") {
        "state" => force(&state, get("kind"), get("id"), get("to")).await,
        "advance" => advance(&state, get("seconds")).await,
        "reset" => reset(&state).await,
        "routes" => set_routes(&state, get("id"), get("cidrs")).await,
        what @ ("confirm" | "decline") => {
            owner_action(&state, what, get("kind"), get("id"), get("gateway")).await
        }
        _ => Err("unknown action".to_string()),
    };
    let flash = match outcome {
        Ok(text) => Flash { ok: true, text },
        Err(text) => Flash { ok: false, text },
    };
    let back = back_to(get("back"));
    let sep = if back.contains('?') { '&' } else { '?' };
    see_other(format!("{back}{sep}flash={}", flash_put(flash)))
}

/// Where an action's answer points: the dashboard page (with its filters) or
/// a detail view, never anywhere else.
fn back_to(back: &str) -> String {
    let safe = back.starts_with(PAGE)
        && !back.contains("//")
        && back
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-.?=&%+".contains(&b));
    if safe {
        back.to_string()
    } else {
        PAGE.to_string()
    }
}

/// What the owner of a hosted connection or VIF would do through the API:
/// confirm it, or decline it by deleting it.
async fn owner_action(
    state: &AppState,
    what: &str,
    kind: &str,
    id: &str,
    gateway: &str,
) -> Result<String, String> {
    use crate::api::generated::types::*;
    let kind = Kind::parse(kind).ok_or_else(|| "unknown resource kind".to_string())?;
    let (what, id, gateway) = (what.to_string(), id.to_string(), gateway.trim().to_string());
    let now = state.clock.now_ms();
    let backend = state.backend.clone();
    let text = blocking(move || {
        let api = |e: crate::api::ApiError| ControlError::BadRequest(e.message);
        let rec = backend
            .resource(kind, &id)?
            .ok_or_else(|| ControlError::NotFound(format!("No {} with id {id}", kind.as_str())))?;
        let wire = &rec.document["wire"];
        let owner = wire["ownerAccount"]
            .as_str()
            .unwrap_or(&rec.account)
            .to_string();
        let cx = crate::api::RequestContext {
            request_id: uuid::Uuid::new_v4().to_string(),
            account: owner,
            region: rec.region.clone(),
            now_ms: now,
        };
        backend.prepare(&cx).map_err(api)?;
        let gw = (!gateway.is_empty()).then(|| gateway.clone());
        let state = match (kind, what.as_str()) {
            (Kind::Connection, "confirm") => backend
                .confirm_connection(
                    &cx,
                    ConfirmConnectionRequest {
                        connection_id: id.clone(),
                    },
                )
                .map_err(api)?
                .connection_state
                .map(|s| s.as_str().to_string()),
            (Kind::Connection, _) => backend
                .delete_connection(
                    &cx,
                    DeleteConnectionRequest {
                        connection_id: id.clone(),
                    },
                )
                .map_err(api)?
                .connection_state
                .map(|s| s.as_str().to_string()),
            (Kind::VirtualInterface, "confirm") => {
                let vif = id.clone();
                match wire["virtualInterfaceType"].as_str() {
                    Some("public") => {
                        backend
                            .confirm_public_virtual_interface(
                                &cx,
                                ConfirmPublicVirtualInterfaceRequest {
                                    virtual_interface_id: vif,
                                },
                            )
                            .map_err(api)?
                            .virtual_interface_state
                    }
                    Some("transit") => {
                        backend
                            .confirm_transit_virtual_interface(
                                &cx,
                                ConfirmTransitVirtualInterfaceRequest {
                                    virtual_interface_id: vif,
                                    direct_connect_gateway_id: gw.unwrap_or_default(),
                                },
                            )
                            .map_err(api)?
                            .virtual_interface_state
                    }
                    _ => {
                        let vgw = gw.as_deref().is_some_and(|g| g.starts_with("vgw-"));
                        backend
                            .confirm_private_virtual_interface(
                                &cx,
                                ConfirmPrivateVirtualInterfaceRequest {
                                    virtual_interface_id: vif,
                                    virtual_gateway_id: gw.clone().filter(|_| vgw),
                                    direct_connect_gateway_id: gw.filter(|_| !vgw),
                                },
                            )
                            .map_err(api)?
                            .virtual_interface_state
                    }
                }
                .map(|s| s.as_str().to_string())
            }
            (Kind::VirtualInterface, _) => backend
                .delete_virtual_interface(
                    &cx,
                    DeleteVirtualInterfaceRequest {
                        virtual_interface_id: id.clone(),
                    },
                )
                .map_err(api)?
                .virtual_interface_state
                .map(|s| s.as_str().to_string()),
            _ => {
                return Err(ControlError::BadRequest(format!(
                    "a {} cannot be confirmed or declined",
                    kind.as_str()
                )));
            }
        };
        let done = if what == "confirm" {
            "confirmed"
        } else {
            "declined"
        };
        Ok(format!(
            "{} {id} {done}; it is now {}",
            kind.as_str(),
            state.unwrap_or_default()
        ))
    })
    .await
    .map_err(control_message)?;
    super::http::settle(state).await.map_err(|e| e.message)?;
    Ok(text)
}

fn control_message(e: ControlError) -> String {
    match e {
        ControlError::Internal(m) => {
            tracing::error!(error = %m, "dashboard action failed");
            "internal error".to_string()
        }
        ControlError::NotFound(m)
        | ControlError::InvalidTransition(m)
        | ControlError::BadRequest(m) => m,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ControlError> + Send + 'static,
) -> Result<T, ControlError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ControlError::Internal(e.to_string()))?
}

async fn force(state: &AppState, kind: &str, id: &str, to: &str) -> Result<String, String> {
    let kind = Kind::parse(kind).ok_or_else(|| "unknown resource kind".to_string())?;
    let (id, to) = (id.to_string(), to.to_string());
    let now = state.clock.now_ms();
    let backend = state.backend.clone();
    let done = blocking(move || backend.force_state(kind, &id, &to, now))
        .await
        .map_err(control_message)?;
    Ok(format!("{} {} is now {}", done.kind, done.id, done.state))
}

async fn advance(state: &AppState, seconds: &str) -> Result<String, String> {
    let seconds: i64 = seconds
        .parse()
        .map_err(|_| "give a whole number of seconds".to_string())?;
    let ms = crate::clock::advance_ms(seconds as f64)?;
    if !state.clock.advance(ms) {
        return Err("this clock cannot be moved".into());
    }
    let now = state.clock.now_ms();
    let backend = state.backend.clone();
    let applied = blocking(move || backend.catch_up_to(now))
        .await
        .map_err(control_message)?;
    Ok(format!(
        "clock moved forward by {}; {applied} transition(s) applied",
        duration(seconds)
    ))
}

/// Sets the customer's advertised prefixes of a VIF from a form field of
/// CIDRs separated by spaces or commas (empty: none).
async fn set_routes(state: &AppState, id: &str, cidrs: &str) -> Result<String, String> {
    let routes: Vec<serde_json::Value> = cidrs
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(|c| serde_json::json!({ "cidr": c }))
        .collect();
    let n = routes.len();
    let body = serde_json::json!({ "routes": routes });
    let (id, now) = (id.to_string(), state.clock.now_ms());
    let backend = state.backend.clone();
    let shown = id.clone();
    blocking(move || backend.set_vif_routes(&id, body, now))
        .await
        .map_err(control_message)?;
    Ok(format!("{shown} now advertises {n} customer route(s)"))
}

async fn reset(state: &AppState) -> Result<String, String> {
    let backend = state.backend.clone();
    blocking(move || backend.reset())
        .await
        .map_err(control_message)?;
    Ok("every resource of every account was forgotten".into())
}

// ---------------------------------------------------------------- rendering

fn duration(seconds: i64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{} hour(s)", s / 3600),
        s => format!("{s} s"),
    }
}

fn timestamp(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The page around the live part.
fn frame(flash: Option<&Flash>, live: &str) -> String {
    let banner = match flash {
        Some(f) => format!(
            "<div class=\"flash {}\" role=\"{}\">{}</div>",
            if f.ok { "ok" } else { "error" },
            if f.ok { "status" } else { "alert" },
            esc(&f.text)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>dxemu dashboard</title><link rel=\"icon\" href=\"{ICON}\"><style>{STYLE}</style></head>\
         <body><header><h1>dxemu</h1><span class=\"sub\">Direct Connect emulator dashboard</span></header>\
         <main>{banner}{live}</main>\
         <script src=\"{SCRIPT}\"></script></body></html>\n"
    )
}

/// What the pages show: every resource, the clock and the lifecycle.
struct View {
    list: Vec<ResourceSummary>,
    now: i64,
    mode: &'static str,
    next: Option<i64>,
}

async fn load(state: &AppState) -> Result<View, ControlError> {
    let backend = state.backend.clone();
    let list = blocking(move || backend.resources(None, None, None)).await?;
    // Shown only once on disk, like every API answer.
    super::http::settle(state)
        .await
        .map_err(|e| ControlError::Internal(e.to_string()))?;
    Ok(View {
        list,
        now: state.clock.now_ms(),
        mode: state.backend.lifecycle_mode(),
        next: state.backend.next_due_ms(),
    })
}

/// What the resources of a kind show besides id, name and state.
#[derive(Clone, Copy)]
enum Col {
    /// The resource it sits on.
    Parent(&'static str),
    /// The gateway or target it is linked to.
    Link(&'static str),
    /// Resources of a kind that sit on it.
    Children(Kind, &'static str),
    /// Resources of a kind linked to it.
    Linked(Kind, &'static str),
    /// A resiliency group's intended model.
    Model(&'static str),
    /// What its children of a kind that are not ending link to: a
    /// resiliency group's member connections and LAGs.
    Members(Kind, &'static str),
    /// Its prefix pool and rate limiter figures.
    Capacity(&'static str),
}

struct Section {
    kind: Kind,
    title: &'static str,
    cols: &'static [Col],
}

const SECTIONS: &[Section] = &[
    Section {
        kind: Kind::Connection,
        title: "Connections",
        cols: &[
            Col::Parent("LAG / interconnect"),
            Col::Children(Kind::VirtualInterface, "VIFs"),
            Col::Capacity("Prefixes free / rate limiters"),
        ],
    },
    Section {
        kind: Kind::Lag,
        title: "LAGs",
        cols: &[
            Col::Children(Kind::Connection, "Connections"),
            Col::Children(Kind::VirtualInterface, "VIFs"),
            Col::Capacity("Prefixes free / rate limiters"),
        ],
    },
    Section {
        kind: Kind::Interconnect,
        title: "Interconnects",
        cols: &[
            Col::Parent("LAG"),
            Col::Children(Kind::Connection, "Hosted connections"),
        ],
    },
    Section {
        kind: Kind::VirtualInterface,
        title: "Virtual interfaces",
        cols: &[
            Col::Parent("Connection / LAG"),
            Col::Link("Gateway"),
            Col::Capacity("Prefixes / rate limit"),
        ],
    },
    Section {
        kind: Kind::Gateway,
        title: "Direct Connect gateways",
        cols: &[
            Col::Linked(Kind::VirtualInterface, "VIFs"),
            Col::Children(Kind::GatewayAssociation, "Associations"),
            Col::Capacity("Prefix allocations"),
        ],
    },
    Section {
        kind: Kind::GatewayAssociation,
        title: "Gateway associations",
        cols: &[Col::Parent("Gateway"), Col::Link("Associated gateway")],
    },
    Section {
        kind: Kind::AssociationProposal,
        title: "Association proposals",
        cols: &[Col::Parent("Gateway"), Col::Link("Proposed gateway")],
    },
    Section {
        kind: Kind::FailoverTest,
        title: "Failover tests",
        cols: &[Col::Parent("VIF")],
    },
    Section {
        kind: Kind::ResiliencyGroup,
        title: "Resiliency groups",
        cols: &[
            Col::Model("Intended model"),
            Col::Members(Kind::ResiliencyGroupAssociation, "Members"),
        ],
    },
    Section {
        kind: Kind::ResiliencyGroupAssociation,
        title: "Resiliency group associations",
        cols: &[
            Col::Parent("Resiliency group"),
            Col::Link("Connection / LAG"),
        ],
    },
];

/// Who sits on or links to whom, for the relation columns.
struct Relations<'a> {
    /// Ids with a row on the page; references to others link to their
    /// detail view.
    shown: HashSet<&'a str>,
    on: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    linked: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    /// The links of the children that are not ending, by parent and kind.
    members: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    /// Every listed resource by id and kind.
    by_id: HashMap<(&'a str, &'static str), &'a ResourceSummary>,
    /// Every listed resource by id alone.
    any: HashMap<&'a str, &'a ResourceSummary>,
}

impl<'a> Relations<'a> {
    fn of(list: &'a [ResourceSummary]) -> Self {
        let mut on: HashMap<_, Vec<&str>> = HashMap::new();
        let mut linked: HashMap<_, Vec<&str>> = HashMap::new();
        let mut members: HashMap<_, Vec<&str>> = HashMap::new();
        for r in list {
            if let Some(p) = &r.parent {
                on.entry((p.as_str(), r.kind)).or_default().push(&r.id);
                if let Some(l) = link_of(r)
                    && matches!(r.state.as_str(), "associating" | "associated")
                {
                    members.entry((p.as_str(), r.kind)).or_default().push(l);
                }
            }
            if let Some(l) = link_of(r) {
                linked.entry((l, r.kind)).or_default().push(&r.id);
            }
        }
        let shown = list.iter().map(|r| r.id.as_str()).collect();
        let by_id = list.iter().map(|r| ((r.id.as_str(), r.kind), r)).collect();
        let any = list.iter().map(|r| (r.id.as_str(), r)).collect();
        Self {
            shown,
            on,
            linked,
            members,
            by_id,
            any,
        }
    }

    /// The name a person knows a resource by: its own, or one made of the
    /// names of what it joins.
    fn display_name(&self, r: &ResourceSummary) -> Option<String> {
        if let Some(n) = &r.name {
            return Some(n.clone());
        }
        let name_of = |id: Option<&str>| {
            id.map(|id| {
                self.any
                    .get(id)
                    .and_then(|o| o.name.clone())
                    .unwrap_or_else(|| id.to_string())
            })
        };
        let parent = name_of(r.parent.as_deref());
        let link = name_of(link_of(r));
        match Kind::parse(r.kind)? {
            Kind::GatewayAssociation | Kind::AssociationProposal => Some(format!(
                "{} ↔ {}",
                parent?,
                link.unwrap_or_else(|| "?".into())
            )),
            Kind::FailoverTest => Some(format!("test of {}", parent?)),
            Kind::ResiliencyGroupAssociation => Some(format!(
                "{} in {}",
                link.unwrap_or_else(|| "?".into()),
                parent?
            )),
            _ => None,
        }
    }

    /// References to other resources: links to their rows where they have
    /// one, else to their detail views.
    fn refs(&self, ids: &[&str]) -> String {
        if ids.is_empty() {
            return "<span class=\"none\">—</span>".into();
        }
        ids.iter()
            .map(|id| self.id_ref(id))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn id_ref(&self, id: &str) -> String {
        let Some(r) = self.any.get(id) else {
            return format!("<code>{}</code>", esc(id));
        };
        let href = if self.shown.contains(id) {
            format!("#r-{}", esc(id))
        } else {
            detail_href(r.kind, id)
        };
        match self.display_name(r) {
            Some(name) => format!(
                "<a href=\"{href}\" class=\"ref\" title=\"{0} {1}\"><span class=\"ref-name\">{0}</span> <code>{1}</code></a>",
                esc(&name),
                esc(id)
            ),
            None => format!("<a href=\"{href}\"><code>{}</code></a>", esc(id)),
        }
    }
}

/// A VIF's or association's gateway, if it has one.
fn link_of(r: &ResourceSummary) -> Option<&str> {
    r.link.as_deref().filter(|l| !l.is_empty())
}

/// The detail view of a resource.
fn detail_href(kind: &str, id: &str) -> String {
    let seg = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("{DETAIL}/{}/{}", seg(kind), seg(id))
}

/// Whether a resource is gone: hidden unless asked for, never counted.
fn gone(r: &ResourceSummary) -> bool {
    matches!(r.state.as_str(), "deleted" | "disassociated")
}

fn region_label(region: &str) -> &str {
    // Direct Connect gateways belong to no Region.
    if region.is_empty() { "global" } else { region }
}

/// The dashboard's filters: plain GET query parameters.
#[derive(Debug, Default, Clone)]
struct Filter {
    account: String,
    region: String,
    kind: String,
    state: String,
    q: String,
    deleted: bool,
}

impl Filter {
    fn parse(raw: Option<&str>) -> Self {
        let mut f = Filter::default();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "account" => f.account = v,
                "region" => f.region = v,
                "kind" => f.kind = v,
                "state" => f.state = v,
                "q" => f.q = v,
                "deleted" => f.deleted = !v.is_empty() && v != "0",
                _ => {}
            }
        }
        f
    }

    /// Whether a resource passes the filters other than the deleted toggle.
    fn keeps(&self, r: &ResourceSummary, rel: &Relations<'_>) -> bool {
        let q = self.q.to_lowercase();
        (self.account.is_empty() || r.account == self.account)
            && (self.region.is_empty() || region_label(&r.region) == self.region)
            && (self.kind.is_empty() || r.kind == self.kind)
            && (self.state.is_empty() || r.state == self.state)
            && (q.is_empty()
                || r.id.to_lowercase().contains(&q)
                || rel
                    .display_name(r)
                    .is_some_and(|n| n.to_lowercase().contains(&q)))
    }

    /// The page's address with these filters.
    fn page(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("account", &self.account),
            ("region", &self.region),
            ("kind", &self.kind),
            ("state", &self.state),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                ser.append_pair(k, v);
            }
        }
        if self.deleted {
            ser.append_pair("deleted", "1");
        }
        let query = ser.finish();
        if query.is_empty() {
            PAGE.to_string()
        } else {
            format!("{PAGE}?{query}")
        }
    }
}

/// The filter form: a plain GET form, so it works without JavaScript.
fn filter_form(list: &[ResourceSummary], f: &Filter) -> String {
    let mut out =
        format!("<form method=\"get\" action=\"{PAGE}\" class=\"filters\" role=\"search\">");
    let select =
        |out: &mut String, name: &str, all: &str, values: Vec<(String, String)>, cur: &str| {
            let _ = write!(
                out,
                "<select name=\"{name}\" aria-label=\"{}\"><option value=\"\">{}</option>",
                esc(all),
                esc(all)
            );
            for (v, label) in values {
                let _ = write!(
                    out,
                    "<option value=\"{}\"{}>{}</option>",
                    esc(&v),
                    if v == cur { " selected" } else { "" },
                    esc(&label)
                );
            }
            out.push_str("</select>");
        };
    let distinct = |get: &dyn Fn(&ResourceSummary) -> String| {
        let set: std::collections::BTreeSet<String> = list.iter().map(get).collect();
        set.into_iter().map(|v| (v.clone(), v)).collect::<Vec<_>>()
    };
    select(
        &mut out,
        "account",
        "All accounts",
        distinct(&|r| r.account.clone()),
        &f.account,
    );
    select(
        &mut out,
        "region",
        "All regions",
        distinct(&|r| region_label(&r.region).to_string()),
        &f.region,
    );
    let kinds = SECTIONS
        .iter()
        .map(|s| (s.kind.as_str().to_string(), s.title.to_string()))
        .collect();
    select(&mut out, "kind", "All kinds", kinds, &f.kind);
    select(
        &mut out,
        "state",
        "All states",
        distinct(&|r| r.state.clone()),
        &f.state,
    );
    let _ = write!(
        out,
        "<input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"Search id or name\" aria-label=\"Search by id or name\">\
         <label><input type=\"checkbox\" name=\"deleted\" value=\"1\"{}> Show deleted</label>\
         <button type=\"submit\">Filter</button> <a href=\"{PAGE}\">Clear</a></form>",
        esc(&f.q),
        if f.deleted { " checked" } else { "" }
    );
    out
}

fn render(
    list: &[ResourceSummary],
    filter: &Filter,
    now_ms: i64,
    mode: &str,
    next_due: Option<i64>,
) -> String {
    let mut out = String::with_capacity(4096 + list.len() * 400);
    clock_bar(&mut out, now_ms, mode, next_due);
    let mut rel = Relations::of(list);
    let matching: Vec<&ResourceSummary> = list.iter().filter(|r| filter.keeps(r, &rel)).collect();
    let hidden = if filter.deleted {
        0
    } else {
        matching.iter().filter(|r| gone(r)).count()
    };
    let visible: Vec<&ResourceSummary> = matching
        .into_iter()
        .filter(|r| filter.deleted || !gone(r))
        .collect();
    rel.shown = visible.iter().map(|r| r.id.as_str()).collect();
    let live = visible.iter().filter(|r| !gone(r)).count();
    let _ = write!(
        out,
        "<p class=\"totals\" id=\"totals\"><b>{live}</b> resource(s){}{}</p>",
        if filter.deleted {
            format!(", {} deleted shown", visible.len() - live)
        } else {
            String::new()
        },
        if hidden > 0 {
            format!(" · {hidden} deleted hidden")
        } else {
            String::new()
        }
    );
    let back = filter.page();
    let mut groups: BTreeMap<(&str, &str), Vec<&ResourceSummary>> = BTreeMap::new();
    for r in &visible {
        groups.entry((&r.account, &r.region)).or_default().push(r);
    }
    if list.is_empty() {
        out.push_str(
            "<p class=\"empty\">No resources yet. Create some with the AWS API; \
             they show up here.</p>",
        );
    } else if groups.is_empty() {
        out.push_str("<p class=\"empty\">Nothing matches the filters.</p>");
    }
    for ((account, region), rows) in &groups {
        let _ = write!(
            out,
            "<section class=\"group\"><h2>Account <code>{}</code> <span class=\"region\">{}</span></h2>",
            esc(account),
            esc(region_label(region))
        );
        for section in SECTIONS {
            let of_kind: Vec<&ResourceSummary> = rows
                .iter()
                .copied()
                .filter(|r| r.kind == section.kind.as_str())
                .collect();
            if !of_kind.is_empty() {
                table(&mut out, section, &of_kind, &rel, &back);
            }
        }
        out.push_str("</section>");
    }
    out
}

fn clock_bar(out: &mut String, now_ms: i64, mode: &str, next_due: Option<i64>) {
    let next = next_due.map_or_else(|| "none".to_string(), timestamp);
    let _ = write!(
        out,
        "<div class=\"bar\"><span>Clock <b id=\"clock\">{}</b></span>\
         <span>Lifecycle <b id=\"mode\">{}</b></span>\
         <span>Next transition <b>{}</b></span><span class=\"actions\">",
        esc(&timestamp(now_ms)),
        esc(mode),
        esc(&next)
    );
    for (seconds, label) in [(3600, "+1 hour"), (86_400, "+1 day")] {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{ACTION}\"><input type=\"hidden\" name=\"do\" value=\"advance\">\
             <input type=\"hidden\" name=\"seconds\" value=\"{seconds}\">\
             <button type=\"submit\">{}</button></form>",
            esc(label)
        );
    }
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{ACTION}\" data-confirm=\"Forget every resource of every account?\">\
         <input type=\"hidden\" name=\"do\" value=\"reset\">\
         <button type=\"submit\" class=\"danger\">Reset</button></form></span></div>"
    );
}

fn table(
    out: &mut String,
    section: &Section,
    rows: &[&ResourceSummary],
    rel: &Relations<'_>,
    back: &str,
) {
    let deleted = rows.iter().filter(|r| gone(r)).count();
    let _ = write!(
        out,
        "<h3>{} <span class=\"count\">{}{}</span></h3><div class=\"scroll\"><table class=\"{}\"><thead><tr><th>ID</th><th>Name</th>",
        esc(section.title),
        rows.len() - deleted,
        if deleted > 0 {
            format!(" · {deleted} deleted")
        } else {
            String::new()
        },
        esc(section.kind.as_str())
    );
    out.push_str("<th>State</th>");
    for col in section.cols {
        let label = match col {
            Col::Parent(l)
            | Col::Link(l)
            | Col::Children(_, l)
            | Col::Linked(_, l)
            | Col::Model(l)
            | Col::Members(_, l)
            | Col::Capacity(l) => l,
        };
        let _ = write!(out, "<th>{}</th>", esc(label));
    }
    out.push_str("<th>Actions</th></tr></thead><tbody>");
    for r in rows.iter().take(MAX_ROWS) {
        let _ = write!(
            out,
            "<tr id=\"r-{0}\" data-kind=\"{1}\" data-state=\"{2}\"><td><a href=\"{3}\" title=\"Details of {0}\"><code>{0}</code></a></td>",
            esc(&r.id),
            esc(r.kind),
            esc(&r.state),
            detail_href(r.kind, &r.id)
        );
        let name = match (&r.name, rel.display_name(r)) {
            (Some(n), _) => format!("<span class=\"name\" title=\"{0}\">{0}</span>", esc(n)),
            (None, Some(d)) => {
                format!(
                    "<span class=\"name derived\" title=\"{0}\">{0}</span>",
                    esc(&d)
                )
            }
            (None, None) => "<span class=\"none\">—</span>".to_string(),
        };
        let _ = write!(out, "<td class=\"namecell\">{name}</td>");
        let _ = write!(
            out,
            "<td><span class=\"st {}\">{}</span></td>",
            state_class(&r.state),
            esc(&r.state)
        );
        for col in section.cols {
            let cell = match col {
                Col::Parent(_) => rel.refs(r.parent.as_deref().as_slice()),
                Col::Link(_) => rel.refs(link_of(r).as_slice()),
                Col::Children(kind, _) => rel.refs(
                    rel.on
                        .get(&(r.id.as_str(), kind.as_str()))
                        .map_or(&[][..], Vec::as_slice),
                ),
                Col::Linked(kind, _) => rel.refs(
                    rel.linked
                        .get(&(r.id.as_str(), kind.as_str()))
                        .map_or(&[][..], Vec::as_slice),
                ),
                Col::Model(_) => r.model.as_deref().map_or_else(
                    || "<span class=\"none\">—</span>".to_string(),
                    |m| format!("<span class=\"model\">{}</span>", esc(m)),
                ),
                Col::Members(kind, _) => rel.refs(
                    rel.members
                        .get(&(r.id.as_str(), kind.as_str()))
                        .map_or(&[][..], Vec::as_slice),
                ),
                Col::Capacity(_) => capacity_cell(r, rel),
            };
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("<td class=\"actions\">");
        actions(out, r, rel, back);
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    if rows.len() > MAX_ROWS {
        let _ = write!(
            out,
            "<p class=\"more\">… and {} more not shown.</p>",
            rows.len() - MAX_ROWS
        );
    }
}

/// The buttons of a resource: forced transitions, the owner's confirm and
/// decline, a VIF's customer routes. Each form says where to come back to.
fn actions(out: &mut String, r: &ResourceSummary, rel: &Relations<'_>, back: &str) {
    let Some(kind) = Kind::parse(r.kind) else {
        return;
    };
    let back = format!(
        "<input type=\"hidden\" name=\"back\" value=\"{}\">",
        esc(back)
    );
    let awaits_owner = match kind {
        Kind::Connection => r.state == "ordering",
        Kind::VirtualInterface => r.state == "confirming",
        _ => false,
    };
    if awaits_owner {
        let mut gateway = String::new();
        if kind == Kind::VirtualInterface && r.subtype.as_deref() != Some("public") {
            let gateways: Vec<&ResourceSummary> = rel
                .any
                .values()
                .copied()
                .filter(|g| g.kind == Kind::Gateway.as_str() && g.account == r.account && !gone(g))
                .collect();
            if gateways.is_empty() {
                gateway = "<input type=\"text\" name=\"gateway\" size=\"14\" placeholder=\"gateway id\" aria-label=\"Gateway to attach to\">".into();
            } else {
                let mut sorted = gateways;
                sorted.sort_by(|a, b| a.id.cmp(&b.id));
                gateway.push_str("<select name=\"gateway\" aria-label=\"Gateway to attach to\">");
                for g in sorted {
                    let _ = write!(
                        gateway,
                        "<option value=\"{}\">{}</option>",
                        esc(&g.id),
                        esc(g.name.as_deref().unwrap_or(&g.id))
                    );
                }
                gateway.push_str("</select>");
            }
        }
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{ACTION}\" class=\"owner\">{back}\
             <input type=\"hidden\" name=\"do\" value=\"confirm\">\
             <input type=\"hidden\" name=\"kind\" value=\"{0}\">\
             <input type=\"hidden\" name=\"id\" value=\"{1}\">{gateway}\
             <button type=\"submit\" class=\"confirm\" title=\"Accept it as its owner\">confirm</button></form>\
             <form method=\"post\" action=\"{ACTION}\" data-confirm=\"Decline {1}? Its owner deletes it.\">{back}\
             <input type=\"hidden\" name=\"do\" value=\"decline\">\
             <input type=\"hidden\" name=\"kind\" value=\"{0}\">\
             <input type=\"hidden\" name=\"id\" value=\"{1}\">\
             <button type=\"submit\" class=\"danger\" title=\"Decline it as its owner (deletes it)\">decline</button></form>",
            esc(kind.as_str()),
            esc(&r.id)
        );
    }
    for to in targets(kind, &r.state) {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{ACTION}\">{back}\
             <input type=\"hidden\" name=\"do\" value=\"state\">\
             <input type=\"hidden\" name=\"kind\" value=\"{}\">\
             <input type=\"hidden\" name=\"id\" value=\"{}\">\
             <input type=\"hidden\" name=\"to\" value=\"{}\">\
             <button type=\"submit\" title=\"{} → {}\">{}</button></form>",
            esc(kind.as_str()),
            esc(&r.id),
            esc(to),
            esc(&r.state),
            esc(to),
            esc(&label(kind, &r.state, to))
        );
    }
    if kind == Kind::VirtualInterface
        && !matches!(r.state.as_str(), "deleting" | "deleted" | "rejected")
    {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{ACTION}\" class=\"routes\">{back}\
             <input type=\"hidden\" name=\"do\" value=\"routes\">\
             <input type=\"hidden\" name=\"id\" value=\"{0}\">\
             <input type=\"text\" name=\"cidrs\" size=\"18\" placeholder=\"10.1.0.0/16, …\" \
             aria-label=\"Customer routes of {0}\" title=\"CIDRs the customer router advertises (private/transit VIFs)\">\
             <button type=\"submit\">Set routes</button></form>",
            esc(&r.id)
        );
    }
}

/// A JSON value as text: strings as they are, the rest as JSON.
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => esc(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => format!(
            "<pre>{}</pre>",
            esc(&serde_json::to_string_pretty(v).unwrap_or_default())
        ),
        other => esc(&other.to_string()),
    }
}

/// The detail view's body.
fn detail_page(
    kind: Kind,
    res: &crate::control::ExportedResource,
    view: &View,
    history: &[crate::events::Event],
) -> String {
    let rel = Relations::of(&view.list);
    let mut rel = rel;
    rel.shown = HashSet::new();
    let me = rel.by_id.get(&(res.id.as_str(), kind.as_str())).copied();
    let wire = &res.document["wire"];
    let name = me.and_then(|r| rel.display_name(r));
    let title = SECTIONS
        .iter()
        .find(|s| s.kind == kind)
        .map_or(kind.as_str(), |s| s.title);
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "<p class=\"crumbs\"><a href=\"{PAGE}\">← Dashboard</a> · {0}</p>\
         <section class=\"group detail\" id=\"detail\" data-kind=\"{1}\" data-id=\"{2}\" data-state=\"{5}\">\
         <h2><span class=\"name\" title=\"{3}\">{3}</span> <code>{2}</code> <span class=\"st {4}\">{5}</span></h2>",
        esc(title),
        esc(kind.as_str()),
        esc(&res.id),
        esc(name.as_deref().unwrap_or("")),
        state_class(&res.state),
        esc(&res.state)
    );
    let _ = write!(
        out,
        "<table class=\"facts\"><tbody>\
         <tr><th>Kind</th><td>{}</td></tr><tr><th>Account</th><td><code>{}</code></td></tr>\
         <tr><th>Region</th><td>{}</td></tr>",
        esc(kind.as_str()),
        esc(&res.account),
        esc(region_label(&res.region))
    );
    if let Some(loc) = &res.location {
        let _ = write!(out, "<tr><th>Location</th><td>{}</td></tr>", esc(loc));
    }
    if let Some(due) = res.due_at_ms {
        let _ = write!(
            out,
            "<tr><th>Next lifecycle step</th><td>{}</td></tr>",
            esc(&timestamp(due))
        );
    }
    out.push_str("</tbody></table>");
    if let Some(r) = me {
        out.push_str("<div class=\"actions\">");
        actions(&mut out, r, &rel, &detail_href(kind.as_str(), &res.id));
        out.push_str("</div>");
    }

    // Relations, both ways, each a link to the other's detail view.
    out.push_str("<h3>Related</h3><table class=\"related\"><tbody>");
    let mut related_rows = 0;
    let mut relation = |out: &mut String, label: &str, ids: Vec<&str>| {
        if !ids.is_empty() {
            related_rows += 1;
            let _ = write!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(label),
                rel.refs(&ids)
            );
        }
    };
    if let Some(p) = res.parent.as_deref() {
        relation(&mut out, "Sits on", vec![p]);
    }
    if let Some(l) = res
        .link
        .as_deref()
        .filter(|l| !l.is_empty())
        .or(me.and_then(link_of))
    {
        relation(&mut out, "Linked to", vec![l]);
    }
    for section in SECTIONS {
        let k = section.kind.as_str();
        if let Some(ids) = rel.on.get(&(res.id.as_str(), k)) {
            relation(&mut out, &format!("{} on it", section.title), ids.clone());
        }
        if let Some(ids) = rel.linked.get(&(res.id.as_str(), k)) {
            relation(
                &mut out,
                &format!("{} linked to it", section.title),
                ids.clone(),
            );
        }
    }
    // One hop further along the chain: a VIF's gateway's associations and
    // proposals; an association's or proposal's gateway's VIFs.
    let gateway = match kind {
        Kind::VirtualInterface => me.and_then(link_of),
        Kind::GatewayAssociation | Kind::AssociationProposal => res.parent.as_deref(),
        _ => None,
    }
    .filter(|g| rel.by_id.contains_key(&(*g, Kind::Gateway.as_str())));
    if let Some(gw) = gateway {
        fn ids_of<'a>(
            map: &HashMap<(&'a str, &'static str), Vec<&'a str>>,
            gw: &str,
            k: Kind,
            skip: &str,
        ) -> Vec<&'a str> {
            map.get(&(gw, k.as_str()))
                .map(|ids| ids.iter().copied().filter(|i| *i != skip).collect())
                .unwrap_or_default()
        }
        let via = |k: Kind, map| ids_of(map, gw, k, &res.id);
        if kind == Kind::VirtualInterface {
            relation(
                &mut out,
                "Its gateway's associations",
                via(Kind::GatewayAssociation, &rel.on),
            );
            relation(
                &mut out,
                "Its gateway's proposals",
                via(Kind::AssociationProposal, &rel.on),
            );
        } else {
            relation(
                &mut out,
                "Its gateway's VIFs",
                via(Kind::VirtualInterface, &rel.linked),
            );
        }
    }
    if related_rows == 0 {
        out.push_str("<tr><td class=\"none\">Nothing related.</td></tr>");
    }
    out.push_str("</tbody></table>");

    // Every field of the wire document, tags apart.
    out.push_str("<h3>Fields</h3><table class=\"fields\"><tbody>");
    if let Some(obj) = wire.as_object() {
        for (k, v) in obj.iter().filter(|(k, _)| k.as_str() != "tags") {
            let _ = write!(
                out,
                "<tr data-field=\"{0}\"><th>{0}</th><td>{1}</td></tr>",
                esc(k),
                value_text(v)
            );
        }
    }
    out.push_str("</tbody></table><h3>Tags</h3>");
    let tags = wire["tags"].as_array().filter(|t| !t.is_empty());
    match tags {
        Some(tags) => {
            out.push_str(
                "<table class=\"tags\"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>",
            );
            for t in tags {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    esc(t["key"].as_str().unwrap_or_default()),
                    esc(t["value"].as_str().unwrap_or_default())
                );
            }
            out.push_str("</tbody></table>");
        }
        None => out.push_str("<p class=\"none\">No tags.</p>"),
    }

    // The state history, oldest first.
    out.push_str("<h3>History</h3>");
    if history.is_empty() {
        out.push_str("<p class=\"none\">No state changes logged since this server started.</p>");
    } else {
        out.push_str(
            "<table class=\"history\"><thead><tr><th>When</th><th>From</th><th>To</th><th>By</th></tr></thead><tbody>",
        );
        for e in history {
            let cause = serde_json::to_value(e.cause)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><span class=\"st {}\">{}</span></td><td>{}</td></tr>",
                esc(&timestamp(e.at_ms)),
                e.from
                    .as_deref()
                    .map_or_else(|| "<span class=\"none\">—</span>".to_string(), esc),
                state_class(&e.to),
                esc(&e.to),
                esc(&cause)
            );
        }
        out.push_str("</tbody></table>");
    }
    let _ = write!(
        out,
        "<h3>Raw JSON</h3><pre class=\"raw\">{}</pre></section>",
        esc(&serde_json::to_string_pretty(wire).unwrap_or_default())
    );
    out
}

/// The listed resources of `kind` sitting on (`on`) or linked to `id`.
fn related<'a>(
    rel: &Relations<'a>,
    map: &HashMap<(&'a str, &'static str), Vec<&'a str>>,
    id: &str,
    kind: Kind,
) -> Vec<&'a ResourceSummary> {
    map.get(&(id, kind.as_str()))
        .into_iter()
        .flatten()
        .filter_map(|child| rel.by_id.get(&(*child, kind.as_str())).copied())
        .collect()
}

/// What the live VIFs among `vifs` hold: prefixes (IPv4, IPv6), rate-limited
/// VIFs and the sum of their limits in Mbps.
fn vif_usage(vifs: &[&ResourceSummary]) -> (i64, i64, usize, u64) {
    use crate::service::capacity;
    let mut usage = (0, 0, 0, 0);
    for v in vifs.iter().filter(|v| capacity::holds(&v.state)) {
        if let Some((v4, v6)) = v.capacity.prefixes {
            usage.0 += v4;
            usage.1 += v6;
        }
        if let Some(mbps) = v
            .capacity
            .rate_limit
            .as_deref()
            .and_then(capacity::rate_limit_mbps)
        {
            usage.2 += 1;
            usage.3 += mbps;
        }
    }
    usage
}

/// The prefix pool and rate limiter figures of a connection, LAG, VIF or gateway.
fn capacity_cell(r: &ResourceSummary, rel: &Relations<'_>) -> String {
    use crate::service::capacity;
    let none = || "<span class=\"none\">—</span>".to_string();
    let kind = Kind::parse(r.kind);
    match kind {
        Some(Kind::Connection | Kind::Lag) => {
            let Some(bandwidth) = r.capacity.port_bandwidth.as_deref() else {
                return none();
            };
            let pool = if kind == Some(Kind::Lag) {
                let billable = related(rel, &rel.on, &r.id, Kind::Connection)
                    .iter()
                    .filter(|m| capacity::billable(&m.state))
                    .count();
                capacity::lag_pool_size(bandwidth, billable)
            } else {
                capacity::port_pool_size(bandwidth)
            };
            let Some(pool) = pool else {
                return none();
            };
            let (v4, v6, limited, mbps) =
                vif_usage(&related(rel, &rel.on, &r.id, Kind::VirtualInterface));
            let limits = match capacity::total_bandwidth(mbps) {
                Some(total) => format!("{limited} rate-limited ({total})"),
                None => "no rate limits".to_string(),
            };
            let billing = r
                .capacity
                .billing_mode
                .as_deref()
                .map(|m| format!(" · <span class=\"billing\">{}</span>", esc(m)))
                .unwrap_or_default();
            format!(
                "<span class=\"capacity\">IPv4 {}/{pool} · IPv6 {}/{pool} · {}{billing}</span>",
                (pool - v4).max(0),
                (pool - v6).max(0),
                esc(&limits)
            )
        }
        Some(Kind::VirtualInterface) => {
            let prefixes = r
                .capacity
                .prefixes
                .map(|(v4, v6)| format!("IPv4 {v4} · IPv6 {v6}"));
            let rate = r.capacity.rate_limit.as_deref().map(esc);
            let routes = r
                .capacity
                .customer_routes
                .filter(|(n, _)| *n > 0)
                .map(|(n, over)| {
                    if over {
                        format!("{n} customer routes: past the allocation, BGP idle")
                    } else {
                        format!("{n} customer routes")
                    }
                });
            match (prefixes, rate) {
                (None, None) => none(),
                (p, rate) => format!(
                    "<span class=\"capacity\">{}</span>",
                    [p, rate, routes]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · ")
                ),
            }
        }
        Some(Kind::Gateway) => {
            let (v4, v6, _, _) =
                vif_usage(&related(rel, &rel.linked, &r.id, Kind::VirtualInterface));
            format!(
                "<span class=\"capacity\">{} / {}</span>",
                v4 + v6,
                capacity::GATEWAY_MAX_ALLOCATIONS
            )
        }
        _ => none(),
    }
}

/// The states the control API may move a resource of `kind` to from `from`.
fn targets(kind: Kind, from: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if let Some((Step::To(next), _)) = lifecycle::rule(kind, from, Timing::Instant) {
        out.push(next);
    }
    for to in ["down", "available"] {
        if !out.contains(&to) && lifecycle::can_force(kind, from, to) {
            out.push(to);
        }
    }
    out
}

/// The button text of a forced transition.
fn label(kind: Kind, from: &str, to: &str) -> String {
    let fixed = match (kind, from, to) {
        (Kind::Connection | Kind::Interconnect, "requested", "pending") => "issue LOA",
        (Kind::VirtualInterface, "verifying", "pending") => "verify prefixes",
        (Kind::VirtualInterface, "pending", "available") => "bring up BGP",
        (Kind::VirtualInterface, "testing", "available") => "end test",
        (_, "available", "down") => "take down",
        (_, "down", "available") => "bring up",
        (_, "pending" | "associating" | "updating", "available" | "associated") => "provision",
        (_, "deleting", "deleted") | (_, "disassociating", "disassociated") => "finish",
        (Kind::AssociationProposal, "requested", "deleted") => "expire",
        (Kind::FailoverTest, _, "completed") => "end test",
        _ => "",
    };
    if fixed.is_empty() {
        format!("→ {to}")
    } else {
        fixed.to_string()
    }
}

/// A CSS class for a state, from a fixed set.
fn state_class(state: &str) -> &'static str {
    match state {
        "available" | "associated" | "accepted" | "completed" => "ok",
        "down" | "rejected" | "deleted" | "deleting" | "disassociated" | "disassociating"
        | "unknown" => "bad",
        _ => "wait",
    }
}

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}\
header{background:#232f3e;color:#fff;padding:10px 20px;display:flex;gap:14px;align-items:baseline}\
header h1{font-size:20px;margin:0}header .sub{opacity:.8}\
main{padding:12px 20px}\
.bar{display:flex;flex-wrap:wrap;gap:18px;align-items:center;background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:8px 12px}\
.bar .actions{margin-left:auto;display:flex;gap:6px}\
.group{background:#fff;border:1px solid #d5dbe3;border-radius:6px;margin:14px 0;padding:4px 14px 12px}\
h2{font-size:16px;margin:10px 0 4px}h2 .region{font-weight:normal;color:#5a6472;margin-left:6px}\
h3{font-size:14px;margin:12px 0 4px;color:#394350}h3 .count{color:#8a93a0;font-weight:normal}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e7eaee;vertical-align:top}\
th{font-weight:600;color:#5a6472;font-size:12px}\
code{font:12px ui-monospace,monospace}a{color:#0b63c5;text-decoration:none}\
tr:target{background:#fff7d6}\
.st{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:600}\
.st.ok{background:#dff3e4;color:#1d6b34}.st.bad{background:#fbe2e2;color:#a11d1d}.st.wait{background:#fdf0d5;color:#86580b}\
.none{color:#b0b7c0}td.actions{white-space:nowrap}\
form{display:inline;margin:0}\
button{font:12px system-ui,sans-serif;padding:2px 8px;border:1px solid #9aa5b1;border-radius:4px;background:#fff;cursor:pointer}\
button:hover{background:#eef2f6}button.danger{border-color:#c24040;color:#a11d1d}\
.flash{padding:8px 12px;border-radius:6px;margin-bottom:10px}\
.flash.ok{background:#dff3e4}.flash.error{background:#fbe2e2;color:#7d1414;font-weight:600}\
.empty{color:#5a6472}.stale #live{opacity:.5}\
.name,.ref-name{display:inline-block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}\
.name{max-width:22em}.ref-name{max-width:14em}.name.derived{color:#5a6472}h2 .name{max-width:60%}\
a.ref code{color:#5a6472;font-size:11px}td:first-child code{white-space:nowrap}.scroll{overflow-x:auto}\
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 10px}\
.filters select,.filters input{font:13px system-ui,sans-serif}\
.totals{margin:8px 2px;color:#5a6472}.crumbs{margin:0 0 8px}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:12px ui-monospace,monospace}\
pre.raw{background:#f5f6f8;border:1px solid #e7eaee;border-radius:4px;padding:8px}\
.facts th,.fields th,.related th{width:16em}.fields td,.facts td{overflow-wrap:anywhere}\
.detail .actions{margin:8px 0;display:flex;flex-wrap:wrap;gap:6px}\
button.confirm{border-color:#1d6b34;color:#1d6b34}";

const ICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#232f3e\"/>\
<path d=\"M3 8h10M8 3v10\" stroke=\"#ff9900\" stroke-width=\"2\"/></svg>";

/// Re-fetches the live part every two seconds; asks before a reset.
const APP_JS: &str = r#""use strict";
(function () {
  var live = document.getElementById("live");
  var last = null;
  function refresh() {
    fetch("/_dxemu/ui/fragment" + window.location.search, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.text();
      })
      .then(function (html) {
        document.body.classList.remove("stale");
        if (html !== last) { last = html; live.innerHTML = html; }
      })
      .catch(function () { document.body.classList.add("stale"); });
  }
  if (live) { setInterval(refresh, 2000); }
  document.addEventListener("submit", function (ev) {
    var ask = ev.target.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) { ev.preventDefault(); }
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert(1)</script>"'&"#),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
    }

    #[test]
    fn connection_buttons_follow_the_lifecycle() {
        assert_eq!(targets(Kind::Connection, "available"), vec!["down"]);
        assert_eq!(targets(Kind::Connection, "down"), vec!["available"]);
        assert_eq!(targets(Kind::Connection, "requested"), vec!["pending"]);
        assert_eq!(label(Kind::Connection, "available", "down"), "take down");
        assert_eq!(label(Kind::Connection, "requested", "pending"), "issue LOA");
        assert!(targets(Kind::Gateway, "available").is_empty());
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        h.insert("origin", HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert("origin", HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h));
        h.insert("origin", HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.remove("origin");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }
}
