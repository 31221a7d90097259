//! The command line: the subcommands, around every setting.

use clap::{Parser, Subcommand};

use super::Settings;

/// Premiere: a GraphQL gateway over a catalogue of series, with release alerts.
#[derive(Debug, Parser)]
#[command(name = "premiere", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve GraphQL (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the Soundtrack demo data (idempotent).
    Seed,
    /// Print the GraphQL schema (SDL).
    Schema,
}
