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
use axum::extract::{RawQuery, State};
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

async fn page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let flash = raw.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "flash")
            .and_then(|(_, v)| flash_take(&v))
    });
    match live(&state).await {
        Ok(body) => html(StatusCode::OK, frame(flash.as_ref(), &body)),
        Err(e) => failure(e),
    }
}

async fn fragment(State(state): State<AppState>) -> Response {
    match live(&state).await {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => failure(e),
    }
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
        _ => Err("unknown action".to_string()),
    };
    let flash = match outcome {
        Ok(text) => Flash { ok: true, text },
        Err(text) => Flash { ok: false, text },
    };
    see_other(format!("{PAGE}?flash={}", flash_put(flash)))
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
         <main>{banner}<div id=\"live\">{live}</div></main>\
         <script src=\"{SCRIPT}\"></script></body></html>\n"
    )
}

/// The live part: the clock bar and every account's resources.
async fn live(state: &AppState) -> Result<String, ControlError> {
    let backend = state.backend.clone();
    let list = blocking(move || backend.resources(None, None, None)).await?;
    // Shown only once on disk, like every API answer.
    super::http::settle(state)
        .await
        .map_err(|e| ControlError::Internal(e.to_string()))?;
    let now = state.clock.now_ms();
    let mode = state.backend.lifecycle_mode();
    let next = state.backend.next_due_ms();
    Ok(render(&list, now, mode, next))
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
    named: bool,
    cols: &'static [Col],
}

const SECTIONS: &[Section] = &[
    Section {
        kind: Kind::Connection,
        title: "Connections",
        named: true,
        cols: &[
            Col::Parent("LAG / interconnect"),
            Col::Children(Kind::VirtualInterface, "VIFs"),
            Col::Capacity("Prefixes free / rate limiters"),
        ],
    },
    Section {
        kind: Kind::Lag,
        title: "LAGs",
        named: true,
        cols: &[
            Col::Children(Kind::Connection, "Connections"),
            Col::Children(Kind::VirtualInterface, "VIFs"),
            Col::Capacity("Prefixes free / rate limiters"),
        ],
    },
    Section {
        kind: Kind::Interconnect,
        title: "Interconnects",
        named: true,
        cols: &[
            Col::Parent("LAG"),
            Col::Children(Kind::Connection, "Hosted connections"),
        ],
    },
    Section {
        kind: Kind::VirtualInterface,
        title: "Virtual interfaces",
        named: true,
        cols: &[
            Col::Parent("Connection / LAG"),
            Col::Link("Gateway"),
            Col::Capacity("Prefixes / rate limit"),
        ],
    },
    Section {
        kind: Kind::Gateway,
        title: "Direct Connect gateways",
        named: true,
        cols: &[
            Col::Linked(Kind::VirtualInterface, "VIFs"),
            Col::Children(Kind::GatewayAssociation, "Associations"),
            Col::Capacity("Prefix allocations"),
        ],
    },
    Section {
        kind: Kind::GatewayAssociation,
        title: "Gateway associations",
        named: false,
        cols: &[Col::Parent("Gateway"), Col::Link("Associated gateway")],
    },
    Section {
        kind: Kind::AssociationProposal,
        title: "Association proposals",
        named: false,
        cols: &[Col::Parent("Gateway"), Col::Link("Proposed gateway")],
    },
    Section {
        kind: Kind::FailoverTest,
        title: "Failover tests",
        named: false,
        cols: &[Col::Parent("VIF")],
    },
    Section {
        kind: Kind::ResiliencyGroup,
        title: "Resiliency groups",
        named: true,
        cols: &[
            Col::Model("Intended model"),
            Col::Members(Kind::ResiliencyGroupAssociation, "Members"),
        ],
    },
    Section {
        kind: Kind::ResiliencyGroupAssociation,
        title: "Resiliency group associations",
        named: false,
        cols: &[
            Col::Parent("Resiliency group"),
            Col::Link("Connection / LAG"),
        ],
    },
];

/// Who sits on or links to whom, for the relation columns.
struct Relations<'a> {
    /// Ids with a row on the page; references to others are not links.
    shown: HashSet<&'a str>,
    on: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    linked: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    /// The links of the children that are not ending, by parent and kind.
    members: HashMap<(&'a str, &'static str), Vec<&'a str>>,
    /// Every listed resource by id and kind.
    by_id: HashMap<(&'a str, &'static str), &'a ResourceSummary>,
}

impl<'a> Relations<'a> {
    fn of(list: &'a [ResourceSummary]) -> Self {
        let mut on: HashMap<_, Vec<&str>> = HashMap::new();
        let mut linked: HashMap<_, Vec<&str>> = HashMap::new();
        let mut members: HashMap<_, Vec<&str>> = HashMap::new();
        for r in list {
            if let Some(p) = &r.parent {
                on.entry((p.as_str(), r.kind)).or_default().push(&r.id);
                if let Some(l) = &r.link
                    && matches!(r.state.as_str(), "associating" | "associated")
                {
                    members.entry((p.as_str(), r.kind)).or_default().push(l);
                }
            }
            if let Some(l) = &r.link {
                linked.entry((l.as_str(), r.kind)).or_default().push(&r.id);
            }
        }
        let shown = list.iter().map(|r| r.id.as_str()).collect();
        let by_id = list.iter().map(|r| ((r.id.as_str(), r.kind), r)).collect();
        Self {
            shown,
            on,
            linked,
            members,
            by_id,
        }
    }
}

fn render(list: &[ResourceSummary], now_ms: i64, mode: &str, next_due: Option<i64>) -> String {
    let mut out = String::with_capacity(4096 + list.len() * 400);
    clock_bar(&mut out, now_ms, mode, next_due);
    let rel = Relations::of(list);
    let mut groups: BTreeMap<(&str, &str), Vec<&ResourceSummary>> = BTreeMap::new();
    for r in list {
        groups.entry((&r.account, &r.region)).or_default().push(r);
    }
    if groups.is_empty() {
        out.push_str(
            "<p class=\"empty\">No resources yet. Create some with the AWS API; \
             they show up here.</p>",
        );
    }
    for ((account, region), rows) in &groups {
        let _ = write!(
            out,
            "<section class=\"group\"><h2>Account <code>{}</code> <span class=\"region\">{}</span></h2>",
            esc(account),
            // Direct Connect gateways belong to no Region.
            esc(if region.is_empty() { "global" } else { region })
        );
        for section in SECTIONS {
            let of_kind: Vec<&ResourceSummary> = rows
                .iter()
                .copied()
                .filter(|r| r.kind == section.kind.as_str())
                .collect();
            if !of_kind.is_empty() {
                table(&mut out, section, &of_kind, &rel);
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

impl Relations<'_> {
    /// References to other resources: links to their rows where they have one.
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
        if self.shown.contains(id) {
            format!("<a href=\"#r-{0}\"><code>{0}</code></a>", esc(id))
        } else {
            format!("<code>{}</code>", esc(id))
        }
    }
}

fn table(out: &mut String, section: &Section, rows: &[&ResourceSummary], rel: &Relations<'_>) {
    let _ = write!(
        out,
        "<h3>{} <span class=\"count\">{}</span></h3><table class=\"{}\"><thead><tr><th>ID</th>",
        esc(section.title),
        rows.len(),
        esc(section.kind.as_str())
    );
    if section.named {
        out.push_str("<th>Name</th>");
    }
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
            "<tr id=\"r-{0}\" data-kind=\"{1}\" data-state=\"{2}\"><td><code>{0}</code></td>",
            esc(&r.id),
            esc(r.kind),
            esc(&r.state)
        );
        if section.named {
            let name = r.name.as_deref().map_or_else(
                || "<span class=\"none\">—</span>".to_string(),
                |n| format!("<span class=\"name\">{}</span>", esc(n)),
            );
            let _ = write!(out, "<td>{name}</td>");
        }
        let _ = write!(
            out,
            "<td><span class=\"st {}\">{}</span></td>",
            state_class(&r.state),
            esc(&r.state)
        );
        for col in section.cols {
            let cell = match col {
                Col::Parent(_) => rel.refs(r.parent.as_deref().as_slice()),
                Col::Link(_) => rel.refs(r.link.as_deref().as_slice()),
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
        if let Some(kind) = Kind::parse(r.kind) {
            for to in targets(kind, &r.state) {
                let _ = write!(
                    out,
                    "<form method=\"post\" action=\"{ACTION}\">\
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
                    "<form method=\"post\" action=\"{ACTION}\" class=\"routes\">\
                     <input type=\"hidden\" name=\"do\" value=\"routes\">\
                     <input type=\"hidden\" name=\"id\" value=\"{0}\">\
                     <input type=\"text\" name=\"cidrs\" size=\"18\" placeholder=\"10.1.0.0/16, …\" \
                     aria-label=\"Customer routes of {0}\" title=\"CIDRs the customer router advertises (private/transit VIFs)\">\
                     <button type=\"submit\">Set routes</button></form>",
                    esc(&r.id)
                );
            }
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    if rows.len() > MAX_ROWS {
        let _ = write!(
            out,
            "<p class=\"more\">… and {} more not shown.</p>",
            rows.len() - MAX_ROWS
        );
    }
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
.empty{color:#5a6472}.stale #live{opacity:.5}";

const ICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#232f3e\"/>\
<path d=\"M3 8h10M8 3v10\" stroke=\"#ff9900\" stroke-width=\"2\"/></svg>";

/// Re-fetches the live part every two seconds; asks before a reset.
const APP_JS: &str = r#""use strict";
(function () {
  var live = document.getElementById("live");
  var last = null;
  function refresh() {
    fetch("/_dxemu/ui/fragment", { credentials: "same-origin", cache: "no-store" })
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
