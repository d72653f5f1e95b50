//! The deployment plan against an in-process devnet over JSON-RPC: a run stopped midway resumes
//! from its record, a second run sends nothing, code that differs from the record stops the run,
//! an upgrade goes through governance; and the failures a user meets are named clearly (wrong
//! chain, node down, no funds, bad key).
//!
//! The plan used here is the protocol's plan up to the registry proxy: every kind of step
//! (constructor, program, proxy, call) with contracts that build today. The whole plan runs once
//! the split escrow and oracle contracts are in the tree (`whole_protocol_deploys`).

use alloy::primitives::Bytes;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use deploy::network::network;
use deploy::plan::{protocol, Entry};
use deploy::record::Record;
use deploy::run::{run, FundsEstimate, Progress, RunError, RunOptions};
use deploy::upgrade::{upgrade, UpgradeState};
use deploy::{DeployError, Deployer, Network};
use devnet::{Node, NodeConfig, NodeHandle};
use std::path::PathBuf;
use std::sync::Mutex;

fn root() -> PathBuf {
    contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root")
}

struct Setup {
    node: NodeHandle,
    network: Network,
    record: PathBuf,
}

fn setup(tag: &str) -> Setup {
    let node = Node::spawn(NodeConfig::default()).expect("devnet starts");
    let mut network = network(&root(), "local").expect("networks.toml has local");
    network.rpc_url = node.url.clone();
    let record = std::env::temp_dir().join(format!(
        "options-deploy-{tag}-{}-{}.json",
        std::process::id(),
        node.addr.port()
    ));
    let _ = std::fs::remove_file(&record);
    Setup {
        node,
        network,
        record,
    }
}

fn key(node: &NodeHandle, i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&node.keys[i].private_key).unwrap()
}

fn deployer(s: &Setup, i: usize) -> Deployer {
    Deployer::connect(&s.node.url, key(&s.node, i)).unwrap()
}

/// The plan up to and including the registry proxy.
fn prefix(network: &Network) -> Vec<Entry> {
    let mut plan = protocol(network);
    let end = plan.iter().position(|e| e.name == "registry").unwrap() + 1;
    plan.truncate(end);
    plan
}

fn opts(s: &Setup, max_steps: Option<usize>) -> RunOptions {
    RunOptions {
        root: root(),
        record_path: s.record.clone(),
        max_steps,
    }
}

/// Runs the plan and returns the record and the names of the steps it sent.
async fn go(
    s: &Setup,
    plan: &[Entry],
    max_steps: Option<usize>,
) -> (Result<Record, RunError>, Vec<String>) {
    go_estimated(s, plan, max_steps, &Mutex::new(None)).await
}

/// [`go`], keeping the run's funds estimate.
async fn go_estimated(
    s: &Setup,
    plan: &[Entry],
    max_steps: Option<usize>,
    estimate: &Mutex<Option<FundsEstimate>>,
) -> (Result<Record, RunError>, Vec<String>) {
    let sent = Mutex::new(Vec::new());
    let progress = |p: &Progress| match p {
        Progress::Sending { step } => sent.lock().unwrap().push(step.clone()),
        Progress::Estimate(e) => *estimate.lock().unwrap() = Some(*e),
        _ => {}
    };
    let out = run(
        &deployer(s, 0),
        &s.network,
        plan,
        &opts(s, max_steps),
        &progress,
    )
    .await;
    (out, sent.into_inner().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn stopped_run_resumes_second_run_sends_nothing_and_upgrade_goes_through_governance() {
    let s = setup("resume");
    let plan = prefix(&s.network);

    let (stopped, sent) = go(&s, &plan, Some(4)).await;
    assert!(matches!(stopped, Err(RunError::Stopped(4))), "{stopped:?}");
    assert_eq!(sent.len(), 4);
    let partial = Record::load(&s.record).unwrap().expect("record written");
    assert_eq!(partial.steps.len(), 4, "each step recorded as it is done");

    let (done, resumed) = go(&s, &plan, None).await;
    let record = done.expect("resumes");
    assert_eq!(resumed.len(), plan.len() - 4, "only what was left is sent");
    assert_eq!(
        record.steps[..4],
        partial.steps[..],
        "recorded steps are kept as they were"
    );
    assert_eq!(
        record
            .steps
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        plan.iter().map(|e| e.name.as_str()).collect::<Vec<_>>()
    );
    assert!(record.steps.iter().all(|s| s.gas_used > 0));
    assert_eq!(record.chain_id, devnet::DEFAULT_CHAIN_ID);
    assert_eq!(record.toolchain, "1.95.0");

    let (again, none) = go(&s, &plan, None).await;
    assert!(none.is_empty(), "a second run sends nothing, sent {none:?}");
    assert_eq!(again.unwrap(), record);

    // The wiring as the chain sees it.
    let d = deployer(&s, 0);
    let registry = record.address("registry").unwrap();
    let governance = record.address("governance").unwrap();
    let admin = d
        .view(registry, abi::escrow::IEscrowRegistry::adminCall {})
        .await
        .unwrap();
    assert_eq!(admin, d.from());
    let proxy_admin = d
        .view(registry, abi::proxy::IUpgradeableProxy::proxyAdminCall {})
        .await
        .unwrap();
    assert_eq!(proxy_admin, governance, "governance administers the proxy");
    let signers = d
        .view(governance, abi::governance::IGovernance::getSignersCall {})
        .await
        .unwrap();
    assert_eq!(
        signers,
        s.network.governance.signer_addresses(record.deployer)
    );

    // Same build behind the proxy: nothing to upgrade.
    let signers: Vec<Deployer> = (0..3).map(|i| deployer(&s, i)).collect();
    let root = root();
    let up = || {
        upgrade(
            &signers, &s.network, &plan, &root, &s.record, "registry", true,
        )
    };
    let state = up().await.expect("checks the running build");
    let old = record.address("impl:escrow-registry").unwrap();
    assert_eq!(
        state,
        UpgradeState::UpToDate {
            implementation: old
        }
    );

    // An older build runs behind the proxy (another program's code stands in for it): the
    // upgrade deploys the current build, proposes, confirms with a second signer, advances the
    // clock past the timelock and executes.
    let token_code = d
        .provider()
        .get_code_at(record.address("impl:option-token").unwrap())
        .await
        .unwrap();
    d.provider()
        .raw_request::<_, serde_json::Value>(
            "anvil_setCode".into(),
            (old, Bytes::from(token_code.to_vec())),
        )
        .await
        .unwrap();
    let state = up().await.expect("upgrades");
    let UpgradeState::Executed { implementation, .. } = state else {
        panic!("not executed: {state:?}")
    };
    assert_ne!(implementation, old);
    let running = d
        .view(
            registry,
            abi::proxy::IUpgradeableProxy::proxyImplementationCall {},
        )
        .await
        .unwrap();
    assert_eq!(running, implementation);
    let admin = d
        .view(registry, abi::escrow::IEscrowRegistry::adminCall {})
        .await
        .unwrap();
    assert_eq!(admin, d.from(), "the proxy's storage survives the upgrade");
    let after = Record::load(&s.record).unwrap().unwrap();
    assert_eq!(after.address("impl:escrow-registry"), Some(implementation));
    assert_eq!(after.upgrades.len(), 1);
    assert!(after.upgrades[0].executed.is_some());
    assert_eq!(
        up().await.unwrap(),
        UpgradeState::UpToDate { implementation }
    );
    let _ = std::fs::remove_file(&s.record);
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_when_the_code_on_chain_differs_from_the_record() {
    let s = setup("mismatch");
    let plan = prefix(&s.network);
    let plan = &plan[..1];
    let record = go(&s, plan, None).await.0.expect("deploys governance");
    let governance = record.address("governance").unwrap();
    deployer(&s, 0)
        .provider()
        .raw_request::<_, serde_json::Value>(
            "anvil_setCode".into(),
            (governance, Bytes::from_static(&[0x60, 0x00])),
        )
        .await
        .unwrap();
    let (out, sent) = go(&s, plan, None).await;
    match out {
        Err(RunError::CodeMismatch { step, address, .. }) => {
            assert_eq!(step, "governance");
            assert_eq!(address, governance);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(sent.is_empty());
    let _ = std::fs::remove_file(&s.record);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_chain_node_down_and_no_funds_are_named_and_write_nothing() {
    let s = setup("failures");
    let plan = prefix(&s.network);

    let mut wrong = s.network.clone();
    wrong.chain_id = 421_614;
    let out = run(&deployer(&s, 0), &wrong, &plan, &opts(&s, None), &|_| {}).await;
    assert!(
        matches!(out, Err(RunError::WrongChain { expected: 421_614, actual, .. }) if actual == devnet::DEFAULT_CHAIN_ID),
        "{out:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = Deployer::connect(&url, key(&s.node, 0)).unwrap();
    let out = run(&down, &s.network, &plan, &opts(&s, None), &|_| {}).await;
    match out {
        Err(RunError::Deploy(DeployError::Unreachable(_))) => {}
        other => panic!("expected an unreachable node, got {other:?}"),
    }
    let message = RunError::Deploy(DeployError::Unreachable("x".into())).to_string();
    assert!(message.contains("cannot reach the node"));

    let broke = Deployer::connect(&s.node.url, PrivateKeySigner::random()).unwrap();
    let out = run(&broke, &s.network, &plan, &opts(&s, None), &|_| {}).await;
    let estimate = match out {
        Err(RunError::NoFunds {
            address, estimate, ..
        }) if address == broke.from() => estimate,
        other => panic!("expected a refusal for want of funds, got {other:?}"),
    };
    assert_eq!(estimate.balance, alloy::primitives::U256::ZERO);
    assert_eq!(estimate.steps, plan.len());
    assert!(estimate.gas > 0 && estimate.data_fees > alloy::primitives::U256::ZERO);

    // Some funds, but less than the estimate: refused before anything is sent, with the numbers.
    let short = estimate.total / alloy::primitives::U256::from(2);
    broke
        .provider()
        .raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (broke.from(), short))
        .await
        .unwrap();
    let sent = Mutex::new(0);
    let out = run(&broke, &s.network, &plan, &opts(&s, None), &|p| {
        if let Progress::Sending { .. } = p {
            *sent.lock().unwrap() += 1;
        }
    })
    .await;
    match out {
        Err(e @ RunError::NoFunds { .. }) => {
            let RunError::NoFunds { estimate, .. } = &e else {
                unreachable!()
            };
            assert_eq!(estimate.balance, short);
            let message = e.to_string();
            assert!(
                message.contains("gas") && message.contains("activation data fees"),
                "{message}"
            );
            // The message trims trailing zeros, so compare against the same short form.
            let balance = alloy::primitives::utils::format_ether(short);
            let balance = balance.trim_end_matches('0').trim_end_matches('.');
            assert!(
                message.contains(&format!("balance {balance} ETH")),
                "the balance is named: {message}"
            );
        }
        other => panic!("expected a refusal for want of funds, got {other:?}"),
    }
    assert_eq!(*sent.lock().unwrap(), 0, "nothing sent");
    assert!(!s.record.exists(), "no record written by a failed run");
}

/// The `options` binary: a malformed key is refused without being echoed.
#[test]
fn bad_key_is_refused_without_echoing_it() {
    let secret = "0xdeadbeefnotakey";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_options"))
        .args([
            "deploy",
            "--network",
            "local",
            "--rpc-url",
            "http://127.0.0.1:9",
        ])
        .env("PRIVATE_KEY", secret)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("PRIVATE_KEY is not a private key"),
        "{stderr}"
    );
    assert!(!stderr.contains("deadbeef") && !stdout.contains("deadbeef"));
}

/// An ethers.js user drives the deployment from its record (scripts/examples/ethers). Runs
/// where node and npm are installed; installs the pinned ethers with `npm ci` when needed.
#[tokio::test(flavor = "multi_thread")]
async fn ethers_example_drives_the_deployment() {
    let example = root().join("scripts/examples/ethers");
    let has = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("node") || !has("npm") {
        eprintln!("node/npm not installed: the ethers example is not run");
        return;
    }
    if !example.join("node_modules/ethers").exists() {
        let ci = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&example)
            .status()
            .unwrap();
        assert!(ci.success(), "npm ci in {}", example.display());
    }
    let s = setup("ethers");
    let plan = prefix(&s.network);
    let record = go(&s, &plan, None).await.0.expect("deploys");
    let out = std::process::Command::new("node")
        .arg("drive.mjs")
        .arg(&s.record)
        .env("RPC_URL", &s.node.url)
        .env(
            "PRIVATE_KEY",
            alloy::hex::encode_prefixed(s.node.keys[0].private_key),
        )
        .current_dir(&example)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let addr = |v: &serde_json::Value| {
        v.as_str()
            .unwrap()
            .parse::<alloy::primitives::Address>()
            .unwrap()
    };
    assert_eq!(seen["chainId"], devnet::DEFAULT_CHAIN_ID);
    let signers: Vec<_> = seen["governance"]["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(addr)
        .collect();
    assert_eq!(
        signers,
        s.network.governance.signer_addresses(record.deployer)
    );
    assert_eq!(addr(&seen["registry"]["admin"]), record.deployer);
    assert_eq!(
        addr(&seen["registry"]["proxyAdmin"]),
        record.address("governance").unwrap()
    );
    assert_eq!(
        addr(&seen["registry"]["implementation"]),
        record.address("impl:escrow-registry").unwrap()
    );
    assert_eq!(seen["refusal"]["name"], "Unauthorized");
    let _ = std::fs::remove_file(&s.record);
}

/// The whole plan: every contract deployed, initialised and wired, governance admin of every
/// parameter and proxy, the escrow the factory's (and so every series') minter.
#[tokio::test(flavor = "multi_thread")]
async fn whole_protocol_deploys_and_wires() {
    use abi::escrow::{ICollateralEscrow, IMarginEngine};
    use abi::option_factory::IOptionFactory;
    use abi::proxy::IUpgradeableProxy;
    let s = setup("whole");
    let plan = protocol(&s.network);
    let d = deployer(&s, 0);
    let before = d.provider().get_balance(d.from()).await.unwrap();
    let estimate = Mutex::new(None);
    let record = go_estimated(&s, &plan, None, &estimate)
        .await
        .0
        .expect("deploys the protocol");
    // The estimate covers what the deployment cost, without being wildly above it.
    let spent = before - d.provider().get_balance(d.from()).await.unwrap();
    let estimate = estimate
        .into_inner()
        .unwrap()
        .expect("an estimate was reported");
    assert_eq!(estimate.steps, plan.len());
    assert!(
        estimate.total >= spent && estimate.total <= spent * alloy::primitives::U256::from(4),
        "estimate {estimate} for {spent} wei spent"
    );
    let at = |name: &str| record.address(name).unwrap();
    let governance = at("governance");
    for (proxy, implementation) in deploy::plan::PROXIES {
        let p = at(proxy);
        assert_eq!(
            d.view(p, IUpgradeableProxy::proxyAdminCall {})
                .await
                .unwrap(),
            governance,
            "{proxy}: governance administers the proxy"
        );
        assert_eq!(
            d.view(p, IUpgradeableProxy::proxyImplementationCall {})
                .await
                .unwrap(),
            at(implementation),
            "{proxy}"
        );
    }
    for parameters in ["factory", "registry", "oracle", "expiry-oracle"] {
        assert_eq!(
            d.view(at(parameters), IOptionFactory::adminCall {})
                .await
                .unwrap(),
            governance,
            "{parameters}: governance holds the parameters"
        );
    }
    let escrow = at("escrow");
    assert_eq!(
        d.view(at("factory"), IOptionFactory::escrowCall {})
            .await
            .unwrap(),
        escrow,
        "the escrow is the factory's minter"
    );
    assert_eq!(
        d.view(escrow, ICollateralEscrow::engineCall {})
            .await
            .unwrap(),
        at("engine")
    );
    assert_eq!(
        d.view(at("engine"), IMarginEngine::escrowCall {})
            .await
            .unwrap(),
        escrow
    );
    let (again, sent) = go(&s, &plan, None).await;
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(again.unwrap(), record);
    let _ = std::fs::remove_file(&s.record);
}
