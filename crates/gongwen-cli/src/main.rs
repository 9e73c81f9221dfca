//! `gongwen`: the command line of Gongwen Desk. Imports, exports, validates, lists and
//! searches 公文 in a local store (the same folder the desktop app uses), and exchanges
//! them with other units through an exchange server (`login`, `sync`, `dispatch`,
//! `inbox`, `ack`, `return`, `deliveries`), takes the steps of a document's flow
//! (`flow`), and files finished documents into the archive offline (`archive`).
//!
//! Messages are English; exit status 0 = success, 1 = some input was rejected or has
//! errors, 2 = the command could not run.

mod output;

mod archive;
mod commands;
mod files;
mod flow;
mod remote;
mod typeset;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gongwen",
    version,
    about = "Import, export, validate and search 公文 in a Gongwen Desk store"
)]
struct Cli {
    /// Store folder [default: the platform data folder, e.g. ~/.local/share/gongwen-desk]
    #[arg(long, global = true, env = "GONGWEN_DATA_DIR", value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Import(commands::ImportArgs),
    Export(commands::ExportArgs),
    Validate(commands::ValidateArgs),
    Search(commands::SearchArgs),
    List(commands::ListArgs),
    /// Typeset a 公文 as a GB/T 9704-2012 PDF.
    Render(typeset::RenderArgs),
    /// Check a PDF against GB/T 9704-2012 (exit 1 when it does not conform).
    Check(typeset::CheckArgs),
    Login(remote::LoginArgs),
    /// Log out of the exchange: the server revokes the token, the keyring forgets it
    Logout,
    Sync(remote::SyncArgs),
    Dispatch(remote::DispatchArgs),
    Inbox(remote::InboxArgs),
    Ack(remote::AckArgs),
    Return(remote::ReturnArgs),
    Deliveries(remote::DeliveriesArgs),
    Flow(flow::FlowArgs),
    Archive(archive::ArchiveArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let data = cli.data;
    let result = match cli.command {
        Command::Import(args) => commands::import(data, args),
        Command::Export(args) => commands::export(data, args),
        Command::Validate(args) => commands::validate(args),
        Command::Search(args) => commands::search(data, args),
        Command::List(args) => commands::list(data, args),
        Command::Render(args) => typeset::render(data, args),
        Command::Check(args) => typeset::check(args),
        Command::Login(args) => remote::login(data, args),
        Command::Logout => remote::logout(data),
        Command::Sync(args) => remote::sync(data, args),
        Command::Dispatch(args) => remote::dispatch(data, args),
        Command::Inbox(args) => remote::inbox(data, args),
        Command::Ack(args) => remote::ack(data, args),
        Command::Return(args) => remote::return_(data, args),
        Command::Deliveries(args) => remote::deliveries(data, args),
        Command::Flow(args) => flow::flow(data, args),
        Command::Archive(args) => archive::archive(data, args),
    };
    match result {
        Ok(_) if output::failed() => ExitCode::from(2),
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
