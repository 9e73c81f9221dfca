//! TLS to PostgreSQL, for a database on another host.
//!
//! The URL speaks libpq's language: `sslmode` (`disable`, `prefer`, `require`,
//! `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file of the CA that signed the
//! server's certificate; without it the system's trusted CAs are used).
//!
//! Unlike libpq, the default is `require` for a host that is not this machine (not a
//! loopback address, `localhost` or a Unix socket), and `prefer` or `disable` to such
//! a host is refused unless explicitly allowed (`database_allow_insecure`): with
//! `prefer`, anyone on the path can strip TLS by answering that it is not offered.
//! On this machine the default stays libpq's `prefer`.
//! tokio-postgres knows only `disable`/`prefer`/`require` and no `sslrootcert`, so the
//! URL is rewritten before it is parsed. rustls always verifies the certificate chain
//! and the host name, so `require` here is as strict as libpq's `verify-full`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use tokio_postgres::config::SslMode;
use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StorageError;

/// A parsed database URL and the TLS connector it asks for (`None`: `sslmode=disable`).
pub struct Connection {
    pub config: Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// Parses `url` (`postgres://user:password@host:port/db?sslmode=…&sslrootcert=…`).
/// `allow_insecure`: let `sslmode=disable`/`prefer` reach a host on another machine.
/// Errors never echo the URL, which may hold a password.
pub fn parse(url: &str, allow_insecure: bool) -> Result<Connection, StorageError> {
    let (url, root_cert) = split_libpq_options(url)?;
    let mut config = Config::from_str(&url)
        .map_err(|e| StorageError::Backend(format!("PostgreSQL URL is not valid: {e}")))?;
    if let Some(host) = config.get_hosts().iter().find_map(remote_host) {
        match sslmode_given(&url) {
            None => {
                config.ssl_mode(SslMode::Require);
            }
            Some(mode @ ("disable" | "prefer")) if !allow_insecure => {
                return Err(StorageError::Backend(format!(
                    "refusing sslmode={mode} to the PostgreSQL host {host}, which is not this \
                     machine: the connection could go unencrypted; use sslmode=require (the \
                     default for such hosts), or set database_allow_insecure = true to allow it"
                )));
            }
            Some(_) => {}
        }
    }
    let tls = match config.get_ssl_mode() {
        SslMode::Disable => None,
        _ => Some(connector(root_cert.as_deref())?),
    };
    Ok(Connection { config, tls })
}

/// The name of a host that is not on this machine, if `host` is one.
fn remote_host(host: &tokio_postgres::config::Host) -> Option<String> {
    match host {
        tokio_postgres::config::Host::Tcp(name) => {
            let local = name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            (!local).then(|| name.clone())
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => None,
    }
}

/// The `sslmode` the URL's query names, if any (after [`split_libpq_options`]).
fn sslmode_given(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == "sslmode")
        .map(|(_, value)| value)
        .next_back()
}

/// Takes `sslrootcert` out of the URL's query and maps `verify-ca`/`verify-full` to
/// `require` (see the module doc). Key/value connection strings are left as they are.
fn split_libpq_options(url: &str) -> Result<(String, Option<PathBuf>), StorageError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslrootcert" => {
                let path = percent_decode_str(value).decode_utf8().map_err(|_| {
                    StorageError::Backend("PostgreSQL URL: sslrootcert is not UTF-8".into())
                })?;
                root_cert = Some(PathBuf::from(path.as_ref()));
            }
            "sslmode" if matches!(value, "verify-ca" | "verify-full") => {
                kept.push("sslmode=require".to_string())
            }
            _ => kept.push(pair.to_string()),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, root_cert))
}

/// A rustls connector trusting `root_cert`'s certificates, or the system's when none.
fn connector(root_cert: Option<&Path>) -> Result<MakeRustlsConnect, StorageError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    StorageError::Backend(format!(
                        "PostgreSQL sslrootcert {}: cannot read PEM certificates: {e}",
                        path.display()
                    ))
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(StorageError::Backend(format!(
                    "PostgreSQL sslrootcert {}: no usable CA certificate in it",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "a system CA certificate could not be read");
            }
            roots.add_parsable_certificates(found.certs);
        }
    }
    // An explicit provider: the process may link more than one rustls backend, and
    // then rustls will not pick a default on its own.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StorageError::Backend(format!("PostgreSQL TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_options_are_taken_out_of_the_url() {
        let (url, root) = split_libpq_options(
            "postgres://u:p@db.example:5432/gw?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem&application_name=gw",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://u:p@db.example:5432/gw?sslmode=require&application_name=gw"
        );
        assert_eq!(root, Some(PathBuf::from("/etc/ca x.pem")));
        assert!(Config::from_str(&url).is_ok());
    }

    #[test]
    fn a_url_without_options_is_unchanged() {
        let (url, root) = split_libpq_options("postgres://u@127.0.0.1/gw").unwrap();
        assert_eq!(url, "postgres://u@127.0.0.1/gw");
        assert_eq!(root, None);
    }

    #[test]
    fn a_missing_root_certificate_file_is_named() {
        let Err(e) = parse(
            "postgres://u@db/gw?sslmode=require&sslrootcert=/nonexistent/ca.pem",
            false,
        ) else {
            panic!("a missing sslrootcert must be refused");
        };
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn sslmode_disable_needs_no_certificates() {
        let c = parse(
            "postgres://u@127.0.0.1/gw?sslmode=disable&sslrootcert=/nonexistent/ca.pem",
            false,
        )
        .unwrap();
        assert!(c.tls.is_none());
    }

    #[test]
    fn a_remote_host_requires_tls_unless_insecure_is_allowed() {
        let c = parse("postgres://u@db.example/gw", false).unwrap();
        assert_eq!(c.config.get_ssl_mode(), SslMode::Require);
        assert!(c.tls.is_some());
        for mode in ["disable", "prefer"] {
            let url = format!("postgres://u:pw@db.example/gw?sslmode={mode}");
            let Err(e) = parse(&url, false) else {
                panic!("sslmode={mode} to a remote host must be refused");
            };
            assert!(e.to_string().contains("db.example"), "{e}");
            assert!(!e.to_string().contains("pw"), "{e}");
            assert!(parse(&url, true).is_ok());
        }
        // Several hosts: one remote is enough to need TLS.
        let c = parse("postgres://u@127.0.0.1,db.example/gw", false).unwrap();
        assert_eq!(c.config.get_ssl_mode(), SslMode::Require);
        // This machine keeps libpq's default.
        for url in [
            "postgres://u@127.0.0.1/gw",
            "postgres://u@localhost/gw",
            "postgres://u@[::1]:5432/gw",
            "postgres://u@%2Frun%2Fpostgresql/gw",
        ] {
            let c = parse(url, false).unwrap();
            assert_eq!(c.config.get_ssl_mode(), SslMode::Prefer, "{url}");
        }
        assert!(parse("postgres://u@127.0.0.1/gw?sslmode=disable", false).is_ok());
    }
}
