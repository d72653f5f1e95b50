//! The `options` command's library: what the subcommands do, callable from tests.

pub mod abi;
pub mod build;
pub mod deploy;
pub mod target;
