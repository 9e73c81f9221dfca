//! The PostgreSQL engine over TLS, as for a database on another host: a real
//! PostgreSQL with `ssl=on` and a certificate of its own CA, reached with libpq-style
//! `sslmode` and `sslrootcert` in the URL.

use gongwen_core::wire::{Unit, UnitCode};
use gongwen_exchange::storage::postgres::PostgresStorage;
use gongwen_exchange::storage::Storage;
use gongwen_exchange::testing::TempPostgres;

/// A certificate for the loopback address the test server listens on, self-signed, so
/// it is its own CA; and that CA's PEM written to a file for `sslrootcert`.
fn certificate(dir: &std::path::Path) -> (String, String, std::path::PathBuf) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("generate a certificate");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, cert.cert.pem()).expect("write the CA file");
    (cert.cert.pem(), cert.signing_key.serialize_pem(), ca)
}

/// The connections to the `gongwen` database other than the asking one, as
/// (TLS, count), read over a plain superuser connection.
async fn connections_by_tls(pg: &TempPostgres) -> Vec<(bool, i64)> {
    let (client, connection) = tokio_postgres::connect(
        &format!("{}?sslmode=disable", pg.url()),
        tokio_postgres::NoTls,
    )
    .await
    .expect("a plain connection to look at pg_stat_ssl");
    tokio::spawn(connection);
    client
        .query(
            "SELECT s.ssl, count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = 'gongwen' AND a.pid <> pg_backend_pid() GROUP BY s.ssl",
            &[],
        )
        .await
        .expect("query pg_stat_ssl")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn the_engine_talks_tls_to_a_server_whose_ca_it_is_given_and_refuses_others() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, ca) = certificate(dir.path());
    let pg = tokio::task::spawn_blocking(move || TempPostgres::start_tls(&cert, &key))
        .await
        .expect("join")
        .expect("start PostgreSQL with TLS");
    let ca_param = ca.display().to_string().replace(' ', "%20");

    // verify-full + the CA: connects, works, and every connection is encrypted.
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca_param}", pg.url());
    let storage = PostgresStorage::connect(&url)
        .await
        .expect("connect over TLS with the CA given");
    let unit = Unit {
        code: UnitCode("sz-tjj".into()),
        name: "宿州市统计局".into(),
        short_name: None,
    };
    storage.add_unit(&unit).await.expect("write over TLS");
    assert_eq!(storage.units().await.expect("read over TLS"), vec![unit]);
    let by_tls = connections_by_tls(&pg).await;
    assert!(
        by_tls.iter().any(|&(tls, n)| tls && n > 0) && by_tls.iter().all(|&(tls, _)| tls),
        "the engine's connections should all use TLS: {by_tls:?}"
    );
    drop(storage);

    // require without the CA: the self-signed certificate is not trusted by the system,
    // so the connection is refused, naming the certificate as the reason.
    let Err(e) = PostgresStorage::connect(&format!("{}?sslmode=require", pg.url())).await else {
        panic!("a server certificate from an unknown CA must be refused");
    };
    assert!(e.to_string().contains("certificate"), "{e}");
    // So does prefer (the default): offered TLS that does not verify is not used
    // unencrypted instead.
    let Err(e) = PostgresStorage::connect(&pg.url()).await else {
        panic!("prefer must not fall back to plain text after a failed handshake");
    };
    assert!(e.to_string().contains("certificate"), "{e}");

    // A CA file that is not a certificate is refused before any connection.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write junk");
    let Err(e) = PostgresStorage::connect(&format!(
        "{}?sslmode=require&sslrootcert={}",
        pg.url(),
        junk.display()
    ))
    .await
    else {
        panic!("a sslrootcert without certificates must be refused");
    };
    assert!(e.to_string().contains("junk.pem"), "{e}");
}

#[tokio::test]
async fn require_refuses_a_server_without_tls() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .expect("join")
        .expect("start PostgreSQL");
    let Err(e) = PostgresStorage::connect(&format!("{}?sslmode=require", pg.url())).await else {
        panic!("sslmode=require must not fall back to plain text");
    };
    assert!(e.to_string().to_lowercase().contains("tls"), "{e}");
    // prefer (the default) falls back to plain text on such a server.
    PostgresStorage::connect(&pg.url())
        .await
        .expect("sslmode=prefer connects without TLS");
}
