//! The `options` command's library: what the subcommands do, callable from tests.

pub mod abi;
pub mod build;
pub mod demo;
pub mod deploy;
pub mod ops;
pub mod ops_cli;
pub mod target;
