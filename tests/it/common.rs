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
    pub async fn start_on(args: ServeArgs, clock: std::sync::Arc<dyn dxemu::clock::Clock>) -> Self {
        let app = dxemu::App::build_with_clock(&args, clock).expect("app builds");
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
    }
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
