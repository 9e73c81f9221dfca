//! Step benchmark (issue #11's numbers): a real `gongwen-exchange serve` process on
//! 127.0.0.1 (the tests' `TestServer`, demo units and users), steps pushed over HTTP.
//!
//! 1. Round trip of one step on loopback: `POST /v1/commands` of one 核稿 (a repeatable
//!    step: `next` = itself, so one document takes any number), sequentially; p50/p95,
//!    target p95 ≤ 50 ms.
//! 2. `GONGWEN_BENCH_STEP_CLIENTS` (100) clients, each with its own document, taking
//!    such steps back to back for `GONGWEN_BENCH_STEP_SECS` (60) seconds, per engine
//!    (SQLite, and a temporary PostgreSQL); p99 of the round trips, target ≤ 200 ms. A
//!    step answered with an error (503 when the server is busy, a cut connection) is
//!    sent again with the same command id, as a client does. Afterwards every
//!    document's trail is read back from the change log: it must hold exactly the
//!    steps its client saw accepted, each once (none lost, none doubled); a mismatch
//!    is reported in the row.
//!
//! `cargo bench -p gongwen-exchange --bench steps`. Environment: `GONGWEN_BENCH_OUT`
//! (default `bench/steps.json`), `GONGWEN_BENCH_STEP_CLIENTS`, `GONGWEN_BENCH_STEP_SECS`,
//! `GONGWEN_BENCH_STEP_ROUND_TRIPS` (200), `GONGWEN_BENCH_ENGINES` (`sqlite,postgres`).
//! Benchmarks measure; they assert nothing about speed.

#[path = "../tests/common/api.rs"]
mod api;
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use common::TestServer;
use gongwen_core::flow::StepId;
use gongwen_core::handling::StepAction;
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
};
use gongwen_core::{DocumentFile, DocumentId};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn row(metric: &str, value: Option<f64>, unit: &str, target: &str, note: String) -> Value {
    match value {
        Some(v) => eprintln!("  => {metric}: {v:.2} {unit} (target {target}) — {note}"),
        None => eprintln!("  => {metric}: NOT MEASURED: {note}"),
    }
    json!({"group": "steps", "metric": metric, "value": value, "unit": unit,
           "target": target, "note": note})
}

fn request() -> gongwen_core::Document {
    let text = include_str!("../../../assets/demo/17-request-straw-subsidy.toml");
    let mut doc = DocumentFile::from_toml(text)
        .expect("the demo file")
        .document;
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.doc_number = String::new();
    doc
}

fn step_body(id: DocumentId, step: &str, next: Option<&str>, opinion: String) -> CommandBody {
    CommandBody::Step {
        document_id: id,
        step: StepId::from(step),
        action: StepAction::Finish {
            next: next.map(StepId::from),
            participants: vec![],
        },
        opinion: Some(opinion),
        document: None,
        publicity: None,
        deadline: None,
    }
}

/// Pushes one command until the server decides it (an error is retried with the same
/// id); whether it was accepted, and how many tries it took.
async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    command: &Command,
) -> Result<(bool, u32)> {
    let mut tries = 0;
    loop {
        tries += 1;
        let sent = http
            .post(format!("{url}/v1/commands"))
            .bearer_auth(token)
            .json(&json!({ "commands": [command] }))
            .send()
            .await;
        if let Ok(r) = sent {
            if r.status().is_success() {
                let outcome: PushResponse = r.json().await.context("outcomes")?;
                return Ok((
                    matches!(outcome.outcomes[0].result, CommandResult::Accepted),
                    tries,
                ));
            }
        }
        if tries > 100 {
            bail!("command {} was never decided", command.id);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A new document of 市发改委 at 核稿 (送审 by the clerk).
async fn submitted(http: &reqwest::Client, url: &str, clerk: &str) -> Result<DocumentId> {
    let id = DocumentId(uuid::Uuid::new_v4());
    let CommandBody::Step {
        document_id,
        step,
        action,
        opinion,
        publicity,
        deadline,
        ..
    } = step_body(id, "draft", None, "送审".into())
    else {
        unreachable!()
    };
    let body = CommandBody::Step {
        document_id,
        step,
        action,
        opinion,
        document: Some(Box::new(request())),
        publicity,
        deadline,
    };
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body,
    };
    let (ok, _) = push(http, url, clerk, &command).await?;
    if !ok {
        bail!("送审 refused");
    }
    Ok(id)
}

/// The 核稿 entries of each document in 市发改委's change log (its last handling).
async fn review_counts(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<HashMap<DocumentId, Vec<String>>> {
    let mut after = 0;
    let mut last = HashMap::new();
    loop {
        let page: ChangesPage = http
            .get(format!("{url}/v1/changes?after={after}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        for c in &page.changes {
            if let ChangeEntry::Handling {
                document_id,
                handling,
                ..
            } = &c.entry
            {
                let opinions = handling
                    .trail
                    .iter()
                    .filter(|e| e.step.as_str() == "review")
                    .filter_map(|e| e.opinion.clone())
                    .collect();
                last.insert(*document_id, opinions);
            }
        }
        after = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    Ok(last)
}

async fn round_trip(server: &TestServer, n: u64) -> Result<Vec<Value>> {
    let http = reqwest::Client::new();
    let clerk = api::login_as(server, "fgw-clerk").await;
    let director = api::login_as(server, "fgw-director").await;
    let id = submitted(&http, &server.url, &clerk).await?;
    let mut samples = Vec::new();
    for i in 0..n {
        let command = Command {
            id: CommandId(uuid::Uuid::new_v4()),
            body: step_body(id, "review", Some("review"), format!("第{i}次核稿")),
        };
        let t = Instant::now();
        let (ok, _) = push(&http, &server.url, &director, &command).await?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        if !ok {
            bail!("核稿 {i} refused");
        }
    }
    samples.sort_by(f64::total_cmp);
    Ok(vec![
        row(
            "step round trip on loopback, p50",
            Some(quantile(&samples, 0.5)),
            "ms",
            "-",
            format!("{n} sequential 核稿 steps (SQLite)"),
        ),
        row(
            "step round trip on loopback, p95",
            Some(quantile(&samples, 0.95)),
            "ms",
            "<= 50",
            format!("{n} sequential 核稿 steps (SQLite)"),
        ),
    ])
}

async fn load(server: &TestServer, engine: &str, clients: u64, secs: u64) -> Result<Value> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .build()?;
    let clerk = api::login_as(server, "fgw-clerk").await;
    let director = api::login_as(server, "fgw-director").await;
    let mut docs = Vec::new();
    for _ in 0..clients {
        docs.push(submitted(&http, &server.url, &clerk).await?);
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks = docs.iter().map(|id| {
        let (http, url, token, id) = (http.clone(), server.url.clone(), director.clone(), *id);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut accepted = Vec::new();
            let mut retries = 0;
            let mut i = 0u64;
            while Instant::now() < until {
                let opinion = format!("{id}/{i}");
                let command = Command {
                    id: CommandId(uuid::Uuid::new_v4()),
                    body: step_body(id, "review", Some("review"), opinion.clone()),
                };
                let t = Instant::now();
                let (ok, tries) = push(&http, &url, &token, &command).await?;
                samples.push(t.elapsed().as_secs_f64() * 1000.0);
                retries += tries - 1;
                if ok {
                    accepted.push(opinion);
                }
                // Every tenth step is sent once more, as a client that never saw the
                // answer would: it must not be recorded twice.
                if i.is_multiple_of(10) {
                    push(&http, &url, &token, &command).await?;
                    retries += 1;
                }
                i += 1;
            }
            Ok::<_, anyhow::Error>((id, samples, accepted, retries))
        })
    });
    let mut samples = Vec::new();
    let mut seen: HashMap<DocumentId, Vec<String>> = HashMap::new();
    let mut resent = 0;
    for t in futures_util::future::join_all(tasks).await {
        let (id, s, accepted, retries) = t??;
        samples.extend(s);
        seen.insert(id, accepted);
        resent += retries;
    }
    samples.sort_by(f64::total_cmp);
    let trails = review_counts(&http, &server.url, &clerk).await?;
    let mut wrong = 0;
    for (id, accepted) in &seen {
        let trail = trails.get(id).cloned().unwrap_or_default();
        if &trail != accepted {
            wrong += 1;
        }
    }
    let steps: usize = seen.values().map(Vec::len).sum();
    Ok(row(
        &format!("{clients} clients taking steps, p99 latency ({engine})"),
        Some(quantile(&samples, 0.99)),
        "ms",
        "<= 200",
        format!(
            "{steps} steps in {secs} s ({:.0}/s); p50 {:.1} ms, p95 {:.1} ms, max {:.0} ms; \
             {resent} re-sent; trails read back: {} of {} documents hold exactly the \
             accepted steps once each{}",
            steps as f64 / secs as f64,
            quantile(&samples, 0.5),
            quantile(&samples, 0.95),
            samples.last().copied().unwrap_or(f64::NAN),
            seen.len() - wrong,
            seen.len(),
            if wrong > 0 {
                " — STEPS LOST OR DOUBLED"
            } else {
                ""
            }
        ),
    ))
}

fn main() {
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/steps.json")
        });
    let clients = env_num("GONGWEN_BENCH_STEP_CLIENTS", 100);
    let secs = env_num("GONGWEN_BENCH_STEP_SECS", 60);
    let trips = env_num("GONGWEN_BENCH_STEP_ROUND_TRIPS", 200);
    let engines = std::env::var("GONGWEN_BENCH_ENGINES").unwrap_or("sqlite,postgres".into());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut rows = Vec::new();
    runtime.block_on(async {
        let server = TestServer::start();
        match round_trip(&server, trips).await {
            Ok(r) => rows.extend(r),
            Err(e) => rows.push(row(
                "step round trip on loopback, p95",
                None,
                "ms",
                "<= 50",
                format!("{e:#}"),
            )),
        }
        for engine in engines.split(',').map(str::trim) {
            let pg;
            let server = match engine {
                "sqlite" => TestServer::start(),
                "postgres" => {
                    pg = gongwen_exchange::testing::TempPostgres::start().expect("PostgreSQL");
                    let db = pg.create_database("steps_bench").expect("database");
                    TestServer::start_on_postgres(&db, &[])
                }
                other => {
                    eprintln!("unknown engine {other}");
                    continue;
                }
            };
            let metric = format!("{clients} clients taking steps, p99 latency ({engine})");
            match load(&server, engine, clients, secs).await {
                Ok(r) => rows.push(r),
                Err(e) => rows.push(row(&metric, None, "ms", "<= 200", format!("{e:#}"))),
            }
        }
    });
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let text = serde_json::to_string_pretty(&rows).expect("rows");
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    eprintln!("wrote {}", out.display());
}
