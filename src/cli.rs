//! Command line and environment configuration.

use crate::StartError;
use crate::api::AccountMap;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// dxemu: a local emulator of the AWS Direct Connect API.
#[derive(Debug, Parser)]
#[command(name = "dxemu", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the emulator.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "DXEMU_LISTEN", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,

    /// Directory of the embedded store.
    #[arg(long, env = "DXEMU_DATA_DIR", default_value = "./.dxemu")]
    pub data_dir: PathBuf,

    /// Keep nothing on disk.
    #[arg(long, env = "DXEMU_IN_MEMORY")]
    pub in_memory: bool,

    /// Log lines as `text` (readable) or `json` (one JSON object a line, for
    /// log collectors).
    #[arg(long, env = "DXEMU_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What an acknowledged write on the SQLite file store survives:
    /// `process` (the dxemu process dying: killed, out of memory, crashed)
    /// or `full` (the machine losing power too: every answer waits for an
    /// fsync of what it may reflect).
    #[arg(long, env = "DXEMU_SYNC", value_enum, default_value_t = SyncMode::Process)]
    pub sync: SyncMode,

    /// The store: `sqlite` (the default: a file in --data-dir, or memory with
    /// --in-memory) or a PostgreSQL URL, `postgres://user:password@host:port/db`,
    /// which several dxemu processes can share.
    #[arg(long, env = "DXEMU_STORE")]
    pub store: Option<String>,

    /// Account of requests whose access key is neither an account id nor mapped.
    #[arg(long, env = "DXEMU_DEFAULT_ACCOUNT", default_value = "123456789012")]
    pub default_account: String,

    /// Region of requests that carry no credential scope.
    #[arg(long, env = "DXEMU_DEFAULT_REGION", default_value = "us-east-1")]
    pub default_region: String,

    /// Access key to account mappings, `KEY=ACCOUNT` (repeat, or comma-separate).
    #[arg(long, env = "DXEMU_ACCOUNT_MAP", value_delimiter = ',')]
    pub account_map: Vec<String>,

    /// A file of `KEY=ACCOUNT` lines (blank lines and `#` comments allowed).
    #[arg(long, env = "DXEMU_ACCOUNT_MAP_FILE")]
    pub account_map_file: Option<PathBuf>,

    /// Partner accounts, `ACCOUNT` or `ACCOUNT=Partner Name` (repeat, or comma-separate).
    /// Without any, every account may act as a partner.
    #[arg(long = "partner", env = "DXEMU_PARTNERS", value_delimiter = ',')]
    pub partners: Vec<String>,

    /// How the steps AWS takes on its own happen: `instant` (at once),
    /// `realistic` (AWS-like durations divided by --time-scale) or `manual`
    /// (only when the control API forces them).
    #[arg(long, env = "DXEMU_LIFECYCLE", default_value = "instant", value_parser = ["instant", "realistic", "manual"])]
    pub lifecycle: String,

    /// How much faster than AWS realistic mode runs (3600: an hour takes a second).
    #[arg(long, env = "DXEMU_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,

    /// Active dedicated connections an account may have per location and region.
    #[arg(long, env = "DXEMU_MAX_CONNECTIONS_PER_LOCATION", default_value_t = 10)]
    pub max_connections_per_location: usize,

    /// Resiliency groups an account may have per region.
    #[arg(long, env = "DXEMU_MAX_RESILIENCY_GROUPS", default_value_t = 100)]
    pub max_resiliency_groups: usize,

    /// Connections and LAGs one resiliency group may have.
    #[arg(long, env = "DXEMU_MAX_RESILIENCY_GROUP_MEMBERS", default_value_t = 50)]
    pub max_resiliency_group_members: usize,
    /// The largest inbound prefix pool allocation per address family a
    /// private or transit VIF may ask for (AWS raises it through support).
    #[arg(long, env = "DXEMU_MAX_PREFIX_ALLOCATION", default_value_t = 1000, value_parser = clap::value_parser!(i32).range(0..))]
    pub max_prefix_allocation: i32,

    /// Rate-limited VIFs one dedicated connection or LAG may carry.
    #[arg(long, env = "DXEMU_MAX_RATE_LIMITED_VIFS", default_value_t = 10)]
    pub max_rate_limited_vifs: usize,

    /// Client TCP connections served at once; more wait in the listen backlog.
    #[arg(long, env = "DXEMU_MAX_CLIENT_CONNECTIONS", default_value_t = 1024)]
    pub max_client_connections: usize,

    /// Seconds a client connection may stay silent before it is closed.
    #[arg(long, env = "DXEMU_IDLE_TIMEOUT", default_value_t = 60.0)]
    pub idle_timeout: f64,

    /// Do not keep answers of read-only calls between writes.
    #[arg(long, env = "DXEMU_NO_READ_CACHE")]
    pub no_read_cache: bool,

    /// Seconds an API request may take before it is answered with a server error.
    #[arg(long, env = "DXEMU_REQUEST_TIMEOUT", default_value_t = 30.0)]
    pub request_timeout: f64,

    /// How AWS API requests are authenticated: `none` (any well-formed
    /// credential) or `verify` (SigV4 checked against --credential keys).
    #[arg(long, env = "DXEMU_AUTH", default_value = "none", value_parser = ["none", "verify"])]
    pub auth: String,

    /// A key `--auth verify` accepts, `AKID:SECRET[:ACCOUNT]` (repeat, or
    /// comma-separate). Without ACCOUNT a 12-digit AKID is its own account,
    /// any other key the default account.
    #[arg(
        long = "credential",
        env = "DXEMU_CREDENTIALS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub credentials: Vec<String>,

    /// A file of `AKID:SECRET[:ACCOUNT]` lines (blank lines and `#` comments allowed).
    #[arg(long, env = "DXEMU_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,

    /// Token required by every control API route but health (as
    /// `Authorization: Bearer`, `X-Dxemu-Admin-Token` or the login cookie).
    #[arg(long, env = "DXEMU_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Disable the control API (every /_dxemu/ route but health answers 404).
    #[arg(long, env = "DXEMU_NO_CONTROL_API")]
    pub no_control_api: bool,
}

/// Which store backend to open.
/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `--sync`: the file store's durability contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyncMode {
    /// Survives the process dying.
    Process,
    /// Survives a power loss.
    Full,
}

impl From<SyncMode> for crate::store::Durability {
    fn from(mode: SyncMode) -> Self {
        match mode {
            SyncMode::Process => Self::Process,
            SyncMode::Full => Self::Full,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice<'a> {
    /// SQLite: a file in the data directory, or memory.
    Sqlite,
    /// A PostgreSQL database, by URL.
    Postgres(&'a str),
}

impl ServeArgs {
    /// Defaults for embedding and tests: in memory, loopback, any free port.
    pub fn for_tests() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from("./.dxemu"),
            in_memory: true,
            sync: SyncMode::Process,
            log_format: LogFormat::Text,
            store: None,
            default_account: "123456789012".into(),
            default_region: "us-east-1".into(),
            account_map: Vec::new(),
            account_map_file: None,
            partners: Vec::new(),
            lifecycle: "instant".into(),
            time_scale: 1.0,
            max_connections_per_location: 10,
            max_resiliency_groups: 100,
            max_resiliency_group_members: 50,
            max_prefix_allocation: 1000,
            max_rate_limited_vifs: 10,
            max_client_connections: 1024,
            request_timeout: 30.0,
            no_read_cache: false,
            idle_timeout: 60.0,
            auth: "none".into(),
            credentials: Vec::new(),
            credentials_file: None,
            admin_token: None,
            no_control_api: false,
        }
    }

    /// The store the flags ask for.
    pub fn store_choice(&self) -> Result<StoreChoice<'_>, StartError> {
        match self.store.as_deref().map(str::trim) {
            None | Some("") | Some("sqlite") => Ok(StoreChoice::Sqlite),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                if self.in_memory {
                    return Err(StartError::Config(
                        "--in-memory applies to the SQLite store only, not to --store postgres://…"
                            .into(),
                    ));
                }
                Ok(StoreChoice::Postgres(url))
            }
            Some(other) => {
                // Say which scheme is wrong without echoing a password.
                let scheme = other.split(':').next().unwrap_or_default();
                Err(StartError::Config(format!(
                    "--store must be sqlite or a postgres:// URL, got {scheme:?}…"
                )))
            }
        }
    }

    /// The lifecycle timing the flags ask for.
    pub fn timing(&self) -> Result<crate::lifecycle::Timing, StartError> {
        use crate::lifecycle::Timing;
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(StartError::Config(format!(
                "--time-scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        match self.lifecycle.as_str() {
            "instant" => Ok(Timing::Instant),
            "realistic" => Ok(Timing::Realistic {
                scale: self.time_scale,
            }),
            "manual" => Ok(Timing::Manual),
            other => Err(StartError::Config(format!(
                "unknown lifecycle mode {other}"
            ))),
        }
    }

    /// The request timeout the flags ask for.
    pub fn request_timeout(&self) -> Result<std::time::Duration, StartError> {
        positive_secs("--request-timeout", self.request_timeout)
    }

    /// The idle timeout the flags ask for.
    pub fn idle_timeout(&self) -> Result<std::time::Duration, StartError> {
        positive_secs("--idle-timeout", self.idle_timeout)
    }

    /// The configured partner accounts and their names.
    pub fn partner_list(&self) -> Result<Vec<(String, Option<String>)>, StartError> {
        self.partners
            .iter()
            .map(|p| {
                let (account, name) = match p.split_once('=') {
                    Some((a, n)) => (a.trim(), Some(n.trim().to_string())),
                    None => (p.trim(), None),
                };
                if crate::api::is_account_id(account) {
                    Ok((account.to_string(), name.filter(|n| !n.is_empty())))
                } else {
                    Err(StartError::Config(format!(
                        "partner {p:?} is not a 12-digit account id (optionally =NAME)"
                    )))
                }
            })
            .collect()
    }

    /// Authentication settings: mode, credentials (flags and file), control API access.
    pub fn auth_config(&self) -> Result<crate::api::auth::AuthConfig, StartError> {
        use crate::api::auth::{AuthConfig, AuthMode, Credentials};
        use crate::api::guard::AdminAccess;
        let mode = AuthMode::parse(&self.auth)
            .ok_or_else(|| StartError::Config(format!("unknown auth mode {}", self.auth)))?;
        let credentials = Credentials::new(self.default_account.clone());
        let mut specs: Vec<(String, String)> = self
            .credentials
            .iter()
            .map(|c| ("--credential".to_string(), c.clone()))
            .collect();
        if let Some(path) = &self.credentials_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| StartError::Config(format!("cannot read {}: {e}", path.display())))?;
            for (n, line) in text.lines().enumerate() {
                specs.push((format!("{}:{}", path.display(), n + 1), line.to_string()));
            }
        }
        for (origin, spec) in specs {
            let spec = spec.trim();
            if spec.is_empty() || spec.starts_with('#') {
                continue;
            }
            // The message names where the bad entry is, never the secret.
            credentials
                .insert_spec(spec)
                .map_err(|e| StartError::Config(format!("credential at {origin}: {e}")))?;
        }
        if mode == AuthMode::Verify && credentials.is_empty() {
            tracing::warn!(
                "--auth verify without any --credential: every AWS API request will be refused"
            );
        }
        if let Some(token) = &self.admin_token {
            AdminAccess::validate_token(token).map_err(StartError::Config)?;
        }
        Ok(AuthConfig {
            mode,
            credentials: std::sync::Arc::new(credentials),
            admin: AdminAccess {
                token: self.admin_token.clone(),
                enabled: !self.no_control_api,
            },
        })
    }

    /// The access-key mapping from flags and the mapping file.
    pub fn account_map(&self) -> Result<AccountMap, StartError> {
        if !crate::api::is_account_id(&self.default_account) {
            return Err(StartError::Config(format!(
                "default account {} is not a 12-digit account id",
                self.default_account
            )));
        }
        let map = AccountMap::new(self.default_account.clone(), self.default_region.clone());
        let mut lines: Vec<String> = self.account_map.clone();
        if let Some(path) = &self.account_map_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| StartError::Config(format!("cannot read {}: {e}", path.display())))?;
            lines.extend(text.lines().map(str::to_string));
        }
        for line in lines {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, account) = line.split_once('=').ok_or_else(|| {
                StartError::Config(format!("account mapping {line:?} is not KEY=ACCOUNT"))
            })?;
            let (key, account) = (key.trim(), account.trim());
            if key.is_empty() || !crate::api::is_account_id(account) {
                return Err(StartError::Config(format!(
                    "account mapping {line:?} needs a key and a 12-digit account id"
                )));
            }
            map.insert(key.to_string(), account.to_string());
        }
        Ok(map)
    }
}

/// A flag's positive number of seconds as a duration.
fn positive_secs(flag: &str, secs: f64) -> Result<std::time::Duration, StartError> {
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            StartError::Config(format!(
                "{flag} must be a positive number of seconds, got {secs}"
            ))
        })
}
