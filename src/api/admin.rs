//! The control API under `/_dxemu/`: JSON in and out, not AWS-shaped.

use super::http::AppState;
use crate::control::ControlError;
use crate::store::Kind;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The control routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_dxemu/clock", get(clock))
        .route("/_dxemu/clock/advance", post(advance))
        .route("/_dxemu/resources", get(resources))
        .route("/_dxemu/resources/{kind}/{id}/state", post(force_state))
        .route("/_dxemu/reset", post(reset))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    reply(
        status,
        json!({ "error": code, "message": message.to_string() }),
    )
}

fn control_error(e: ControlError) -> Response {
    match e {
        ControlError::NotFound(m) => error(StatusCode::NOT_FOUND, "NotFound", m),
        ControlError::InvalidTransition(m) => error(StatusCode::CONFLICT, "InvalidTransition", m),
        ControlError::BadRequest(m) => error(StatusCode::BAD_REQUEST, "BadRequest", m),
        ControlError::Internal(m) => {
            tracing::error!(error = %m, "control API failure");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal",
                "internal error",
            )
        }
    }
}

fn json_body(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        let message = format!("body is not JSON: {e}");
        Box::new(error(StatusCode::BAD_REQUEST, "BadRequest", message))
    })
}

async fn clock(State(state): State<AppState>) -> Response {
    reply(
        StatusCode::OK,
        json!({
            "nowMs": state.clock.now_ms(),
            "lifecycle": state.backend.lifecycle_mode(),
            "lifecycleTransitionsApplied": state.backend.transitions_applied(),
        }),
    )
}

async fn advance(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(seconds) = body
        .get("seconds")
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite() && *s >= 0.0)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "give {\"seconds\": <non-negative number>}",
        );
    };
    if !state.clock.advance((seconds * 1000.0).round() as i64) {
        return error(
            StatusCode::CONFLICT,
            "ClockFixed",
            "this clock cannot be moved",
        );
    }
    let now = state.clock.now_ms();
    let backend = state.backend.clone();
    match tokio::task::spawn_blocking(move || backend.catch_up_to(now)).await {
        Ok(Ok(applied)) => reply(
            StatusCode::OK,
            json!({ "nowMs": now, "transitionsApplied": applied }),
        ),
        Ok(Err(e)) => control_error(e),
        Err(e) => control_error(ControlError::Internal(e.to_string())),
    }
}

/// `kind=connection&account=…&region=…`, all optional (values are plain ids).
fn query_params(raw: Option<String>) -> Vec<(String, String)> {
    raw.unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn resources(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let params = query_params(raw);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let kind = match get("kind") {
        Some(k) => match Kind::parse(&k) {
            Some(kind) => Some(kind),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("unknown kind {k}"),
                );
            }
        },
        None => None,
    };
    let (account, region) = (get("account"), get("region"));
    let backend = state.backend.clone();
    let listed = tokio::task::spawn_blocking(move || {
        backend.resources(kind, account.as_deref(), region.as_deref())
    })
    .await;
    match listed {
        Ok(Ok(list)) => reply(StatusCode::OK, json!({ "resources": list })),
        Ok(Err(e)) => control_error(e),
        Err(e) => control_error(ControlError::Internal(e.to_string())),
    }
}

async fn force_state(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(kind) = Kind::parse(&kind) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("unknown kind {kind}"),
        );
    };
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(target) = body
        .get("state")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "give {\"state\": \"<state>\"}",
        );
    };
    let now = state.clock.now_ms();
    let backend = state.backend.clone();
    match tokio::task::spawn_blocking(move || backend.force_state(kind, &id, &target, now)).await {
        Ok(Ok(summary)) => reply(StatusCode::OK, json!(summary)),
        Ok(Err(e)) => control_error(e),
        Err(e) => control_error(ControlError::Internal(e.to_string())),
    }
}

async fn reset(State(state): State<AppState>) -> Response {
    let backend = state.backend.clone();
    match tokio::task::spawn_blocking(move || backend.reset()).await {
        Ok(Ok(())) => reply(StatusCode::OK, json!({ "reset": true })),
        Ok(Err(e)) => control_error(e),
        Err(e) => control_error(ControlError::Internal(e.to_string())),
    }
}
