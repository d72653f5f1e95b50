//! Following the chain: `eth_getLogs` over bounded block ranges, from the checkpointed block up
//! to the head less a confirmation depth, then each new block as it comes.
//!
//! Only blocks `confirmations` deep are read, so a reorg shallower than that never reaches the
//! view. After each range the view and the next block to read are saved together in one atomic
//! checkpoint ([`snapshot`], binary): a restart resumes exactly where the last saved range ended.

use crate::checkpoint;
use crate::kv;
use crate::retry::{retry, Backoff};
use crate::snapshot;
use crate::view::{Change, View};
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::transports::{RpcError, TransportErrorKind};
use serde::{Deserialize, Serialize};
use std::future::IntoFuture;
use std::path::PathBuf;

/// What survives a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// First block not yet read.
    pub next_block: u64,
    pub view: View,
}

/// How the follower reads the chain.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// Contracts whose events build the view (factory, escrow and its companions, oracle).
    pub addresses: Vec<Address>,
    /// First block to read when there is no checkpoint (the deployment block).
    pub start_block: u64,
    /// Blocks a block must be buried under before it is read.
    pub confirmations: u64,
    /// Most blocks per `eth_getLogs` request.
    pub max_range: u64,
    /// Checkpoint file (binary, [`snapshot`]); `None` keeps everything in memory.
    pub checkpoint: Option<PathBuf>,
    pub backoff: Backoff,
}

/// One range read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub from: u64,
    pub to: u64,
    pub logs: usize,
    pub changes: Vec<Change>,
}

/// Why following stopped.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("RPC: {0}")]
    Rpc(#[from] RpcError<TransportErrorKind>),
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] std::io::Error),
    #[error("block {0} not found")]
    MissingBlock(u64),
}

/// Reads events into a [`View`], range by range.
pub struct Follower {
    provider: DynProvider,
    config: FollowConfig,
    pub state: Checkpoint,
}

impl Follower {
    /// Resumes from the checkpoint file if there is one, else starts at `start_block`.
    pub fn open(provider: DynProvider, config: FollowConfig) -> Result<Self, FollowError> {
        let state = match &config.checkpoint {
            Some(path) => match snapshot::load(path)? {
                Some(c) => Some(c),
                // A JSON checkpoint of an earlier keeper beside it is taken up once; the next
                // range writes the binary one.
                None => checkpoint::load(&path.with_extension("json"))?,
            },
            None => None,
        }
        .unwrap_or(Checkpoint {
            next_block: config.start_block,
            view: View::default(),
        });
        Ok(Self {
            provider,
            config,
            state,
        })
    }

    pub fn config(&self) -> &FollowConfig {
        &self.config
    }

    pub fn view(&self) -> &View {
        &self.state.view
    }

    /// The newest block old enough to read, `None` if the chain is shorter than the depth.
    pub async fn safe_head(&self) -> Result<Option<u64>, FollowError> {
        let p = &self.provider;
        let head = retry(&self.config.backoff, "eth_blockNumber", || {
            p.get_block_number()
        })
        .await?;
        Ok(head.checked_sub(self.config.confirmations))
    }

    /// Reads the next range (at most `max_range` blocks, up to the safe head) and checkpoints.
    /// `None` when there is nothing new to read.
    pub async fn step(&mut self) -> Result<Option<Progress>, FollowError> {
        let Some(safe) = self.safe_head().await? else {
            return Ok(None);
        };
        let from = self.state.next_block;
        if from > safe {
            return Ok(None);
        }
        let to = safe.min(from.saturating_add(self.config.max_range.max(1) - 1));
        let filter = Filter::new()
            .address(self.config.addresses.clone())
            .from_block(from)
            .to_block(to);
        let p = &self.provider;
        let mut logs = retry(&self.config.backoff, "eth_getLogs", || p.get_logs(&filter)).await?;
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        let mut changes = Vec::with_capacity(logs.len());
        for log in &logs {
            match self.state.view.apply(log) {
                Ok(change) => changes.push(change),
                Err(e) => kv!(
                    error,
                    "event_refused",
                    block = log.block_number.unwrap_or_default(),
                    index = log.log_index.unwrap_or_default(),
                    error = e
                ),
            }
        }
        let mut times = std::collections::BTreeMap::new();
        for block in self.state.view.blocks_missing_time() {
            let b = retry(&self.config.backoff, "eth_getBlockByNumber", || {
                p.get_block_by_number(BlockNumberOrTag::Number(block))
                    .into_future()
            })
            .await?
            .ok_or(FollowError::MissingBlock(block))?;
            times.insert(block, b.header.timestamp);
        }
        self.state.view.set_block_times(&times);
        self.state.next_block = to + 1;
        if let Some(path) = &self.config.checkpoint {
            snapshot::save(path, &self.state)?;
        }
        Ok(Some(Progress {
            from,
            to,
            logs: logs.len(),
            changes,
        }))
    }

    /// Reads ranges until the safe head is reached.
    pub async fn catch_up(&mut self) -> Result<Vec<Progress>, FollowError> {
        let mut done = Vec::new();
        while let Some(p) = self.step().await? {
            done.push(p);
        }
        Ok(done)
    }
}
