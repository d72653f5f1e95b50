//! Runs a plan: builds what is still to deploy, then executes the steps not yet recorded, writing
//! the record after each one. A second run sends nothing; a run stopped midway resumes where the
//! record (checked against the chain) ends; on-chain code that differs from the record stops it.

use crate::plan::{constructor_call, Action, Ctx, Entry, PlanError, PROXY_PACKAGE};
use crate::record::{git_commit, toolchain, ActivationRecord, Record, Step, StepKind};
use crate::{DeployError, Deployed, Deployer};
use abi::proxy::ProxyConstructorArgs;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolValue;
use contract_build::{build_contract, Artifact, BuildError, BuildOptions};
use std::collections::HashMap;
use std::path::PathBuf;
use stylus_program::arbitrum::STYLUS_DEPLOYER;

/// What a run reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    Building {
        package: String,
    },
    Built {
        package: String,
        compressed: usize,
    },
    /// A recorded step whose on-chain state matches the record.
    Kept {
        step: String,
        address: Address,
    },
    Sending {
        step: String,
    },
    Done {
        step: String,
        address: Address,
        gas: u64,
        activation: Option<ActivationRecord>,
    },
    /// A call step the chain shows as already done (sent by an interrupted run).
    AlreadyDone {
        step: String,
    },
    /// What the steps left will cost, before any is sent.
    Estimate(FundsEstimate),
}

/// What the steps left should cost: gas at today's gas price, plus the activation data fees.
/// Deliberately on the high side (it gates the run): gas per deployed byte and the data fee
/// per byte are above what the devnet and nitro charge at the data pricer's floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundsEstimate {
    pub steps: usize,
    pub gas: u64,
    pub gas_price: u128,
    /// Activation data fees (wei), with the margin the run sends.
    pub data_fees: U256,
    /// `gas × gas_price + data_fees`, in wei.
    pub total: U256,
    /// The deployer's balance, in wei.
    pub balance: U256,
}

impl std::fmt::Display for FundsEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format_ether = |wei: U256| {
            let text = alloy::primitives::utils::format_ether(wei);
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        write!(
            f,
            "{} steps: about {} gas at {} gwei = {} ETH, plus activation data fees {} ETH: {} ETH \
             in all; balance {} ETH",
            self.steps,
            self.gas,
            alloy::primitives::utils::format_units(U256::from(self.gas_price), 9)
                .unwrap_or_default()
                .trim_end_matches('0')
                .trim_end_matches('.'),
            format_ether(U256::from(self.gas) * U256::from(self.gas_price)),
            format_ether(self.data_fees),
            format_ether(self.total),
            format_ether(self.balance),
        )
    }
}

/// Gas per byte of deployed Stylus code (init code calldata, code storage, activation), and the
/// fixed part of a deployment (the transaction, the constructor or `initialize`). Measured
/// deployments use 190-310 gas per byte including activation.
const GAS_PER_CODE_BYTE: u64 = 320;
const GAS_PER_DEPLOYMENT: u64 = 1_000_000;
/// An EVM deployment (the mock tokens) and a call (initialisation, configuration, wiring):
/// measured at most 470k and 350k.
const GAS_PER_EVM_DEPLOYMENT: u64 = 600_000;
const GAS_PER_CALL: u64 = 400_000;
/// ArbWasm charges the data fee on the native code's estimated size, 60-85 times the
/// compressed WASM for our contracts, at nitro's data pricer price (floor 82,928,201 wei/byte;
/// it rises with demand: the run pays the real fee, estimated again just before).
const ASM_BYTES_PER_CODE_BYTE: u64 = 100;
const DATA_PRICE_FLOOR: u64 = 82_928_201;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Workspace root (contracts are built from it).
    pub root: PathBuf,
    /// The deployment record to resume and update.
    pub record_path: PathBuf,
    /// Stop after sending this many steps (to test resumption).
    pub max_steps: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot build what the plan deploys:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Build(Vec<BuildError>),
    #[error("the node at {url} is on chain {actual}, but network `{network}` is chain {expected}")]
    WrongChain {
        network: String,
        url: String,
        expected: u64,
        actual: u64,
    },
    #[error("{path} records chain {recorded}, this node is chain {actual}: refusing to mix them")]
    RecordChain {
        path: String,
        recorded: u64,
        actual: u64,
    },
    #[error(
        "step `{step}`: the code at {address} (hash {onchain}) is not what {path} records \
         ({recorded}); refusing to continue. {hint}"
    )]
    CodeMismatch {
        step: String,
        address: Address,
        recorded: B256,
        onchain: B256,
        path: String,
        hint: &'static str,
    },
    #[error("no StylusDeployer at {0} on this chain (networks.toml names it)")]
    NoStylusDeployer(Address),
    #[error(
        "the deployer {address} cannot pay for the deployment on chain {chain_id}: {estimate}. \
         Fund it with at least the difference before deploying (nothing was sent)"
    )]
    NoFunds {
        address: Address,
        chain_id: u64,
        estimate: FundsEstimate,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("step `{step}`: transaction {tx} succeeded but the chain does not show its effect")]
    NoEffect { step: String, tx: B256 },
    #[error("stopped after {0} steps, as asked (the record holds them: run again to resume)")]
    Stopped(usize),
}

/// Executes `plan` on the node behind `deployer`, resuming `opts.record_path`.
pub async fn run(
    deployer: &Deployer,
    network: &crate::Network,
    plan: &[Entry],
    opts: &RunOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Record, RunError> {
    let provider = deployer.provider();
    let chain_id = provider.get_chain_id().await.map_err(DeployError::from)?;
    if chain_id != network.chain_id {
        return Err(RunError::WrongChain {
            network: network.name.clone(),
            url: deployer.url().to_string(),
            expected: network.chain_id,
            actual: chain_id,
        });
    }
    let path_str = opts.record_path.display().to_string();
    let io = |source| RunError::Io {
        path: path_str.clone(),
        source,
    };
    let mut record = Record::load(&opts.record_path)
        .map_err(io)?
        .unwrap_or(Record {
            network: network.name.clone(),
            chain_id,
            deployer: deployer.from(),
            toolchain: String::new(),
            git_commit: String::new(),
            steps: Vec::new(),
            upgrades: Vec::new(),
        });
    if record.chain_id != chain_id {
        return Err(RunError::RecordChain {
            path: path_str,
            recorded: record.chain_id,
            actual: chain_id,
        });
    }

    // What is recorded must still be on chain, byte for byte.
    for step in &record.steps {
        if let Some(recorded) = step.code_hash {
            let code = provider
                .get_code_at(step.address)
                .await
                .map_err(DeployError::from)?;
            let onchain = keccak256(&code);
            if onchain != recorded {
                return Err(RunError::CodeMismatch {
                    step: step.name.clone(),
                    address: step.address,
                    recorded,
                    onchain,
                    path: path_str,
                    hint: if code.is_empty() {
                        "Nothing is deployed there: the chain was reset or the record belongs \
                         to another chain; move the record away to deploy afresh."
                    } else {
                        "Someone changed it, or the record was edited."
                    },
                });
            }
        }
    }
    let todo: Vec<&Entry> = plan
        .iter()
        .filter(|e| record.step(&e.name).is_none())
        .collect();
    for entry in plan.iter().filter(|e| record.step(&e.name).is_some()) {
        progress(&Progress::Kept {
            step: entry.name.clone(),
            address: record.address(&entry.name).unwrap_or_default(),
        });
    }
    if todo.is_empty() {
        return Ok(record);
    }

    if provider
        .get_code_at(STYLUS_DEPLOYER)
        .await
        .map_err(DeployError::from)?
        .is_empty()
        || network.stylus_deployer != STYLUS_DEPLOYER
    {
        return Err(RunError::NoStylusDeployer(network.stylus_deployer));
    }
    // Everything is built before the first transaction: a contract that cannot be deployed
    // stops the run with nothing sent.
    let mut artifacts: HashMap<&str, Artifact> = HashMap::new();
    let mut failures = Vec::new();
    let build_opts = BuildOptions::new(&opts.root);
    for package in todo.iter().filter_map(|e| e.package()) {
        if artifacts.contains_key(package) {
            continue;
        }
        progress(&Progress::Building {
            package: package.to_string(),
        });
        match build_contract(package, &build_opts) {
            Ok(a) => {
                progress(&Progress::Built {
                    package: package.to_string(),
                    compressed: a.code.len(),
                });
                artifacts.insert(package, a);
            }
            Err(e) => failures.push(e),
        }
    }
    if !failures.is_empty() {
        return Err(RunError::Build(failures));
    }
    let estimate = estimate(deployer, &todo, &artifacts).await?;
    progress(&Progress::Estimate(estimate));
    if estimate.balance < estimate.total {
        return Err(RunError::NoFunds {
            address: deployer.from(),
            chain_id,
            estimate,
        });
    }
    let now = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(DeployError::from)?
        .map_or(0, |b| b.header.timestamp);

    record.toolchain = toolchain(&opts.root);
    record.git_commit = git_commit(&opts.root);
    for (sent, entry) in todo.into_iter().enumerate() {
        if opts.max_steps.is_some_and(|max| sent >= max) {
            return Err(RunError::Stopped(sent));
        }
        let ctx = Ctx {
            network,
            deployer: deployer.from(),
            record: &record,
            now,
            step: &entry.name,
        };
        progress(&Progress::Sending {
            step: entry.name.to_string(),
        });
        let step = execute(deployer, entry, &ctx, &artifacts).await?;
        match &step {
            Some(step) => progress(&Progress::Done {
                step: step.name.clone(),
                address: step.address,
                gas: step.gas_used,
                activation: step.activation,
            }),
            None => progress(&Progress::AlreadyDone {
                step: entry.name.to_string(),
            }),
        }
        let step = match step {
            Some(step) => step,
            None => Step {
                name: entry.name.to_string(),
                kind: StepKind::Call,
                package: None,
                address: ctx.addr(target_of(entry))?,
                implementation: None,
                code_hash: None,
                compressed_size: None,
                args: Bytes::new(),
                tx: B256::ZERO,
                block: 0,
                gas_used: 0,
                activation: None,
            },
        };
        record.steps.push(step);
        record.save(&opts.record_path).map_err(io)?;
    }
    Ok(record)
}

/// The cost of `todo`: each deployment by its code size, each activation's data fee unless the
/// chain already runs the same code (or an earlier step of `todo` activates it).
pub async fn estimate(
    deployer: &Deployer,
    todo: &[&Entry],
    artifacts: &HashMap<&str, Artifact>,
) -> Result<FundsEstimate, RunError> {
    let provider = deployer.provider();
    let gas_price = provider.get_gas_price().await.map_err(DeployError::from)?;
    let balance = provider
        .get_balance(deployer.from())
        .await
        .map_err(DeployError::from)?;
    let mut gas = 0u64;
    let mut data_fees = U256::ZERO;
    let mut activated = std::collections::HashSet::new();
    for entry in todo {
        gas += match (&entry.action, entry.package()) {
            (Action::Evm { .. }, _) => GAS_PER_EVM_DEPLOYMENT,
            (Action::Call { .. }, _) | (_, None) => GAS_PER_CALL,
            (_, Some(package)) => {
                let artifact = &artifacts[package];
                let bytes = artifact.code.len() as u64;
                if activated.insert(artifact.code_hash)
                    && !deployer.is_active(artifact.code_hash).await?
                {
                    let fee =
                        U256::from(bytes * ASM_BYTES_PER_CODE_BYTE) * U256::from(DATA_PRICE_FLOOR);
                    data_fees +=
                        fee + fee * U256::from(crate::DATA_FEE_MARGIN_PERCENT) / U256::from(100);
                }
                GAS_PER_DEPLOYMENT + GAS_PER_CODE_BYTE * bytes
            }
        };
    }
    Ok(FundsEstimate {
        steps: todo.len(),
        gas,
        gas_price,
        data_fees,
        total: U256::from(gas) * U256::from(gas_price) + data_fees,
        balance,
    })
}

/// Whether a call step's `done` view returns what it should.
async fn holds(
    deployer: &Deployer,
    to: Address,
    done: crate::plan::Done,
    ctx: &Ctx<'_>,
) -> Result<bool, RunError> {
    for (view, expected) in done(ctx)? {
        let tx = TransactionRequest::default().with_to(to).with_input(view);
        let out = deployer
            .provider()
            .call(tx)
            .await
            .map_err(DeployError::from)?;
        if out.len() < 32 || B256::from_slice(&out[..32]) != expected {
            return Ok(false);
        }
    }
    Ok(true)
}

fn target_of(entry: &Entry) -> &str {
    match entry.action {
        Action::Call { target, .. } => target,
        _ => &entry.name,
    }
}

/// Executes one step; `None` for a call the chain shows as already done. `artifacts` holds the
/// build of every package the step deploys.
pub(crate) async fn execute(
    deployer: &Deployer,
    entry: &Entry,
    ctx: &Ctx<'_>,
    artifacts: &HashMap<&str, Artifact>,
) -> Result<Option<Step>, RunError> {
    let artifact = |package: &str| &artifacts[package];
    let deployed = |kind, package: &str, args: Bytes, d: Deployed, implementation| Step {
        name: entry.name.to_string(),
        kind,
        package: Some(package.to_string()),
        address: d.address,
        implementation,
        code_hash: Some(d.code_hash),
        compressed_size: Some(artifact(package).code.len()),
        args,
        tx: d.tx_hash,
        block: d.block,
        gas_used: d.gas_used,
        activation: d.activation.map(|a| ActivationRecord {
            version: a.version,
            data_fee: a.data_fee,
            tx: a.tx_hash,
            gas_used: a.gas_used,
        }),
    };
    Ok(Some(match &entry.action {
        Action::Program { package } => {
            let d = deployer.deploy_program(&artifact(package).code).await?;
            deployed(StepKind::Program, package, Bytes::new(), d, None)
        }
        Action::Constructor { package, args } => {
            let args = args(ctx)?;
            let d = deployer
                .deploy_with_constructor(
                    &artifact(package).code,
                    constructor_call(&args),
                    U256::ZERO,
                    B256::ZERO,
                )
                .await?;
            deployed(StepKind::Constructor, package, args, d, None)
        }
        Action::Proxy {
            implementation,
            init,
        } => {
            let implementation = ctx.addr(implementation)?;
            let args = ProxyConstructorArgs {
                implementation,
                admin: ctx.governance()?,
                data: init(ctx)?,
            }
            .abi_encode_params();
            let d = deployer
                .deploy_with_constructor(
                    &artifact(PROXY_PACKAGE).code,
                    constructor_call(&args),
                    U256::ZERO,
                    B256::ZERO,
                )
                .await?;
            deployed(
                StepKind::Proxy,
                PROXY_PACKAGE,
                args.into(),
                d,
                Some(implementation),
            )
        }
        Action::Evm { bin, args } => {
            let args = args(ctx)?;
            let mut code = alloy::hex::decode(bin.trim())
                .map_err(|e| PlanError::Config(format!("{}: bad init code: {e}", entry.name)))?;
            code.extend_from_slice(&args);
            let tx = TransactionRequest::default()
                .with_from(deployer.from())
                .with_deploy_code(Bytes::from(code));
            let receipt = deployer.send(tx).await?;
            let address = receipt
                .contract_address
                .ok_or(DeployError::NoContractAddress(receipt.transaction_hash))?;
            let runtime = deployer
                .provider()
                .get_code_at(address)
                .await
                .map_err(DeployError::from)?;
            Step {
                name: entry.name.to_string(),
                kind: StepKind::Evm,
                package: None,
                address,
                implementation: None,
                code_hash: Some(keccak256(&runtime)),
                compressed_size: None,
                args,
                tx: receipt.transaction_hash,
                block: receipt.block_number.unwrap_or_default(),
                gas_used: receipt.gas_used,
                activation: None,
            }
        }
        Action::Call { target, data, done } => {
            let to = ctx.addr(target)?;
            if let Some(done) = done {
                if holds(deployer, to, *done, ctx).await? {
                    return Ok(None);
                }
            }
            let data = data(ctx)?;
            let tx = TransactionRequest::default()
                .with_from(deployer.from())
                .with_to(to)
                .with_input(data.clone());
            let receipt = deployer.send(tx).await?;
            if let Some(done) = done {
                if !holds(deployer, to, *done, ctx).await? {
                    return Err(RunError::NoEffect {
                        step: entry.name.to_string(),
                        tx: receipt.transaction_hash,
                    });
                }
            }
            Step {
                name: entry.name.to_string(),
                kind: StepKind::Call,
                package: None,
                address: to,
                implementation: None,
                code_hash: None,
                compressed_size: None,
                args: data,
                tx: receipt.transaction_hash,
                block: receipt.block_number.unwrap_or_default(),
                gas_used: receipt.gas_used,
                activation: None,
            }
        }
    }))
}
