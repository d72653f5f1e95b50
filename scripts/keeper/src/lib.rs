//! The keeper: the automated agent that keeps the protocol solvent.
//!
//! - [`follower`]: reads the factory's, escrow's and oracle's events in bounded ranges into a
//!   [`view::View`], checkpointed atomically and reorg-safe by a confirmation depth;
//! - [`retry`]: RPC calls retried with exponential backoff;
//! - [`log`]: structured `key=value` logs.

pub mod agent;
pub mod auction;
pub mod checkpoint;
pub mod cli;
pub mod expiry;
pub mod follower;
pub mod health;
pub mod log;
pub mod plan;
pub mod retry;
pub mod sender;
pub mod snapshot;
pub mod view;
