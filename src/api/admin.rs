//! The control API under `/_dxemu/`: JSON in and out, not AWS-shaped.

use super::faults::FaultSpec;
use super::http::AppState;
use crate::control::ControlError;
use crate::store::Kind;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

/// The control routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_dxemu/clock", get(clock))
        .route("/_dxemu/clock/advance", post(advance))
        .route("/_dxemu/resources", get(resources))
        .route("/_dxemu/resources/{kind}/{id}/state", post(force_state))
        .route("/_dxemu/reset", post(reset))
        .route(
            "/_dxemu/vifs/{id}/bgp-peers/{peer}/status",
            post(bgp_peer_status),
        )
        .route("/_dxemu/vifs/{id}/bgp-status", post(bgp_status))
        .route(
            "/_dxemu/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_dxemu/faults/{id}", delete(remove_fault))
        .route("/_dxemu/accounts", get(accounts))
        .route("/_dxemu/accounts/keys", post(add_key))
        .route("/_dxemu/partners", post(add_partner))
        .route("/_dxemu/partners/{account}", delete(remove_partner))
        .route("/_dxemu/state", get(export_state).post(import_state))
        .route("/_dxemu/vifs/{id}/routes", post(set_vif_routes))
}

/// Sets what the customer's router advertises on a VIF.
async fn set_vif_routes(
    State(state): State<AppState>,
    Path(vif): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let now = state.clock.now_ms();
    blocking(&state, move |c| c.set_vif_routes(&vif, body, now)).await
}

/// Runs a blocking control call and answers with its JSON, or its error.
async fn blocking<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    call: impl FnOnce(&dyn crate::control::Control) -> Result<T, ControlError> + Send + 'static,
) -> Response {
    let backend = state.backend.clone();
    let done = tokio::task::spawn_blocking(move || {
        let control: &dyn crate::control::Control = backend.as_ref();
        call(control)
    })
    .await;
    // What the answer shows must be on disk before it is shown.
    if let Err(e) = super::http::settle(state).await {
        return control_error(ControlError::Internal(e.to_string()));
    }
    match done {
        Ok(Ok(v)) => reply(StatusCode::OK, json!(v)),
        Ok(Err(e)) => control_error(e),
        Err(e) => control_error(ControlError::Internal(e.to_string())),
    }
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// A string member of a JSON body.
fn member(body: &Value, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_string)
}

async fn bgp_peer_status(
    State(state): State<AppState>,
    Path((vif, peer)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    set_bgp(state, vif, Some(peer), body).await
}

async fn bgp_status(
    State(state): State<AppState>,
    Path(vif): Path<String>,
    body: Bytes,
) -> Response {
    set_bgp(state, vif, None, body).await
}

async fn set_bgp(state: AppState, vif: String, peer: Option<String>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(status) = member(&body, "bgpStatus") else {
        return bad_request("give {\"bgpStatus\": \"up\" | \"down\" | \"unknown\"}");
    };
    blocking(&state, move |c| {
        c.set_bgp_status(&vif, peer.as_deref(), &status)
    })
    .await
}

async fn list_faults(State(state): State<AppState>) -> Response {
    reply(StatusCode::OK, json!({ "faults": state.faults.list() }))
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Response {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(format!("not a fault: {e}")),
    };
    match state.faults.add(spec) {
        Ok(fault) => reply(StatusCode::OK, json!(fault)),
        Err(e) => bad_request(e),
    }
}

async fn clear_faults(State(state): State<AppState>) -> Response {
    state.faults.clear();
    reply(StatusCode::OK, json!({ "faults": [] }))
}

async fn remove_fault(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) if state.faults.remove(id) => reply(StatusCode::OK, json!({ "removed": id })),
        _ => error(StatusCode::NOT_FOUND, "NotFound", format!("no fault {id}")),
    }
}

async fn accounts(State(state): State<AppState>) -> Response {
    let partners = state.backend.partners();
    reply(
        StatusCode::OK,
        json!({
            "defaultAccount": state.accounts.default_account(),
            "accessKeys": state.accounts.mappings(),
            "everyAccountIsPartner": partners.is_empty(),
            "partners": partners,
        }),
    )
}

async fn add_key(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let (Some(key), Some(account)) = (member(&body, "accessKey"), member(&body, "account")) else {
        return bad_request(
            "give {\"accessKey\": \"…\", \"account\": \"<12 digits>\", \"secretAccessKey\": \"…\" (optional)}",
        );
    };
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return bad_request("accessKey must be 1 to 128 letters and digits");
    }
    if !super::is_account_id(&account) {
        return bad_request(format!("{account:?} is not a 12-digit account id"));
    }
    // With a secret the key also signs under `--auth verify`.
    let secret = member(&body, "secretAccessKey");
    if let Some(secret) = &secret
        && let Err(e) = state.auth.credentials.insert(&key, secret, Some(&account))
    {
        return bad_request(e);
    }
    state.accounts.insert(key.clone(), account.clone());
    reply(
        StatusCode::OK,
        json!({ "accessKey": key, "account": account, "verifiable": secret.is_some() }),
    )
}

async fn add_partner(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(account) = member(&body, "account") else {
        return bad_request("give {\"account\": \"<12 digits>\", \"partnerName\": \"…\"}");
    };
    let name = member(&body, "partnerName");
    blocking(&state, move |c| {
        c.add_partner(&account, name)?;
        Ok(json!({ "partners": c.partners() }))
    })
    .await
}

async fn remove_partner(State(state): State<AppState>, Path(account): Path<String>) -> Response {
    blocking(&state, move |c| {
        c.remove_partner(&account)?;
        Ok(json!({ "partners": c.partners() }))
    })
    .await
}

/// The format marker of a state export.
const STATE_FORMAT: &str = "dxemu-state/1";

async fn export_state(State(state): State<AppState>) -> Response {
    let now = state.clock.now_ms();
    blocking(&state, move |c| {
        Ok(json!({ "format": STATE_FORMAT, "exportedAtMs": now, "resources": c.export()? }))
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateImport {
    format: String,
    resources: Vec<crate::control::ExportedResource>,
}

async fn import_state(State(state): State<AppState>, body: Bytes) -> Response {
    let import: StateImport = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => return bad_request(format!("not a state export: {e}")),
    };
    if import.format != STATE_FORMAT {
        return bad_request(format!(
            "format {:?} is not {STATE_FORMAT:?}",
            import.format
        ));
    }
    let resources = import.resources;
    blocking(&state, move |c| {
        Ok(json!({ "imported": c.import(resources)? }))
    })
    .await
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
    let Some(seconds) = body.get("seconds").and_then(Value::as_f64) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "give {\"seconds\": <non-negative number>}",
        );
    };
    let ms = match crate::clock::advance_ms(seconds) {
        Ok(ms) => ms,
        Err(message) => return error(StatusCode::BAD_REQUEST, "BadRequest", &message),
    };
    if !state.clock.advance(ms) {
        return error(
            StatusCode::CONFLICT,
            "ClockFixed",
            "this clock cannot be moved",
        );
    }
    let now = state.clock.now_ms();
    blocking(&state, move |c| {
        let applied = c.catch_up_to(now)?;
        Ok(json!({ "nowMs": now, "transitionsApplied": applied }))
    })
    .await
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
    blocking(&state, move |c| {
        let list = c.resources(kind, account.as_deref(), region.as_deref())?;
        Ok(json!({ "resources": list }))
    })
    .await
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
    blocking(&state, move |c| c.force_state(kind, &id, &target, now)).await
}

/// Forgets everything, or one account's resources with `{"account": "…"}`.
async fn reset(State(state): State<AppState>, body: Bytes) -> Response {
    let account = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match json_body(&body) {
            Ok(b) => member(&b, "account"),
            Err(r) => return *r,
        }
    };
    match account {
        Some(account) => {
            blocking(&state, move |c| {
                let removed = c.reset_account(&account)?;
                Ok(json!({ "reset": true, "account": account, "removed": removed }))
            })
            .await
        }
        None => blocking(&state, |c| c.reset().map(|()| json!({ "reset": true }))).await,
    }
}
