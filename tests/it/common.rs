use aws_sdk_directconnect::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_directconnect::error::ProvideErrorMetadata;
use dxemu::cli::ServeArgs;
use tokio::sync::oneshot;

pub const OWNER: &str = "111111111111";
pub const OTHER: &str = "222222222222";

/// A dxemu server on a free loopback port, stopped when dropped.
pub struct TestServer {
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    /// The PostgreSQL server and schema this server's state is in, if any.
    schema: Option<(String, String)>,
    /// The data directory of a file-backed server, removed when dropped.
    _data_dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(ServeArgs::for_tests()).await
    }

    pub async fn start_with(args: ServeArgs) -> Self {
        Self::start_on(
            args,
            std::sync::Arc::new(dxemu::clock::OffsetClock::default()),
        )
        .await
    }

    /// A server whose time only moves when the test advances `clock`.
    ///
    /// With `DXEMU_IT_POSTGRES` set to a server URL, in-memory servers run on
    /// PostgreSQL instead, each in a schema of its own, so this whole suite can
    /// run against that store. With `DXEMU_IT_STORE=file`, they run on the
    /// SQLite file store with the power-loss contract (`--sync full`:
    /// background fsync, reader connections), each in a fresh data directory.
    pub async fn start_on(
        mut args: ServeArgs,
        clock: std::sync::Arc<dyn dxemu::clock::Clock>,
    ) -> Self {
        let mut schema = None;
        let mut data_dir = None;
        if std::env::var("DXEMU_IT_STORE").is_ok_and(|s| s == "file") && args.in_memory {
            let dir = tempfile::tempdir().expect("data dir");
            args.in_memory = false;
            args.sync = dxemu::cli::SyncMode::Full;
            args.data_dir = dir.path().to_path_buf();
            data_dir = Some(dir);
        }
        if let Ok(url) = std::env::var("DXEMU_IT_POSTGRES")
            && !url.is_empty()
            && args.in_memory
        {
            let (store_url, name) = {
                let url = url.clone();
                tokio::task::spawn_blocking(move || fresh_schema(&url))
                    .await
                    .expect("schema")
            };
            args.in_memory = false;
            args.store = Some(store_url);
            schema = Some((url, name));
        }
        // Opening a PostgreSQL store blocks: not on an async thread.
        let app = {
            let args = args.clone();
            tokio::task::spawn_blocking(move || dxemu::App::build_with_clock(&args, clock))
                .await
                .expect("build task")
                .expect("app builds")
        };
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = dxemu::serve(listener, app, async {
                let _ = stopped.await;
            })
            .await;
        });
        Self {
            endpoint,
            stop: Some(stop),
            schema,
            _data_dir: data_dir,
        }
    }

    /// An SDK client signing as `account` in `region`.
    pub fn client(&self, account: &str, region: &str) -> aws_sdk_directconnect::Client {
        let config = aws_sdk_directconnect::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(account, "secret", None, None, "tests"))
            .endpoint_url(&self.endpoint)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_directconnect::Client::from_conf(config)
    }

    pub fn owner(&self) -> aws_sdk_directconnect::Client {
        self.client(OWNER, "us-east-1")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((url, schema)) = self.schema.take() {
            // The blocking client cannot run on an async thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            })
            .join();
        }
    }
}

/// A URL of the PostgreSQL server at `url` whose tables go in a new, empty
/// schema, and the schema's name.
fn fresh_schema(url: &str) -> (String, String) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let schema = format!(
        "dxemu_it_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        fastrand::u32(..)
    );
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    (
        format!("{url}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

/// The error code and message of a failed SDK call.
pub fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let err = result.expect_err("the call should fail");
    (
        err.code().unwrap_or_default().to_string(),
        err.message().unwrap_or_default().to_string(),
    )
}

/// A new 1 Gbps connection of the caller at `location`; its id.
pub async fn connection_at(
    dx: &aws_sdk_directconnect::Client,
    location: &str,
    name: &str,
) -> String {
    dx.create_connection()
        .location(location)
        .bandwidth("1Gbps")
        .connection_name(name)
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string()
}

/// A connection's state as DescribeConnections reports it.
pub async fn connection_state(
    dx: &aws_sdk_directconnect::Client,
    id: &str,
) -> aws_sdk_directconnect::types::ConnectionState {
    dx.describe_connections()
        .connection_id(id)
        .send()
        .await
        .unwrap()
        .connections()[0]
        .connection_state()
        .cloned()
        .unwrap()
}

/// The names of the caller's listed connections, in order.
pub async fn connection_names(dx: &aws_sdk_directconnect::Client) -> Vec<String> {
    dx.describe_connections()
        .send()
        .await
        .unwrap()
        .connections()
        .iter()
        .map(|c| c.connection_name().unwrap_or_default().to_string())
        .collect()
}

/// Calls the control API: `GET` without a body, `POST` with one, or `DELETE`.
pub async fn control(
    srv: &TestServer,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", srv.endpoint);
    let req = match (method, body) {
        ("DELETE", _) => client.delete(url),
        (_, Some(b)) => client.post(url).body(b.to_string()),
        (_, None) => client.get(url),
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// A raw AWS JSON 1.1 call of `op` signed as `account` in `region` (for
/// operations the SDK predates): the HTTP status and the JSON body.
pub async fn raw_call(
    srv: &TestServer,
    account: &str,
    region: &str,
    op: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20261129/{region}/directconnect/aws4_request, SignedHeaders=host, Signature=0"
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/", srv.endpoint))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("OvertureService.{op}"))
        .header("authorization", auth)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}
