//! `gongwen-exchange`: `serve` runs the exchange server; `admin …` manages units,
//! users and the audit chain directly in storage (no server needed).

mod admin_cli;
mod backup;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use gongwen_exchange::api::{self, AppState, Limits};
use gongwen_exchange::blobs::{BlobStore, FsBlobStore};
use gongwen_exchange::config::{Config, Settings};

#[derive(Parser)]
#[command(
    name = "gongwen-exchange",
    version,
    about = "The city exchange server for 公文"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve(ServeArgs),
    /// Manage units, users and the audit chain (works on the storage directly).
    Admin(admin_cli::AdminArgs),
}

/// Where settings come from; shared by `serve` and `admin`.
#[derive(Args, Clone, Default)]
pub struct StoreArgs {
    /// A TOML config file (see exchange.toml); also GONGWEN_EXCHANGE_CONFIG.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data folder: exchange.db (SQLite) and blobs/. Default ./exchange-data.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://user:password@host/db.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on, e.g. 127.0.0.1:8470 (port 0: any free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// TLS certificate chain (PEM); required unless listening on loopback.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// File holding the bearer token that /metrics asks for (needed when not on loopback).
    #[arg(long, value_name = "FILE")]
    metrics_token_file: Option<PathBuf>,
}

/// File < environment < flags.
pub fn load_config(store: &StoreArgs, flags: Settings) -> Result<Config> {
    let file_path = store
        .config
        .clone()
        .or_else(|| std::env::var_os("GONGWEN_EXCHANGE_CONFIG").map(PathBuf::from));
    let file = match &file_path {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    let env = Settings::from_env(|k| std::env::var(k).ok())?;
    let flags = Settings {
        data: store.data.clone(),
        database: store.database.clone(),
        ..flags
    };
    Ok(file.overlay(env).overlay(flags).resolve()?)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Cmd::Serve(args) => serve(args).await.map(|()| true),
            Cmd::Admin(args) => admin_cli::run(args).await,
        }
    });
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The configured storage, or an error naming which one could not be opened.
pub async fn open_storage(config: &Config) -> Result<Arc<dyn gongwen_exchange::storage::Storage>> {
    gongwen_exchange::open_storage(config)
        .await
        .with_context(|| {
            format!(
                "opening storage {:?} in {}",
                config.database,
                config.data.display()
            )
        })
}

async fn serve(args: ServeArgs) -> Result<()> {
    let config = load_config(
        &args.store,
        Settings {
            listen: args.listen,
            tls_cert: args.tls_cert,
            tls_key: args.tls_key,
            metrics_token_file: args.metrics_token_file,
            ..Settings::default()
        },
    )?;
    config.check_transport()?;
    tracing::info!(?config, "starting");
    // Held until the process ends: `admin restore` refuses to run under a server.
    let _data_lock = backup::hold_shared(&config.data)?;

    let numbering = Arc::new(config.numbering()?);
    let metrics_token = config.metrics_token()?;
    if metrics_token.is_none() && !config.listen.ip().is_loopback() {
        tracing::warn!(
            "/metrics is off: it is served beyond loopback only with a token (metrics_token_file)"
        );
    }
    let metrics = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("duration_seconds".into()),
            &[
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        )
        .context("metrics buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    let storage = crate::open_storage(&config).await?;
    let mut flows = match &config.flows_dir {
        Some(dir) => {
            let units = storage.units().await?.into_iter().map(|u| u.code).collect();
            let flows = gongwen_exchange::flows::UnitFlows::load(dir, &units)?;
            tracing::info!(units = flows.sources().len(), "units' own flows loaded");
            flows
        }
        None => gongwen_exchange::flows::UnitFlows::default(),
    };
    // Before any command: handlings mid-way keep the flow they started with.
    let kept = flows
        .keep_versions(storage.as_ref())
        .await
        .context("keeping the flow versions handlings in progress follow")?;
    if kept.earlier > 0 {
        tracing::info!(
            versions = kept.earlier,
            "earlier flow versions kept for handlings in progress"
        );
    }
    if kept.unknown > 0 {
        tracing::warn!(
            versions = kept.unknown,
            "handlings in progress name flow versions storage does not have; they follow the current flows"
        );
    }
    let flows = Arc::new(flows);
    let blobs: Arc<dyn BlobStore> =
        Arc::new(FsBlobStore::open(config.blob_dir()).with_context(|| {
            format!("opening attachment folder {}", config.blob_dir().display())
        })?);
    if !config.blob_sweep_interval.is_zero() {
        tokio::spawn(sweep_every(
            Arc::clone(&storage),
            Arc::clone(&blobs),
            config.blob_sweep_interval,
            config.stale_upload,
        ));
    }
    if !config.remind_interval.is_zero() {
        tokio::spawn(gongwen_exchange::reminders::remind_every(
            Arc::clone(&storage),
            Arc::clone(&flows),
            config.remind_interval,
        ));
    }
    let archive_dir = config.archive_dir();
    std::fs::create_dir_all(&archive_dir)
        .with_context(|| format!("cannot create {}", archive_dir.display()))?;
    let state = AppState {
        storage,
        blobs,
        limits: Limits::from_config(&config),
        metrics: (metrics_token.is_some() || config.listen.ip().is_loopback())
            .then(|| api::Metrics::new(metrics, metrics_token)),
        numbering,
        flows,
        archive: Arc::new(gongwen_exchange::transfer::ArchiveSettings {
            units: config.archive_units.clone(),
            dir: archive_dir,
            clamav_db: config.archive_clamav_db.clone(),
            arrivals: Default::default(),
        }),
    };
    let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();

    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr: SocketAddr = listener.local_addr()?;
    let grace = config.shutdown_grace;
    let header_timeout = config.header_read_timeout;
    match &config.tls {
        Some(tls) => {
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load TLS certificate {} and key {}",
                        tls.cert.display(),
                        tls.key.display()
                    )
                })?;
            let mut server = axum_server::from_tcp_rustls(listener, rustls)?
                .first_request_timeout(header_timeout);
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_timeout);
            let handle = axum_server::Handle::new();
            tokio::spawn(shutdown_on_signal(handle.clone(), grace));
            announce(&format!("listening on https://{addr}"))?;
            server.handle(handle).serve(app).await?;
        }
        None => {
            // A connection must bring its first request's headers within the header
            // timeout (protocol detection included), and each later one's too.
            let mut server = axum_server::from_tcp(listener)?.first_request_timeout(header_timeout);
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_timeout);
            let handle = axum_server::Handle::new();
            tokio::spawn(shutdown_on_signal(handle.clone(), grace));
            announce(&format!("listening on http://{addr}"))?;
            server.handle(handle).serve(app).await?;
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// The one line on stdout that says where we listen (tests read the port from it).
fn announce(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    tracing::info!("{line}");
    Ok(())
}

/// On SIGTERM or SIGINT: stop accepting, let in-flight requests finish (up to
/// `grace`), then exit.
/// Sweeps stale uploads and unreferenced files every `interval`, for as long as the
/// server runs; a failed sweep is logged and tried again next time.
async fn sweep_every(
    storage: Arc<dyn gongwen_exchange::storage::Storage>,
    blobs: Arc<dyn BlobStore>,
    interval: std::time::Duration,
    older_than: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match gongwen_exchange::blobs::sweep(storage.as_ref(), blobs.as_ref(), older_than).await {
            Ok(r) => tracing::info!(
                partials = r.partials,
                unreferenced = r.unreferenced,
                "attachment sweep"
            ),
            Err(e) => tracing::error!(error = %e, "attachment sweep failed"),
        }
    }
}

async fn shutdown_on_signal<A: axum_server::Address>(
    handle: axum_server::Handle<A>,
    grace: Duration,
) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!(
        grace_secs = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    handle.graceful_shutdown(Some(grace));
}
