//! Settings: a TOML file, then `GONGWEN_EXCHANGE_*` environment variables, then
//! command-line flags, each overriding the one before. `exchange.toml` at the crate
//! root documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::throttle::ThrottleSettings;

/// Prefix of every environment variable the server reads.
pub const ENV_PREFIX: &str = "GONGWEN_EXCHANGE_";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name}: {message}")]
    Invalid { name: String, message: String },
}

/// The keys of `exchange.toml`; every one optional. Also the shape of the env and
/// flag layers, so all three merge the same way.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    pub database: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub token_ttl_secs: Option<u64>,
    pub max_body_bytes: Option<u64>,
    pub max_blob_bytes: Option<u64>,
    pub max_commands_per_request: Option<usize>,
    pub shutdown_grace_secs: Option<u64>,
    pub login_max_failures_per_user: Option<u32>,
    pub login_max_failures_per_ip: Option<u32>,
    pub login_failure_window_secs: Option<u64>,
    pub upload_idle_timeout_secs: Option<u64>,
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub max_requests_in_flight: Option<usize>,
    pub max_partial_bytes_per_user: Option<u64>,
    pub stale_upload_secs: Option<u64>,
    pub blob_sweep_interval_secs: Option<u64>,
    pub remind_interval_secs: Option<u64>,
    pub metrics_token_file: Option<PathBuf>,
    pub database_allow_insecure: Option<bool>,
    /// Each unit's 文号 series; the shipped `assets/numbering.toml` without one.
    pub numbering_file: Option<PathBuf>,
    /// Units' own flows: `<dir>/<unit code>/outgoing.toml` and `incoming.toml`.
    pub flows_dir: Option<PathBuf>,
    /// Units that are archives (receive 移交), e.g. `["sz-daj"]`.
    pub archive_units: Option<Vec<String>>,
    /// A ClamAV database for the 移交 re-check (`clamscan -d`).
    pub archive_clamav_db: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data", &self.data)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("max_commands_per_request", &self.max_commands_per_request)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field(
                "login_max_failures_per_user",
                &self.login_max_failures_per_user,
            )
            .field("login_max_failures_per_ip", &self.login_max_failures_per_ip)
            .field("login_failure_window_secs", &self.login_failure_window_secs)
            .field("upload_idle_timeout_secs", &self.upload_idle_timeout_secs)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("max_requests_in_flight", &self.max_requests_in_flight)
            .field(
                "max_partial_bytes_per_user",
                &self.max_partial_bytes_per_user,
            )
            .field("stale_upload_secs", &self.stale_upload_secs)
            .field("blob_sweep_interval_secs", &self.blob_sweep_interval_secs)
            .field("remind_interval_secs", &self.remind_interval_secs)
            .field("metrics_token_file", &self.metrics_token_file)
            .field("database_allow_insecure", &self.database_allow_insecure)
            .field("numbering_file", &self.numbering_file)
            .field("flows_dir", &self.flows_dir)
            .field("archive_units", &self.archive_units)
            .field("archive_clamav_db", &self.archive_clamav_db)
            .finish()
    }
}

impl Settings {
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// `GONGWEN_EXCHANGE_LISTEN`, `…_DATA`, `…_DATABASE`, `…_TLS_CERT`, `…_TLS_KEY`,
    /// `…_TOKEN_TTL_SECS`, `…_MAX_BODY_BYTES`, `…_MAX_BLOB_BYTES`,
    /// `…_MAX_COMMANDS_PER_REQUEST`, `…_SHUTDOWN_GRACE_SECS`,
    /// `…_LOGIN_MAX_FAILURES_PER_USER`, `…_LOGIN_MAX_FAILURES_PER_IP`,
    /// `…_LOGIN_FAILURE_WINDOW_SECS`, `…_UPLOAD_IDLE_TIMEOUT_SECS`,
    /// `…_HEADER_READ_TIMEOUT_SECS`, `…_BODY_READ_TIMEOUT_SECS`,
    /// `…_MAX_REQUESTS_IN_FLIGHT`, `…_METRICS_TOKEN_FILE`, `…_DATABASE_ALLOW_INSECURE`.
    /// `…_MAX_PARTIAL_BYTES_PER_USER`, `…_STALE_UPLOAD_SECS`,
    /// `…_BLOB_SWEEP_INTERVAL_SECS`, `…_NUMBERING_FILE`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let var = |key: &str| get(&format!("{ENV_PREFIX}{key}")).filter(|v| !v.is_empty());
        fn num<T: std::str::FromStr>(
            key: &str,
            v: Option<String>,
        ) -> Result<Option<T>, ConfigError> {
            v.map(|v| {
                v.trim().parse::<T>().map_err(|_| ConfigError::Invalid {
                    name: format!("{ENV_PREFIX}{key}"),
                    message: format!("`{v}` is not a non-negative whole number"),
                })
            })
            .transpose()
        }
        Ok(Settings {
            listen: var("LISTEN"),
            data: var("DATA").map(PathBuf::from),
            database: var("DATABASE"),
            tls_cert: var("TLS_CERT").map(PathBuf::from),
            tls_key: var("TLS_KEY").map(PathBuf::from),
            token_ttl_secs: num("TOKEN_TTL_SECS", var("TOKEN_TTL_SECS"))?,
            max_body_bytes: num("MAX_BODY_BYTES", var("MAX_BODY_BYTES"))?,
            max_blob_bytes: num("MAX_BLOB_BYTES", var("MAX_BLOB_BYTES"))?,
            max_commands_per_request: num(
                "MAX_COMMANDS_PER_REQUEST",
                var("MAX_COMMANDS_PER_REQUEST"),
            )?,
            shutdown_grace_secs: num("SHUTDOWN_GRACE_SECS", var("SHUTDOWN_GRACE_SECS"))?,
            login_max_failures_per_user: num(
                "LOGIN_MAX_FAILURES_PER_USER",
                var("LOGIN_MAX_FAILURES_PER_USER"),
            )?,
            login_max_failures_per_ip: num(
                "LOGIN_MAX_FAILURES_PER_IP",
                var("LOGIN_MAX_FAILURES_PER_IP"),
            )?,
            login_failure_window_secs: num(
                "LOGIN_FAILURE_WINDOW_SECS",
                var("LOGIN_FAILURE_WINDOW_SECS"),
            )?,
            upload_idle_timeout_secs: num(
                "UPLOAD_IDLE_TIMEOUT_SECS",
                var("UPLOAD_IDLE_TIMEOUT_SECS"),
            )?,
            header_read_timeout_secs: num(
                "HEADER_READ_TIMEOUT_SECS",
                var("HEADER_READ_TIMEOUT_SECS"),
            )?,
            body_read_timeout_secs: num("BODY_READ_TIMEOUT_SECS", var("BODY_READ_TIMEOUT_SECS"))?,
            max_requests_in_flight: num("MAX_REQUESTS_IN_FLIGHT", var("MAX_REQUESTS_IN_FLIGHT"))?,
            max_partial_bytes_per_user: num(
                "MAX_PARTIAL_BYTES_PER_USER",
                var("MAX_PARTIAL_BYTES_PER_USER"),
            )?,
            stale_upload_secs: num("STALE_UPLOAD_SECS", var("STALE_UPLOAD_SECS"))?,
            blob_sweep_interval_secs: num(
                "BLOB_SWEEP_INTERVAL_SECS",
                var("BLOB_SWEEP_INTERVAL_SECS"),
            )?,
            remind_interval_secs: num("REMIND_INTERVAL_SECS", var("REMIND_INTERVAL_SECS"))?,
            metrics_token_file: var("METRICS_TOKEN_FILE").map(PathBuf::from),
            database_allow_insecure: var("DATABASE_ALLOW_INSECURE")
                .map(|v| match v.trim() {
                    "true" | "1" | "yes" => Ok(true),
                    "false" | "0" | "no" => Ok(false),
                    other => Err(ConfigError::Invalid {
                        name: format!("{ENV_PREFIX}DATABASE_ALLOW_INSECURE"),
                        message: format!("`{other}` is not true or false"),
                    }),
                })
                .transpose()?,
            numbering_file: var("NUMBERING_FILE").map(PathBuf::from),
            flows_dir: var("FLOWS_DIR").map(PathBuf::from),
            // A list in the environment: codes separated by commas.
            archive_units: var("ARCHIVE_UNITS").map(|v| {
                v.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            }),
            archive_clamav_db: var("ARCHIVE_CLAMAV_DB").map(PathBuf::from),
        })
    }

    /// `self`, with every key `over` sets replaced by its value.
    pub fn overlay(self, over: Settings) -> Settings {
        Settings {
            listen: over.listen.or(self.listen),
            data: over.data.or(self.data),
            database: over.database.or(self.database),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            token_ttl_secs: over.token_ttl_secs.or(self.token_ttl_secs),
            max_body_bytes: over.max_body_bytes.or(self.max_body_bytes),
            max_blob_bytes: over.max_blob_bytes.or(self.max_blob_bytes),
            max_commands_per_request: over
                .max_commands_per_request
                .or(self.max_commands_per_request),
            shutdown_grace_secs: over.shutdown_grace_secs.or(self.shutdown_grace_secs),
            login_max_failures_per_user: over
                .login_max_failures_per_user
                .or(self.login_max_failures_per_user),
            login_max_failures_per_ip: over
                .login_max_failures_per_ip
                .or(self.login_max_failures_per_ip),
            login_failure_window_secs: over
                .login_failure_window_secs
                .or(self.login_failure_window_secs),
            upload_idle_timeout_secs: over
                .upload_idle_timeout_secs
                .or(self.upload_idle_timeout_secs),
            header_read_timeout_secs: over
                .header_read_timeout_secs
                .or(self.header_read_timeout_secs),
            body_read_timeout_secs: over.body_read_timeout_secs.or(self.body_read_timeout_secs),
            max_requests_in_flight: over.max_requests_in_flight.or(self.max_requests_in_flight),
            max_partial_bytes_per_user: over
                .max_partial_bytes_per_user
                .or(self.max_partial_bytes_per_user),
            stale_upload_secs: over.stale_upload_secs.or(self.stale_upload_secs),
            blob_sweep_interval_secs: over
                .blob_sweep_interval_secs
                .or(self.blob_sweep_interval_secs),
            remind_interval_secs: over.remind_interval_secs.or(self.remind_interval_secs),
            metrics_token_file: over.metrics_token_file.or(self.metrics_token_file),
            numbering_file: over.numbering_file.or(self.numbering_file),
            flows_dir: over.flows_dir.or(self.flows_dir),
            archive_units: over.archive_units.or(self.archive_units),
            archive_clamav_db: over.archive_clamav_db.or(self.archive_clamav_db),
            database_allow_insecure: over
                .database_allow_insecure
                .or(self.database_allow_insecure),
        }
    }

    /// Fills in defaults and checks the values.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let listen_text = self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Invalid {
            name: "listen".into(),
            message: format!("`{listen_text}` is not an address like 127.0.0.1:8470"),
        })?;
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "tls".into(),
                    message: "tls_cert and tls_key must be given together".into(),
                })
            }
        };
        let positive = |name: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::Invalid {
                    name: name.into(),
                    message: "must be greater than 0".into(),
                })
            } else {
                Ok(v)
            }
        };
        let defaults = ThrottleSettings::default();
        let database = match self.database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url)
            }
            Some(other) => {
                let shown = redact_url(&other);
                return Err(ConfigError::Invalid {
                    name: "database".into(),
                    message: format!("`{shown}` is not a postgres:// URL (unset means SQLite)"),
                });
            }
            None => Database::Sqlite,
        };
        Ok(Config {
            listen,
            data: self.data.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)),
            database,
            tls,
            token_ttl: Duration::from_secs(positive(
                "token_ttl_secs",
                self.token_ttl_secs.unwrap_or(12 * 3600),
            )?),
            max_body_bytes: positive(
                "max_body_bytes",
                self.max_body_bytes.unwrap_or(16 * 1024 * 1024),
            )?,
            max_blob_bytes: positive(
                "max_blob_bytes",
                self.max_blob_bytes.unwrap_or(1024 * 1024 * 1024),
            )?,
            max_commands_per_request: positive(
                "max_commands_per_request",
                self.max_commands_per_request.unwrap_or(100) as u64,
            )? as usize,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs.unwrap_or(30)),
            // 0 switches a login count off (e.g. per address behind a proxy that hides
            // client addresses); the window itself must be positive.
            login_throttle: ThrottleSettings {
                max_failures_per_user: self
                    .login_max_failures_per_user
                    .unwrap_or(defaults.max_failures_per_user),
                max_failures_per_ip: self
                    .login_max_failures_per_ip
                    .unwrap_or(defaults.max_failures_per_ip),
                window: Duration::from_secs(positive(
                    "login_failure_window_secs",
                    self.login_failure_window_secs
                        .unwrap_or(defaults.window.as_secs()),
                )?),
            },
            upload_idle_timeout: Duration::from_secs(positive(
                "upload_idle_timeout_secs",
                self.upload_idle_timeout_secs.unwrap_or(60),
            )?),
            header_read_timeout: Duration::from_secs(positive(
                "header_read_timeout_secs",
                self.header_read_timeout_secs.unwrap_or(30),
            )?),
            body_read_timeout: Duration::from_secs(positive(
                "body_read_timeout_secs",
                self.body_read_timeout_secs.unwrap_or(60),
            )?),
            max_requests_in_flight: positive(
                "max_requests_in_flight",
                self.max_requests_in_flight.unwrap_or(512) as u64,
            )? as usize,
            max_partial_bytes_per_user: positive(
                "max_partial_bytes_per_user",
                self.max_partial_bytes_per_user
                    .unwrap_or(DEFAULT_MAX_PARTIAL_BYTES_PER_USER),
            )?,
            stale_upload: Duration::from_secs(positive(
                "stale_upload_secs",
                self.stale_upload_secs.unwrap_or(7 * 24 * 3600),
            )?),
            // 0: no sweep inside `serve` (run `admin blobs sweep` from cron instead).
            blob_sweep_interval: Duration::from_secs(self.blob_sweep_interval_secs.unwrap_or(3600)),
            // 0: no automatic 催办.
            remind_interval: Duration::from_secs(self.remind_interval_secs.unwrap_or(600)),
            metrics_token_file: self.metrics_token_file,
            numbering_file: self.numbering_file,
            flows_dir: self.flows_dir,
            database_allow_insecure: self.database_allow_insecure.unwrap_or(false),
            archive_units: self
                .archive_units
                .unwrap_or_default()
                .into_iter()
                .map(gongwen_core::wire::UnitCode)
                .collect(),
            archive_clamav_db: self.archive_clamav_db,
        })
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8470";
/// 4 GiB: a few of the largest attachments in flight at once.
pub const DEFAULT_MAX_PARTIAL_BYTES_PER_USER: u64 = 4 * 1024 * 1024 * 1024;
pub const DEFAULT_DATA: &str = "exchange-data";

/// Where the server keeps its state.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// `DATA/exchange.db`.
    Sqlite,
    /// A `postgres://` URL (may contain a password: never printed whole).
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite => f.write_str("Sqlite"),
            Database::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Resolved settings, defaults filled in.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The data folder: `exchange.db` (SQLite) and `blobs/`.
    pub data: PathBuf,
    pub database: Database,
    pub tls: Option<TlsFiles>,
    pub token_ttl: Duration,
    pub max_body_bytes: u64,
    pub max_blob_bytes: u64,
    pub max_commands_per_request: usize,
    pub shutdown_grace: Duration,
    /// Failed-login limits (see [`crate::throttle`]).
    pub login_throttle: ThrottleSettings,
    /// An upload body that sends nothing for this long is cut (what arrived is kept).
    pub upload_idle_timeout: Duration,
    /// A connection that has not sent a request's whole header block this long after
    /// it began (or after the previous answer) is closed.
    pub header_read_timeout: Duration,
    /// A JSON request's whole body must arrive within this (408 otherwise).
    pub body_read_timeout: Duration,
    /// Requests handled at once; more are answered 503 at once.
    pub max_requests_in_flight: usize,
    /// Sum of the announced lengths of one user's uploads in progress.
    pub max_partial_bytes_per_user: u64,
    /// An upload in progress untouched this long, or a complete file no document
    /// lists this long after it was written, is removed by a sweep.
    pub stale_upload: Duration,
    /// How often `serve` sweeps (zero: never; `admin blobs sweep` does it by hand).
    pub blob_sweep_interval: Duration,
    /// How often `serve` looks for 承办 past their 限办日期 to 催办 (zero: never).
    pub remind_interval: Duration,
    /// A file holding the bearer token that `/metrics` asks for. Without one, `/metrics`
    /// answers only when the server listens on loopback.
    pub metrics_token_file: Option<PathBuf>,
    /// Allow `sslmode=disable` or `prefer` to a PostgreSQL host that is not this
    /// machine (refused otherwise: either would let the connection go unencrypted).
    pub database_allow_insecure: bool,
    /// Each unit's 文号 series (see `gongwen_core::numbering`); None: the shipped rules.
    pub numbering_file: Option<PathBuf>,
    /// Units' own 发文/收文 flows ([`crate::flows`]); None: every unit follows the 条例's.
    pub flows_dir: Option<PathBuf>,
    /// Units that receive 移交 ([`crate::transfer`]); none: nobody can transfer.
    pub archive_units: Vec<gongwen_core::wire::UnitCode>,
    /// A ClamAV database for the 移交 re-check; None: clamscan's own.
    pub archive_clamav_db: Option<PathBuf>,
}

impl Config {
    /// Plain HTTP is for development and tests on this machine only: anything
    /// reachable from the network must use TLS.
    pub fn check_transport(&self) -> Result<(), ConfigError> {
        if self.tls.is_none() && !self.listen.ip().is_loopback() {
            return Err(ConfigError::Invalid {
                name: "listen".into(),
                message: format!(
                    "refusing to serve plain HTTP on {}, which is not a loopback address; \
                     give --tls-cert and --tls-key (or tls_cert/tls_key in the config), \
                     or listen on 127.0.0.1",
                    self.listen
                ),
            });
        }
        Ok(())
    }

    /// The 文号 series rules: `numbering_file`, refused at start with its line and
    /// reason when it is wrong, or the shipped `assets/numbering.toml`.
    pub fn numbering(&self) -> Result<gongwen_core::numbering::NumberingRules, ConfigError> {
        let Some(path) = &self.numbering_file else {
            return Ok(gongwen_core::numbering::NumberingRules::demo());
        };
        let invalid = |message: String| ConfigError::Invalid {
            name: "numbering_file".into(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        gongwen_core::numbering::NumberingRules::parse(&text)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))
    }

    /// The token `/metrics` asks for, read from `metrics_token_file`: its content
    /// without surrounding whitespace, at least 16 characters.
    pub fn metrics_token(&self) -> Result<Option<String>, ConfigError> {
        let Some(path) = &self.metrics_token_file else {
            return Ok(None);
        };
        let invalid = |message: String| ConfigError::Invalid {
            name: "metrics_token_file".into(),
            message,
        };
        let token = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        let token = token.trim();
        if token.chars().count() < 16 || token.chars().any(char::is_whitespace) {
            return Err(invalid(format!(
                "{} must hold one token of at least 16 characters without spaces",
                path.display()
            )));
        }
        Ok(Some(token.to_string()))
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data.join("exchange.db")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data.join("blobs")
    }

    /// Where transfers (移交) are kept: one folder per transfer, as it arrived.
    pub fn archive_dir(&self) -> PathBuf {
        self.data.join("archive")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a `password=` in
/// the query is shown as `password=***` too.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".into();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let mut out = match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => format!("{scheme}://{rest}"),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let file: Settings =
            toml::from_str("listen = \"127.0.0.1:1\"\ntoken_ttl_secs = 5").unwrap();
        let env = Settings::from_env(|k| {
            (k == "GONGWEN_EXCHANGE_TOKEN_TTL_SECS").then(|| "7".to_string())
        })
        .unwrap();
        let flags = Settings {
            listen: Some("127.0.0.1:2".into()),
            ..Settings::default()
        };
        let c = file.overlay(env).overlay(flags).resolve().unwrap();
        assert_eq!(c.listen.port(), 2);
        assert_eq!(c.token_ttl, Duration::from_secs(7));
    }

    #[test]
    fn login_limits_and_idle_timeout_come_from_env_and_zero_window_is_refused() {
        let env = Settings::from_env(|k| match k {
            "GONGWEN_EXCHANGE_LOGIN_MAX_FAILURES_PER_USER" => Some("3".into()),
            "GONGWEN_EXCHANGE_LOGIN_MAX_FAILURES_PER_IP" => Some("0".into()),
            "GONGWEN_EXCHANGE_LOGIN_FAILURE_WINDOW_SECS" => Some("2".into()),
            "GONGWEN_EXCHANGE_UPLOAD_IDLE_TIMEOUT_SECS" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        let c = Settings::default().overlay(env).resolve().unwrap();
        assert_eq!(
            c.login_throttle,
            ThrottleSettings {
                max_failures_per_user: 3,
                max_failures_per_ip: 0,
                window: Duration::from_secs(2),
            }
        );
        assert_eq!(c.upload_idle_timeout, Duration::from_secs(1));
        for key in ["login_failure_window_secs", "upload_idle_timeout_secs"] {
            let zero: Settings = toml::from_str(&format!("{key} = 0")).unwrap();
            let err = zero.resolve().unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback_and_secrets_redacted() {
        let c = Settings {
            listen: Some("0.0.0.0:8470".into()),
            database: Some("postgres://gw:hunter2@db/gw".into()),
            ..Settings::default()
        }
        .resolve()
        .unwrap();
        assert!(c.check_transport().is_err());
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(
            redact_url("postgres://gw@db/gw?sslmode=require&password=hunter2&application_name=x"),
            "postgres://gw:***@db/gw?sslmode=require&password=***&application_name=x"
        );
        assert_eq!(
            redact_url("postgres://gw:a@b@db/gw?PASSWORD=hunter2"),
            "postgres://gw:***@db/gw?PASSWORD=***"
        );
        let bad = Settings::from_env(|_| Some("x".into()));
        assert!(bad.is_err());
    }

    #[test]
    fn the_documented_example_config_is_valid() {
        let example: Settings = toml::from_str(include_str!("../exchange.toml")).unwrap();
        let c = example.resolve().unwrap();
        assert_eq!(c.token_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(c.database, Database::Sqlite);
        assert_eq!(c.login_throttle, ThrottleSettings::default());
        assert_eq!(c.upload_idle_timeout, Duration::from_secs(60));
        c.check_transport().unwrap();
    }
}
