//! Sending transactions safely: every transaction is simulated with `eth_call` first and never
//! sent if it would revert; nonces are tracked in a file that survives restarts; a transaction
//! not mined in time is replaced at the same nonce with higher fees (replace-by-fee), and one
//! left pending by a crash is taken up again on start.

use crate::checkpoint;
use crate::kv;
use crate::retry::{retry, Backoff};
use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use serde::{Deserialize, Serialize};
use std::future::IntoFuture;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A transaction sent and not yet seen mined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub label: String,
    pub nonce: u64,
    pub to: Address,
    pub input: Bytes,
    pub gas_limit: u64,
    pub max_fee: u128,
    pub priority_fee: u128,
    /// Every hash sent for this nonce (the original and its replacements).
    pub hashes: Vec<B256>,
}

/// The nonce file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceState {
    /// Next nonce to use, as far as this keeper knows.
    pub next_nonce: u64,
    pub pending: Vec<Pending>,
}

/// How transactions are sent.
#[derive(Debug, Clone)]
pub struct SendConfig {
    /// Nonce file; `None` keeps the state in memory.
    pub state: Option<PathBuf>,
    /// Log what would be sent, send nothing.
    pub dry_run: bool,
    /// Time a transaction gets before it is replaced.
    pub replace_after: Duration,
    /// Most replacements of one transaction before giving up (the nonce stays tracked).
    pub max_replacements: u32,
    /// Fee increase per replacement, percent (nodes require at least 10).
    pub bump_percent: u128,
    /// Gas limit over the estimate, percent.
    pub gas_margin_percent: u64,
    pub receipt_poll: Duration,
    pub backoff: Backoff,
}

impl Default for SendConfig {
    fn default() -> Self {
        Self {
            state: None,
            dry_run: false,
            replace_after: Duration::from_secs(30),
            max_replacements: 5,
            bump_percent: 15,
            gas_margin_percent: 25,
            receipt_poll: Duration::from_millis(250),
            backoff: Backoff::default(),
        }
    }
}

/// What became of a transaction.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `eth_call` said it would revert: not sent.
    WouldRevert { data: Bytes, reason: String },
    /// Dry run: simulated successfully, not sent.
    DryRun { gas: u64 },
    /// Mined (check `status()`: a race lost between simulation and inclusion still reverts).
    Mined(Box<TransactionReceipt>),
    /// Still not mined after every replacement; the nonce stays pending.
    Stuck { nonce: u64 },
}

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("RPC: {0}")]
    Rpc(#[from] RpcError<TransportErrorKind>),
    #[error("nonce file: {0}")]
    State(#[from] std::io::Error),
    #[error("signing: {0}")]
    Sign(String),
}

/// Signs and sends the keeper's transactions.
pub struct Sender {
    provider: DynProvider,
    wallet: EthereumWallet,
    from: Address,
    chain_id: u64,
    config: SendConfig,
    state: NonceState,
}

impl Sender {
    /// Loads the nonce file and takes up any transaction a previous run left pending.
    pub async fn open(
        provider: DynProvider,
        signer: PrivateKeySigner,
        config: SendConfig,
    ) -> Result<Self, SendError> {
        let from = signer.address();
        let b = config.backoff;
        let chain_id = retry(&b, "eth_chainId", || provider.get_chain_id()).await?;
        let state = match &config.state {
            Some(path) => checkpoint::load(path)?,
            None => None,
        }
        .unwrap_or_default();
        let mut sender = Self {
            provider,
            wallet: EthereumWallet::from(signer),
            from,
            chain_id,
            config,
            state,
        };
        sender.recover().await?;
        Ok(sender)
    }

    pub fn address(&self) -> Address {
        self.from
    }

    pub fn state(&self) -> &NonceState {
        &self.state
    }

    async fn mined_nonce(&self) -> Result<u64, SendError> {
        let p = &self.provider;
        let from = self.from;
        Ok(retry(&self.config.backoff, "eth_getTransactionCount", || {
            p.get_transaction_count(from).latest().into_future()
        })
        .await?)
    }

    /// Drops pending transactions whose nonce the chain has passed; waits for (replacing as
    /// needed) those it has not.
    async fn recover(&mut self) -> Result<(), SendError> {
        let mined = self.mined_nonce().await?;
        self.state.pending.retain(|p| p.nonce >= mined);
        self.state.next_nonce = self.state.next_nonce.max(mined);
        self.save()?;
        let pending = self.state.pending.clone();
        for p in pending {
            kv!(info, "tx_resume", label = p.label, nonce = p.nonce);
            self.wait_or_replace(p).await?;
        }
        Ok(())
    }

    fn save(&self) -> Result<(), SendError> {
        if let Some(path) = &self.config.state {
            checkpoint::save(path, &self.state)?;
        }
        Ok(())
    }

    /// Simulates the call from the keeper's address; `Err` with the revert data if it reverts.
    pub async fn simulate(
        &self,
        to: Address,
        input: &Bytes,
    ) -> Result<Result<Bytes, (Bytes, String)>, SendError> {
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(input.clone());
        let p = &self.provider;
        match retry(&self.config.backoff, "eth_call", || {
            p.call(tx.clone()).into_future()
        })
        .await
        {
            Ok(out) => Ok(Ok(out)),
            Err(RpcError::ErrorResp(e)) => match e.as_revert_data() {
                Some(data) => {
                    let reason = abi::revert::describe(&data);
                    Ok(Err((data, reason)))
                }
                None => Err(SendError::Rpc(RpcError::ErrorResp(e))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Gas the call needs (with the configured margin); `Err` with the revert data if the
    /// node's estimate finds it reverting (the state moved since the simulation).
    #[allow(clippy::type_complexity)]
    pub async fn estimate(
        &self,
        to: Address,
        input: &Bytes,
    ) -> Result<Result<u64, (Bytes, String)>, SendError> {
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(input.clone());
        let p = &self.provider;
        match retry(&self.config.backoff, "eth_estimateGas", || {
            p.estimate_gas(tx.clone()).into_future()
        })
        .await
        {
            Ok(gas) => Ok(Ok(
                gas.saturating_mul(100 + self.config.gas_margin_percent) / 100
            )),
            Err(RpcError::ErrorResp(e)) => match e.as_revert_data() {
                Some(data) => {
                    let reason = abi::revert::describe(&data);
                    Ok(Err((data, reason)))
                }
                None => Err(SendError::Rpc(RpcError::ErrorResp(e))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Current fee per gas the keeper would pay (max fee), in wei.
    pub async fn gas_price(&self) -> Result<u128, SendError> {
        let p = &self.provider;
        Ok(retry(&self.config.backoff, "eth_gasPrice", || p.get_gas_price()).await?)
    }

    /// Simulates, then (unless dry-run) sends and waits for the receipt, replacing the
    /// transaction if it is not mined in time.
    pub async fn submit(
        &mut self,
        label: &str,
        to: Address,
        input: Bytes,
    ) -> Result<Outcome, SendError> {
        if let Err((data, reason)) = self.simulate(to, &input).await? {
            kv!(info, "tx_skipped", label = label, reason = reason);
            return Ok(Outcome::WouldRevert { data, reason });
        }
        let gas_limit = match self.estimate(to, &input).await? {
            Ok(gas) => gas,
            Err((data, reason)) => {
                kv!(info, "tx_skipped", label = label, reason = reason);
                return Ok(Outcome::WouldRevert { data, reason });
            }
        };
        self.send_simulated(label, to, input, gas_limit).await
    }

    /// Sends a call the caller has just simulated and estimated (`gas_limit`, margin included);
    /// in dry-run mode only logs it.
    pub async fn send_simulated(
        &mut self,
        label: &str,
        to: Address,
        input: Bytes,
        gas_limit: u64,
    ) -> Result<Outcome, SendError> {
        if self.config.dry_run {
            kv!(
                info,
                "tx_dry_run",
                label = label,
                to = to,
                gas = gas_limit,
                input = input
            );
            return Ok(Outcome::DryRun { gas: gas_limit });
        }
        let base = self.gas_price().await?;
        let nonce = self.state.next_nonce.max(self.mined_nonce().await?);
        let p = Pending {
            label: label.to_string(),
            nonce,
            to,
            input,
            gas_limit,
            // Twice the current price rides out a few blocks of rising base fee.
            max_fee: base.saturating_mul(2).max(1),
            priority_fee: 0,
            hashes: Vec::new(),
        };
        self.state.next_nonce = nonce + 1;
        self.state.pending.push(p.clone());
        self.save()?;
        self.wait_or_replace(p).await
    }

    async fn sign(&self, p: &Pending) -> Result<(B256, Bytes), SendError> {
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(p.to)
            .with_input(p.input.clone())
            .with_nonce(p.nonce)
            .with_chain_id(self.chain_id)
            .with_gas_limit(p.gas_limit)
            .with_max_fee_per_gas(p.max_fee)
            .with_max_priority_fee_per_gas(p.priority_fee);
        let envelope: TxEnvelope = tx
            .build(&self.wallet)
            .await
            .map_err(|e| SendError::Sign(e.to_string()))?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718().into()))
    }

    /// Broadcasts `p` and waits; after `replace_after` without a receipt, bumps its fees and
    /// sends the replacement at the same nonce. Any of its hashes being mined ends the wait.
    async fn wait_or_replace(&mut self, mut p: Pending) -> Result<Outcome, SendError> {
        for attempt in 0..=self.config.max_replacements {
            if attempt > 0 {
                let bump = |fee: u128| fee.saturating_mul(100 + self.config.bump_percent) / 100 + 1;
                p.max_fee = bump(p.max_fee);
                p.priority_fee = bump(p.priority_fee);
            }
            let (hash, raw) = self.sign(&p).await?;
            p.hashes.push(hash);
            self.update_pending(&p)?;
            let prov = &self.provider;
            match retry(&self.config.backoff, "eth_sendRawTransaction", || {
                prov.send_raw_transaction(&raw)
            })
            .await
            {
                Ok(_) => kv!(
                    info,
                    "tx_sent",
                    label = p.label,
                    nonce = p.nonce,
                    hash = hash,
                    attempt = attempt,
                    max_fee = p.max_fee
                ),
                // "already known", "nonce too low" (an earlier hash was mined), "replacement
                // underpriced": the receipts below tell which.
                Err(e) => kv!(
                    warn,
                    "tx_send_refused",
                    label = p.label,
                    nonce = p.nonce,
                    error = e
                ),
            }
            if let Some(receipt) = self.await_receipt(&p).await? {
                self.state.pending.retain(|q| q.nonce != p.nonce);
                self.save()?;
                kv!(
                    info,
                    "tx_mined",
                    label = p.label,
                    nonce = p.nonce,
                    hash = receipt.transaction_hash,
                    block = receipt.block_number.unwrap_or_default(),
                    gas_used = receipt.gas_used,
                    status = receipt.status()
                );
                return Ok(Outcome::Mined(Box::new(receipt)));
            }
            if self.mined_nonce().await? > p.nonce {
                // Another transaction took the nonce (e.g. sent from the same key elsewhere).
                self.state.pending.retain(|q| q.nonce != p.nonce);
                self.save()?;
                kv!(warn, "tx_nonce_taken", label = p.label, nonce = p.nonce);
                return Ok(Outcome::Stuck { nonce: p.nonce });
            }
            kv!(
                warn,
                "tx_replacing",
                label = p.label,
                nonce = p.nonce,
                waited_ms = self.config.replace_after.as_millis()
            );
        }
        Ok(Outcome::Stuck { nonce: p.nonce })
    }

    fn update_pending(&mut self, p: &Pending) -> Result<(), SendError> {
        match self.state.pending.iter_mut().find(|q| q.nonce == p.nonce) {
            Some(q) => *q = p.clone(),
            None => self.state.pending.push(p.clone()),
        }
        self.save()
    }

    /// A receipt for any of `p`'s hashes within `replace_after`.
    async fn await_receipt(&self, p: &Pending) -> Result<Option<TransactionReceipt>, SendError> {
        let deadline = Instant::now() + self.config.replace_after;
        let prov = &self.provider;
        loop {
            for hash in p.hashes.iter().rev() {
                let got = retry(&self.config.backoff, "eth_getTransactionReceipt", || {
                    prov.get_transaction_receipt(*hash)
                })
                .await?;
                if let Some(r) = got {
                    return Ok(Some(r));
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(self.config.receipt_poll).await;
        }
    }
}
