//! Protection of the control API (everything under `/_dxemu/` but health).
//!
//! `--no-control-api` hides it (404); `--admin-token` requires the token as
//! `Authorization: Bearer`, as `X-Dxemu-Admin-Token` or as the
//! `dxemu_admin_token` cookie that `GET /_dxemu/login?token=` sets for browsers.

use super::auth::constant_time_eq;
use super::http::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The cookie a browser carries after `/_dxemu/login`.
pub const COOKIE: &str = "dxemu_admin_token";
/// The header scripts may use instead of `Authorization: Bearer`.
pub const HEADER: &str = "x-dxemu-admin-token";
const PREFIX: &str = "/_dxemu";
const HEALTH: &str = "/_dxemu/health";
const LOGIN: &str = "/_dxemu/login";
const DASHBOARD: &str = "/_dxemu/ui";

/// How the control API is exposed.
#[derive(Clone)]
pub struct AdminAccess {
    /// The token every control request must present, if any.
    pub token: Option<String>,
    /// False with `--no-control-api`.
    pub enabled: bool,
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccess")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl AdminAccess {
    /// Checks that a token can travel in a header and a cookie unchanged.
    pub fn validate_token(token: &str) -> Result<(), String> {
        if token.is_empty()
            || !token
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'))
        {
            return Err(
                "the admin token may only hold printable ASCII without spaces, ';', ',', '\"' or '\\'"
                    .into(),
            );
        }
        Ok(())
    }

    fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let token = token.as_bytes();
        let bearer = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
            .any(|t| constant_time_eq(t.trim().as_bytes(), token));
        let custom = headers
            .get_all(HEADER)
            .iter()
            .any(|v| constant_time_eq(v.as_bytes(), token));
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && constant_time_eq(value.as_bytes(), token));
        bearer | custom | cookie
    }
}

fn json(status: StatusCode, error: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": error, "message": message });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn is_control(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_dxemu/")
}

/// Middleware on the whole router: lets the AWS API and health through and
/// applies `--no-control-api` / `--admin-token` to every other `/_dxemu` path.
pub async fn admin_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !is_control(path) || path == HEALTH {
        return next.run(request).await;
    }
    let access = &state.auth.admin;
    if !access.enabled {
        return json(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the control API is disabled (--no-control-api)",
        );
    }
    if path == LOGIN || access.accepts(request.headers()) {
        return logged(request, next).await;
    }
    tracing::warn!(path = %path, "control API request without a valid admin token");
    let mut resp = json(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "this dxemu requires its admin token: Authorization: Bearer TOKEN, X-Dxemu-Admin-Token: TOKEN, or a browser login at /_dxemu/login?token=TOKEN",
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"dxemu\""),
    );
    resp
}

/// Runs a control call; one that changes something (any method but GET:
/// forced states, the clock, resets, imports, faults, partners, from the
/// control API or the dashboard's forms) is logged with what it answered.
async fn logged(request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::GET {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::error!(%method, %path, status, latency_us, "control");
    } else {
        tracing::info!(%method, %path, status, latency_us, "control");
    }
    response
}

fn query_token(raw: Option<&str>) -> Option<String> {
    raw?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "token").then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                if let Some(v) = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET /_dxemu/login?token=TOKEN`: with the right token, sets the cookie and
/// sends the browser to the dashboard.
pub async fn login(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let redirect = |cookie: Option<String>| {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::SEE_OTHER;
        resp.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(DASHBOARD));
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::SET_COOKIE, c);
        }
        resp
    };
    let Some(expected) = &state.auth.admin.token else {
        return redirect(None);
    };
    match query_token(raw.as_deref()) {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => redirect(Some(
            format!("{COOKIE}={expected}; HttpOnly; SameSite=Strict; Path={PREFIX}"),
        )),
        _ => json(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "wrong or missing token: use /_dxemu/login?token=TOKEN",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_tokens_and_decoding() {
        assert!(is_control("/_dxemu/ui/app.js") && is_control("/_dxemu"));
        assert!(!is_control("/") && !is_control("/_dxemuX"));
        assert_eq!(
            query_token(Some("a=1&token=ab%2Fc+d")).as_deref(),
            Some("ab/c d")
        );
        assert!(AdminAccess::validate_token("").is_err());
        assert!(AdminAccess::validate_token("has space in it").is_err());
        assert!(AdminAccess::validate_token("good-token_123").is_ok());
        let access = AdminAccess {
            token: Some("s3cret-token".into()),
            enabled: true,
        };
        let mut h = HeaderMap::new();
        assert!(!access.accepts(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; dxemu_admin_token=s3cret-token"),
        );
        assert!(access.accepts(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("dxemu_admin_token=s3cret-tokeN"),
        );
        assert!(!access.accepts(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token"),
        );
        assert!(access.accepts(&h));
    }
}
