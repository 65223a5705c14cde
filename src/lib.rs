//! dxemu: a local emulator of the AWS Direct Connect API.
//!
//! Layers, one way only: `api` (HTTP and the AWS JSON 1.1 wire format, with
//! the code generated from the service model) → `service` (business rules,
//! one module per resource family) → `store` (records behind a trait, SQLite
//! by default). `lifecycle` holds the state-transition rules; `clock` is the
//! only reader of the wall clock.

pub mod api;
pub mod cli;
pub mod clock;
pub mod control;
pub mod events;
pub mod lifecycle;
mod limit;
pub mod service;
pub mod store;

use api::http::AppState;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything a running server needs, built from a configuration.
pub struct App {
    pub state: AppState,
    /// Client TCP connections served at once.
    pub max_client_connections: usize,
    /// How long a client connection may stay silent.
    pub idle_timeout: std::time::Duration,
}

impl App {
    /// Opens the store and builds the emulator described by `config`, on the system clock.
    ///
    /// With a PostgreSQL store this blocks on the database: call it from a
    /// plain or blocking thread (`spawn_blocking`), not from async code.
    pub fn build(config: &cli::ServeArgs) -> Result<Self, StartError> {
        Self::build_with_clock(config, Arc::new(clock::OffsetClock::default()))
    }

    /// Like `build`, with an injected clock (tests drive time with `ManualClock`).
    pub fn build_with_clock(
        config: &cli::ServeArgs,
        clock: Arc<dyn clock::Clock>,
    ) -> Result<Self, StartError> {
        let store: Arc<dyn store::Store> = if let cli::StoreChoice::Postgres(url) =
            config.store_choice()?
        {
            Arc::new(store::PostgresStore::connect(url)?)
        } else if config.in_memory {
            Arc::new(store::SqliteStore::in_memory()?)
        } else {
            std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
                path: config.data_dir.display().to_string(),
                source,
            })?;
            Arc::new(store::SqliteStore::open_with(
                &config.data_dir.join("dxemu.db"),
                config.sync.into(),
            )?)
        };
        let settings = service::Settings {
            max_connections_per_location: config.max_connections_per_location,
            partners: config.partner_list()?,
            timing: config.timing()?,
            max_resiliency_groups: config.max_resiliency_groups,
            max_resiliency_group_members: config.max_resiliency_group_members,
            max_prefix_allocation: config.max_prefix_allocation,
            max_rate_limited_vifs: config.max_rate_limited_vifs,
        };
        let emulator = service::Emulator::new(store, settings)?;
        emulator.catch_up(clock.now_ms())?;
        let backend: Arc<dyn api::http::Backend> = Arc::new(emulator);
        Ok(Self {
            state: AppState::new(api::http::Shared {
                writes: api::writes::WriteQueue::start(backend.clone()).map(Arc::new),
                durable: backend.durability(),
                backend,
                accounts: Arc::new(config.account_map()?),
                clock,
                faults: Arc::new(api::faults::Faults::default()),
                request_timeout: config.request_timeout()?,
                read_cache: (!config.no_read_cache)
                    .then(|| Arc::new(api::cache::ReadCache::default())),
                auth: Arc::new(config.auth_config()?),
            }),
            max_client_connections: config.max_client_connections.max(1),
            idle_timeout: config.idle_timeout()?,
        })
    }
}

/// Serves the app on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let lifecycle = tokio::spawn(run_lifecycle(app.state.clone()));
    let listener = limit::Limited::new(listener, app.max_client_connections, app.idle_timeout);
    let served = axum::serve(listener, api::http::Front::new(app.state))
        .with_graceful_shutdown(shutdown)
        .await;
    lifecycle.abort();
    served
}

/// Applies lifecycle transitions when they fall due, also with no traffic:
/// sleeps until the next due time or until an earlier one is announced.
async fn run_lifecycle(state: api::http::AppState) {
    loop {
        let backend = state.backend.clone();
        let wait = backend
            .next_due_ms()
            .map(|due| (due - state.clock.now_ms()).max(0));
        // With a shared store, other processes schedule transitions too.
        let wait = match (wait, backend.poll_interval_ms()) {
            (Some(w), Some(p)) => Some(w.min(p)),
            (w, p) => w.or(p),
        };
        let woken = backend.due_changed().notified();
        match wait {
            Some(ms) => {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(ms as u64)) => {}
                    _ = woken => continue,
                }
            }
            None => {
                woken.await;
                continue;
            }
        }
        let now = state.clock.now_ms();
        let done = tokio::task::spawn_blocking(move || backend.catch_up_to(now)).await;
        let failed = match done {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = failed {
            tracing::error!(error = %e, "lifecycle catch-up failed");
            // Do not spin on a persistent fault.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the store: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot catch up on lifecycle transitions: {0}")]
    Lifecycle(#[from] api::ApiError),
    #[error("invalid configuration: {0}")]
    Config(String),
}
