//! The exchange subcommands: login, logout, sync, sync status, dispatch, inbox, ack,
//! return, deliveries. Commands are written to the store's outbox first, then one sync
//! is tried; offline they stay pending and the next `gongwen sync` sends them.
//!
//! The token is kept in the OS keyring. Where there is none (no D-Bus session), or the
//! kept token was refused, the password in `GONGWEN_PASSWORD` is used to log in for this
//! call only; it is never written anywhere.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gongwen_core::wire::{CommandBody, CommandId, UnitCode};
use gongwen_core::DocumentId;
use gongwen_store::{lock, Account, OutboxState, Store};
use gongwen_sync::credentials::{self, CredentialError};
use gongwen_sync::{Client, SyncError, SyncReport};

use crate::commands::open_store;
use crate::output::outln;

const PASSWORD_ENV: &str = "GONGWEN_PASSWORD";

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

pub(crate) fn parse_id(s: &str) -> anyhow::Result<DocumentId> {
    s.trim().parse().with_context(|| {
        format!("{s:?} is not a document id (a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8)")
    })
}

pub(crate) fn client_for(store: &Mutex<Store>, server: &str) -> anyhow::Result<Client> {
    let client_id = lock(store).client_id()?;
    Ok(Client::new(server, &client_id)?)
}

/// Log in to an exchange server; the token goes to the OS keyring
#[derive(Args)]
pub struct LoginArgs {
    /// Server address, e.g. https://exchange.example.gov.cn (http only to 127.0.0.1)
    #[arg(long)]
    server: String,
    /// Username on the exchange
    #[arg(long)]
    user: String,
}

pub fn login(data: Option<PathBuf>, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let password = match std::env::var(PASSWORD_ENV) {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.is_empty() {
        bail!("no password: give it on standard input or in {PASSWORD_ENV}");
    }
    let store = Mutex::new(open_store(data)?);
    let client = client_for(&store, &args.server)?;
    let logged_in =
        runtime()?.block_on(gongwen_sync::log_in(&client, &store, &args.user, &password))?;
    let resp = logged_in.response;
    let u = &resp.user;
    outln!(
        "logged in to {} as {} ({}), {} of unit {}; token valid until {}",
        client.server(),
        u.username,
        u.display_name,
        u.role.as_str(),
        u.unit,
        resp.expires_at
    );
    match logged_in.not_kept {
        None => outln!("the token is kept in the system keyring"),
        Some(e) => {
            eprintln!("warning: {e}; set {PASSWORD_ENV} for later commands");
            // Nothing can use a token that is not kept: revoke it rather than leave it
            // live for its whole lifetime.
            let token = RunToken {
                token: resp.token,
                revoke: true,
            };
            runtime()?.block_on(token.finish(&client));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Log out: the store shows only 非密 documents and adds nothing to the outbox from now
/// on, the server revokes the token and the keyring forgets it
pub fn logout(data: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let store = Mutex::new(open_store(data)?);
    let out = runtime()?.block_on(gongwen_sync::log_out(&store, None))?;
    let Some(account) = out.account else {
        bail!("not logged in");
    };
    if let Some(e) = out.not_revoked {
        eprintln!("warning: the server was not told ({e}); the token expires by itself");
    }
    match out.keyring {
        None | Some(CredentialError::Unavailable(_)) => {}
        Some(e) => eprintln!("warning: {e}"),
    }
    outln!(
        "logged out {} from {}",
        account.user.username,
        account.server
    );
    Ok(ExitCode::SUCCESS)
}

/// The token of one run of the command.
pub(crate) struct RunToken {
    pub(crate) token: String,
    /// Minted by a password login and not kept in the keyring: nothing after this run
    /// can use it, so the run revokes it at its end ([`RunToken::finish`]) rather
    /// than leaving a live token behind on every call.
    revoke: bool,
}

impl RunToken {
    /// Revokes a token that only this run had (best effort: it expires by itself).
    pub(crate) async fn finish(self, client: &Client) {
        if self.revoke {
            if let Err(e) = client.logout(&self.token).await {
                tracing::info!("the token of this run was not revoked ({e}); it expires by itself");
            }
        }
    }
}

/// A token for the saved account: the keyring's, else a login with GONGWEN_PASSWORD.
/// A token got by password goes into the keyring where there is one (replacing a
/// refused one), so that the next run uses it instead of logging in again.
pub(crate) async fn token_for(
    client: &Client,
    account: &Account,
    refused: bool,
) -> Result<RunToken, anyhow::Error> {
    if !refused {
        match credentials::load_token(&account.server, &account.user.username) {
            Ok(Some(token)) => {
                return Ok(RunToken {
                    token,
                    revoke: false,
                })
            }
            Ok(None) => {}
            Err(e) => tracing::info!("{e}"),
        }
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(password) => {
            let token = client
                .login(&account.user.username, &password)
                .await
                .map(|r| r.token)?;
            let kept = credentials::save_token(&account.server, &account.user.username, &token);
            if let Err(e) = &kept {
                tracing::info!("{e}");
            }
            Ok(RunToken {
                token,
                revoke: kept.is_err(),
            })
        }
        Err(_) => bail!(
            "login needed: run `gongwen login --server {} --user {}` (or set {PASSWORD_ENV})",
            account.server,
            account.user.username
        ),
    }
}

/// Sends one command to the exchange now, outside the outbox (a delegation, which is
/// about no document), and returns the server's answer.
pub(crate) fn push_now(
    store: &Mutex<Store>,
    command: gongwen_core::wire::Command,
) -> anyhow::Result<gongwen_core::wire::CommandOutcome> {
    let account = lock(store)
        .account()?
        .context("not logged in: run `gongwen login --server URL --user NAME` first")?;
    let client = client_for(store, &account.server)?;
    runtime()?.block_on(async {
        let token = token_for(&client, &account, false).await?;
        let result = client.push(&token.token, &[command]).await;
        token.finish(&client).await;
        result?
            .outcomes
            .into_iter()
            .next()
            .context("the server answered no outcome")
    })
}

/// The delegations (代办) of the saved account's unit, as the exchange has them.
pub(crate) fn delegations(
    store: &Mutex<Store>,
) -> anyhow::Result<Vec<gongwen_core::delegation::Delegation>> {
    let account = lock(store)
        .account()?
        .context("not logged in: run `gongwen login --server URL --user NAME` first")?;
    let client = client_for(store, &account.server)?;
    runtime()?.block_on(async {
        let token = token_for(&client, &account, false).await?;
        let result = client.delegations(&token.token).await;
        token.finish(&client).await;
        Ok(result?)
    })
}

/// One sync round for the saved account; a refused keyring token is replaced by a
/// password login when GONGWEN_PASSWORD is set.
pub(crate) async fn sync_round(store: &Mutex<Store>) -> anyhow::Result<SyncReport> {
    let account = lock(store)
        .account()?
        .context("not logged in: run `gongwen login --server URL --user NAME` first")?;
    let client = client_for(store, &account.server)?;
    let mut token = token_for(&client, &account, false).await?;
    let mut result = gongwen_sync::sync_once(&client, &token.token, store).await;
    if matches!(result, Err(SyncError::Unauthorized { .. })) && std::env::var(PASSWORD_ENV).is_ok()
    {
        token.finish(&client).await;
        token = token_for(&client, &account, true).await?;
        result = gongwen_sync::sync_once(&client, &token.token, store).await;
    }
    token.finish(&client).await;
    let report = result?;
    // The store's upkeep (search-index merging, WAL checkpoint) after the round, as the
    // app's sync loop does; a one-shot run has no later round to leave it to.
    lock(store).maintain()?;
    Ok(report)
}

fn print_report(r: &SyncReport) {
    outln!(
        "pushed {} command(s): {} accepted, {} rejected; pulled {} change(s), {} new document(s); uploaded {}, downloaded {} file(s); cursor {}",
        r.pushed, r.accepted, r.rejected, r.pulled, r.new_documents, r.uploaded, r.downloaded, r.cursor
    );
    if let Some(why) = r.cursor_reset {
        outln!("{}", cursor_reset_text(why, r.repushed));
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
}

/// What a void cursor meant, for the user (see `docs/sync-protocol.md`).
fn cursor_reset_text(why: gongwen_store::CursorReset, repushed: u64) -> String {
    use gongwen_store::CursorReset;
    match why {
        CursorReset::ServerRestored => format!(
            "the server was restored from a backup: the change log was pulled again from the \
             start and {repushed} accepted command(s) were sent again"
        ),
        CursorReset::UnitChanged => {
            "your unit changed: its change log was pulled from the start".into()
        }
        CursorReset::ClearanceRaised => {
            "your clearance was raised: the change log was pulled again from the start".into()
        }
    }
}

/// Sync with the exchange once (push the outbox, pull changes)
#[derive(Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    /// Repair: pull the whole change log again (harmless: nothing is stored twice and
    /// nothing local is deleted)
    #[arg(long)]
    repull: bool,
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Where syncing stands: server, user, cursor, pending and rejected commands
    Status {
        /// JSON for machines
        #[arg(long)]
        json: bool,
    },
    /// Check the store, the login and the server; says what is wrong and what to do
    Doctor,
    /// Discard a command another account left in the outbox on this computer: it is never
    /// sent (recorded as discarded; the document stays as it is)
    Discard {
        /// Command id (as `gongwen sync status` prints it)
        command_id: String,
    },
}

pub fn sync(data: Option<PathBuf>, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let store = Mutex::new(open_store(data)?);
    match args.command {
        Some(SyncCommand::Status { json }) => status(&store, json),
        Some(SyncCommand::Doctor) => doctor(&store),
        Some(SyncCommand::Discard { command_id }) => {
            let id: CommandId =
                serde_json::from_value(serde_json::Value::String(command_id.trim().into()))
                    .with_context(|| format!("{command_id:?} is not a command id (a UUID)"))?;
            if lock(&store).discard_command(id)? {
                outln!("discarded {id}; it will not be sent");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no pending command {id} to discard");
                Ok(ExitCode::from(1))
            }
        }
        None => {
            if args.repull {
                let mut s = lock(&store);
                let account = s.account()?.context("not logged in")?;
                s.restart_cursor(&account)?;
                eprintln!("pulling the whole change log again");
            }
            let report = runtime()?.block_on(sync_round(&store))?;
            print_report(&report);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(store: &Mutex<Store>, json: bool) -> anyhow::Result<ExitCode> {
    let s = lock(store);
    let Some(account) = s.account()? else {
        bail!("not logged in: run `gongwen login --server URL --user NAME` first");
    };
    let state = s.sync_state(&account)?;
    let outbox = s.outbox()?;
    let signed_in = s.signed_in()?;
    let keyring = match credentials::load_token(&account.server, &account.user.username) {
        Ok(Some(_)) => "token kept".to_string(),
        Ok(None) => "no token kept (log in again)".to_string(),
        Err(e) => e.to_string(),
    };
    if json {
        let value = serde_json::json!({
            "server": account.server,
            "user": account.user,
            "logged_in": signed_in.is_some(),
            "state": state,
            "outbox": outbox,
            "keyring": keyring,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    let u = &account.user;
    outln!("server:     {}", account.server);
    outln!(
        "user:       {} ({}), unit {}",
        u.username,
        u.display_name,
        u.unit
    );
    outln!(
        "logged in:  {}",
        if signed_in.is_some() {
            "yes"
        } else {
            "no (logged out: only 非密 documents are shown)"
        }
    );
    outln!("keyring:    {keyring}");
    outln!("cursor:     {}", state.cursor);
    outln!("pending:    {}", state.pending);
    outln!("rejected:   {}", state.rejected);
    outln!(
        "last sync:  {}",
        state.last_sync_at.as_deref().unwrap_or("never")
    );
    outln!(
        "last error: {}",
        state.last_error.as_deref().unwrap_or("none")
    );
    if let Some(at) = &state.server_restored_at {
        outln!(
            "restored:   the server was restored from a backup (noticed {at}); the change log \
             was pulled again from the start and {} accepted command(s) were sent again",
            state.repushed
        );
    }
    for e in &outbox {
        let mut what = format!(
            "{} {} {}",
            e.command.id,
            e.command.body.kind(),
            e.command.body.document_id()
        );
        match &e.queued_by {
            Some(q) if signed_in.as_ref().is_some_and(|me| q.is(me)) => {}
            Some(q) => what.push_str(&format!(
                " (queued by {} at {}; sent when they log in, or `gongwen sync discard {}`)",
                q.username, q.server, e.command.id
            )),
            None => what.push_str(&format!(
                " (queued by an unknown account; `gongwen sync discard {}`)",
                e.command.id
            )),
        }
        match (&e.state, &e.rejection) {
            (OutboxState::Rejected, Some(r)) => {
                outln!("rejected  {what}: {} ({})", r.message_en, r.message)
            }
            _ => outln!(
                "pending   {what}: {} attempt(s){}",
                e.attempts,
                e.last_error
                    .as_deref()
                    .map(|m| format!(", last error: {m}"))
                    .unwrap_or_default()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn doctor(store: &Mutex<Store>) -> anyhow::Result<ExitCode> {
    let mut problems = 0;
    let mut problem = |text: String| {
        problems += 1;
        outln!("problem: {text}");
    };
    let (account, verify, outbox, wanted) = {
        let s = lock(store);
        (
            s.account()?,
            s.verify()?,
            s.outbox()?,
            s.wanted_attachments()?,
        )
    };
    for p in &verify {
        problem(format!("store: {p}"));
    }
    outln!("store: {} problem(s) found by the full check", verify.len());
    for e in &outbox {
        match (&e.state, &e.rejection) {
            (OutboxState::Rejected, Some(r)) => outln!(
                "note: {} of {} was refused: {} (the document is unchanged; fix it and send again)",
                e.command.body.kind(),
                e.command.body.document_id(),
                r.message_en
            ),
            _ if e.attempts >= 3 => problem(format!(
                "{} of {} failed {} times; last error: {}",
                e.command.body.kind(),
                e.command.body.document_id(),
                e.attempts,
                e.last_error.as_deref().unwrap_or("none")
            )),
            _ => {}
        }
    }
    for w in &wanted {
        outln!(
            "note: attachment {} of {} not downloaded yet (the next sync tries again)",
            w.sha256,
            w.document_id
        );
    }
    let Some(account) = account else {
        problem("not logged in: run `gongwen login --server URL --user NAME`".into());
        return Ok(ExitCode::from(1));
    };
    match credentials::load_token(&account.server, &account.user.username) {
        Ok(Some(_)) => outln!("keyring: token kept"),
        Ok(None) => outln!("keyring: no token kept; log in again or set {PASSWORD_ENV}"),
        Err(e) => outln!("keyring: {e}"),
    }
    let client = client_for(store, &account.server)?;
    let checked = runtime()?.block_on(async {
        let token = token_for(&client, &account, false).await?;
        let me = client.me(&token.token).await;
        token.finish(&client).await;
        Ok::<_, anyhow::Error>(me?)
    });
    match checked {
        Ok(me) if me.unit != account.user.unit => problem(format!(
            "the server now puts {} in unit {}, the store knows unit {}; log in again",
            me.username, me.unit, account.user.unit
        )),
        Ok(me) => outln!(
            "server: {} reachable, logged in as {}",
            account.server,
            me.username
        ),
        Err(e) => problem(format!("server: {e:#}")),
    }
    if problems == 0 {
        outln!("no problems found");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// Adds a command to the outbox, then tries one sync unless told not to; says what
/// became of it.
pub(crate) fn outbox_and_sync(
    data: Option<PathBuf>,
    no_sync: bool,
    add: impl FnOnce(&mut Store) -> anyhow::Result<CommandId>,
) -> anyhow::Result<ExitCode> {
    let store = Mutex::new(open_store(data)?);
    let id = {
        let mut s = lock(&store);
        add(&mut s)?
    };
    outln!("queued {id} in the outbox");
    if no_sync {
        return Ok(ExitCode::SUCCESS);
    }
    match runtime()?.block_on(sync_round(&store)) {
        Ok(report) => print_report(&report),
        Err(e) => {
            eprintln!(
                "not synced now ({e:#}); the command stays pending in the outbox and goes \
                 with the next sync"
            );
            return Ok(ExitCode::SUCCESS);
        }
    }
    let entry = lock(&store).outbox_entry(id)?;
    match entry {
        Some(e) if e.state == OutboxState::Rejected => {
            let r = e
                .rejection
                .map(|r| format!("{} ({})", r.message_en, r.message));
            eprintln!(
                "rejected by the server: {}",
                r.unwrap_or_else(|| "no reason given".into())
            );
            Ok(ExitCode::from(1))
        }
        Some(e) if e.state == OutboxState::Accepted => {
            outln!("accepted {id}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            outln!("pending {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Dispatch (分发) a document to units over the exchange
#[derive(Args)]
pub struct DispatchArgs {
    /// Document id
    id: String,
    /// 主送 unit codes (repeat or separate with commas)
    #[arg(long, value_delimiter = ',', required = true)]
    main: Vec<String>,
    /// 抄送 unit codes
    #[arg(long, value_delimiter = ',')]
    cc: Vec<String>,
    /// Only add to the outbox; do not sync now
    #[arg(long)]
    no_sync: bool,
}

pub fn dispatch(data: Option<PathBuf>, args: DispatchArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let units = |v: Vec<String>| -> Vec<UnitCode> {
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(UnitCode)
            .collect()
    };
    let (main, cc) = (units(args.main), units(args.cc));
    outbox_and_sync(data, args.no_sync, |s| Ok(s.queue_dispatch(id, main, cc)?))
}

/// Sign for (签收) a received document
#[derive(Args)]
pub struct AckArgs {
    /// Document id
    id: String,
    /// Only add to the outbox; do not sync now
    #[arg(long)]
    no_sync: bool,
}

pub fn ack(data: Option<PathBuf>, args: AckArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    outbox_and_sync(data, args.no_sync, |s| {
        Ok(s.queue_command(&CommandBody::Acknowledge { document_id: id })?)
    })
}

/// Return (退回) a received document to its sender, with a reason
#[derive(Args)]
pub struct ReturnArgs {
    /// Document id
    id: String,
    /// Why it is returned (required)
    #[arg(long)]
    reason: String,
    /// Only add to the outbox; do not sync now
    #[arg(long)]
    no_sync: bool,
}

pub fn return_(data: Option<PathBuf>, args: ReturnArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    outbox_and_sync(data, args.no_sync, |s| {
        Ok(s.queue_command(&CommandBody::Return {
            document_id: id,
            reason: args.reason,
        })?)
    })
}

/// List received documents (收文) with sender and status
#[derive(Args)]
pub struct InboxArgs {
    /// JSON for machines
    #[arg(long)]
    json: bool,
}

pub fn inbox(data: Option<PathBuf>, args: InboxArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    let items = store.inbox()?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(ExitCode::SUCCESS);
    }
    for item in &items {
        let i = &item.incoming;
        outln!(
            "{}  {:<12}  from {} ({})  {}{}",
            i.document_id,
            i.status.as_str(),
            i.from,
            i.role.as_str(),
            item.summary.title,
            if item.pending { "  [pending]" } else { "" }
        );
    }
    eprintln!("{} received document(s)", items.len());
    Ok(ExitCode::SUCCESS)
}

/// Show where a document stands at each recipient unit
#[derive(Args)]
pub struct DeliveriesArgs {
    /// Document id
    id: String,
    /// JSON for machines
    #[arg(long)]
    json: bool,
}

pub fn deliveries(data: Option<PathBuf>, args: DeliveriesArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let store = open_store(data)?;
    let stored = store
        .get(id)?
        .with_context(|| format!("no document with id {id}"))?;
    let deliveries = store.deliveries(id)?;
    let pending = store.pending_for(id)?;
    if args.json {
        let value = serde_json::json!({
            "document_id": id,
            "status": stored.status,
            "deliveries": deliveries,
            "pending": pending,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{id}  {}  {}",
        stored.status.as_str(),
        stored.document.title
    );
    for d in &deliveries {
        outln!(
            "  {:<12} {:<4} {:<12} by {} at {}{}",
            d.unit.0,
            d.role.as_str(),
            d.status.as_str(),
            d.by,
            d.at,
            d.reason
                .as_deref()
                .map(|r| format!("  reason: {r}"))
                .unwrap_or_default()
        );
    }
    for p in &pending {
        outln!("  pending {} {}", p.command.body.kind(), p.command.id);
    }
    if deliveries.is_empty() && pending.is_empty() {
        eprintln!("not exchanged");
    }
    Ok(ExitCode::SUCCESS)
}
