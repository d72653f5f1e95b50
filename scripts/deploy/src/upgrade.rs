//! `upgrade <proxy>`: a new implementation behind a proxy, through governance. The new build is
//! deployed like the original, then governance proposes `upgradeToAndCall`, its signers confirm,
//! and once the timelock has passed anyone executes. Each call does what it can with the keys it
//! has and says what is left; the record keeps the pending proposal, so calling again goes on.

use crate::plan::{implementation_of, upgrade_call, Ctx, Entry, GOVERNANCE};
use crate::record::{Record, Step, Upgrade};
use crate::run::{execute, RunError};
use crate::{DeployError, Deployer, Network};
use abi::governance::{proposal_state, IGovernance};
use abi::proxy::IUpgradeableProxy;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolEvent};
use contract_build::{build_contract, BuildOptions};
use std::collections::HashMap;
use std::path::Path;

/// Where an upgrade stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeState {
    /// The proxy already runs the current build.
    UpToDate { implementation: Address },
    /// Proposed; waiting for confirmations or for the timelock.
    Pending {
        proposal: U256,
        confirmations: u64,
        threshold: u64,
        eta: u64,
        now: u64,
    },
    Executed {
        implementation: Address,
        tx: alloy::primitives::B256,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error("`{0}` is not a proxy of the plan (proxies: {1})")]
    NotAProxy(String, String),
    #[error("{0} has no deployment of `{1}`: deploy first")]
    NotDeployed(String, String),
    #[error("cannot build {0}")]
    Build(String),
    #[error("{0} is not a governance signer: it cannot propose")]
    NotSigner(Address),
    #[error("cannot write the record: {0}")]
    Io(#[from] std::io::Error),
}

/// Advances the upgrade of `proxy` as far as `signers` (the first one proposes) and, when
/// `advance_time` (local chains), `evm_increaseTime` allow.
#[allow(clippy::too_many_arguments)]
pub async fn upgrade(
    signers: &[Deployer],
    network: &Network,
    plan: &[Entry],
    root: &Path,
    record_path: &Path,
    proxy: &str,
    advance_time: bool,
) -> Result<UpgradeState, UpgradeError> {
    let Some(proposer) = signers.first() else {
        return Err(UpgradeError::NotSigner(Address::ZERO));
    };
    let path = record_path.display().to_string();
    let mut record = Record::load(record_path)?
        .ok_or_else(|| UpgradeError::NotDeployed(path.clone(), proxy.to_string()))?;
    let impl_step = implementation_of(proxy).ok_or_else(|| {
        UpgradeError::NotAProxy(
            proxy.to_string(),
            crate::plan::PROXIES
                .iter()
                .map(|(p, _)| *p)
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let proxy_addr = record
        .address(proxy)
        .ok_or_else(|| UpgradeError::NotDeployed(path.clone(), proxy.to_string()))?;
    let governance = record
        .address(GOVERNANCE)
        .ok_or_else(|| UpgradeError::NotDeployed(path.clone(), GOVERNANCE.to_string()))?;
    let entry = plan
        .iter()
        .find(|e| e.name == impl_step)
        .ok_or_else(|| UpgradeError::NotAProxy(proxy.to_string(), String::new()))?;
    let package = entry.package().unwrap_or_default();
    let current = proposer
        .view(proxy_addr, IUpgradeableProxy::proxyImplementationCall {})
        .await?;

    let pending = record
        .upgrades
        .iter()
        .position(|u| u.proxy == proxy && u.executed.is_none());
    let index = match pending {
        Some(i) => i,
        None => {
            let artifact = build_contract(package, &BuildOptions::new(root))
                .map_err(|e| UpgradeError::Build(e.to_string()))?;
            let running = proposer
                .provider()
                .get_code_at(current)
                .await
                .map_err(DeployError::from)?;
            if alloy::primitives::keccak256(&running) == artifact.code_hash {
                return Ok(UpgradeState::UpToDate {
                    implementation: current,
                });
            }
            if !proposer
                .view(
                    governance,
                    IGovernance::isSignerCall {
                        account: proposer.from(),
                    },
                )
                .await?
            {
                return Err(UpgradeError::NotSigner(proposer.from()));
            }
            let now = now(proposer).await?;
            let ctx = Ctx {
                network,
                deployer: proposer.from(),
                record: &record,
                now,
                step: &entry.name,
            };
            let artifacts = HashMap::from([(package, artifact)]);
            let step = execute(proposer, entry, &ctx, &artifacts)
                .await?
                .ok_or_else(|| UpgradeError::Build(package.to_string()))?;
            let delay: U256 = proposer.view(governance, IGovernance::delayCall {}).await?;
            // The clock after the deployment (a build and a deployment take minutes), plus a
            // minute of slack: the proposal's block comes after it.
            let eta = self::now(proposer).await? + delay.saturating_to::<u64>() + 60;
            let data = upgrade_call(step.address);
            let receipt = send(
                proposer,
                governance,
                IGovernance::proposeCall {
                    target: proxy_addr,
                    value: U256::ZERO,
                    data: data.clone(),
                    eta: U256::from(eta),
                }
                .abi_encode(),
            )
            .await?;
            let proposal = receipt
                .inner
                .logs()
                .iter()
                .find_map(|l| IGovernance::ProposalCreated::decode_log_data(l.data()).ok())
                .map(|e| e.id)
                .ok_or(DeployError::Decode("no ProposalCreated event".into()))?;
            record.upgrades.push(Upgrade {
                proxy: proxy.to_string(),
                previous: current,
                implementation: step,
                proposal,
                eta,
                executed: None,
            });
            record.save(record_path)?;
            record.upgrades.len() - 1
        }
    };

    let proposal = record.upgrades[index].proposal;
    let data = upgrade_call(record.upgrades[index].implementation.address);
    for signer in signers {
        let confirmed = signer
            .view(
                governance,
                IGovernance::isConfirmedCall {
                    id: proposal,
                    signer: signer.from(),
                },
            )
            .await?;
        let is_signer = signer
            .view(
                governance,
                IGovernance::isSignerCall {
                    account: signer.from(),
                },
            )
            .await?;
        if is_signer && !confirmed {
            send(
                signer,
                governance,
                IGovernance::confirmCall { id: proposal }.abi_encode(),
            )
            .await?;
        }
    }
    let state = proposer
        .view(governance, IGovernance::getProposalCall { id: proposal })
        .await?;
    let threshold: U256 = proposer
        .view(governance, IGovernance::thresholdCall {})
        .await?;
    let eta = state.eta.saturating_to::<u64>();
    let mut now = now(proposer).await?;
    let enough = state.confirmations >= threshold;
    if enough && now < eta && advance_time {
        let wait = eta - now;
        proposer
            .provider()
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (wait,))
            .await
            .map_err(DeployError::from)?;
        proposer
            .provider()
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .map_err(DeployError::from)?;
        now = self::now(proposer).await?;
    }
    if state.state == proposal_state::PENDING && enough && now >= eta {
        let receipt = send(
            proposer,
            governance,
            IGovernance::executeCall { id: proposal, data }.abi_encode(),
        )
        .await?;
        let implementation = record.upgrades[index].implementation.clone();
        record.upgrades[index].executed = Some(receipt.transaction_hash);
        if let Some(step) = record.steps.iter_mut().find(|s| s.name == impl_step) {
            *step = Step {
                name: impl_step.to_string(),
                ..implementation.clone()
            };
        }
        if let Some(step) = record.steps.iter_mut().find(|s| s.name == proxy) {
            step.implementation = Some(implementation.address);
        }
        record.save(record_path)?;
        return Ok(UpgradeState::Executed {
            implementation: implementation.address,
            tx: receipt.transaction_hash,
        });
    }
    Ok(UpgradeState::Pending {
        proposal,
        confirmations: state.confirmations.saturating_to(),
        threshold: threshold.saturating_to(),
        eta,
        now,
    })
}

async fn now(deployer: &Deployer) -> Result<u64, DeployError> {
    Ok(deployer
        .provider()
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .map_or(0, |b| b.header.timestamp))
}

async fn send(
    deployer: &Deployer,
    to: Address,
    data: Vec<u8>,
) -> Result<alloy::rpc::types::TransactionReceipt, DeployError> {
    deployer
        .send(
            TransactionRequest::default()
                .with_from(deployer.from())
                .with_to(to)
                .with_input(Bytes::from(data)),
        )
        .await
}
