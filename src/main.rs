use clap::Parser;
use dxemu::cli::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Serve(args) = cli.command;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match args.log_format {
        dxemu::cli::LogFormat::Json => logs.json().init(),
        dxemu::cli::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    // The port first: a start that cannot listen creates no data directory.
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    // Opening the store blocks (PostgreSQL's client cannot run inside async code).
    let built = {
        let args = args.clone();
        tokio::task::spawn_blocking(move || dxemu::App::build(&args)).await
    };
    let app = match built {
        Ok(Ok(app)) => app,
        Ok(Err(e)) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            tracing::error!("startup failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    // The one line on stdout: tools read the endpoint from it.
    println!("dxemu listening on http://{addr}");
    let store = match args.store_choice() {
        Ok(dxemu::cli::StoreChoice::Postgres(_)) => "postgres",
        _ if args.in_memory => "memory",
        _ => "sqlite",
    };
    if store == "sqlite" {
        // Say where the state lives: it follows the working directory.
        let dir = std::path::absolute(&args.data_dir).unwrap_or_else(|_| args.data_dir.clone());
        tracing::info!(%addr, store, data_dir = %dir.display(), "ready");
    } else {
        tracing::info!(%addr, store, "ready");
    }
    if let Err(e) = dxemu::serve(listener, app, shutdown_signal()).await {
        tracing::error!("server error: {e}");
        return ExitCode::FAILURE;
    }
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
