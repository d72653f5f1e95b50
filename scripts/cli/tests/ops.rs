//! The operation subcommands on one deployment of the whole protocol (deploying takes minutes
//! in debug, so every check shares it, in order): the `options` binary creates a series, opens
//! a vault, deposits and mints, and prints a rejected withdrawal as the escrow's custom error;
//! `status` shows the series and the vault with its health; an encrypted keystore signs; the
//! demo's story (liquidation by auction, expiry price, settlement, redemption) runs through the
//! library on the same deployment and `status` shows where it ended; `verify` passes on the
//! deployment and names what was tampered with.

use abi::erc20::IERC20;
use abi::escrow::ICollateralEscrow;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use deploy::network::network;
use deploy::Deployer;
use devnet::{Node, NodeConfig, NodeHandle};
use scripts::deploy::{deploy, verify, DeployArgs};
use scripts::target::Target;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

alloy::sol! {
    /// The mock tokens' public faucet.
    function mint(address to, uint256 value) external;
}

fn root() -> PathBuf {
    contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root")
}

fn key(node: &NodeHandle, i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&node.keys[i].private_key).unwrap()
}

fn target(node: &NodeHandle, record: &Path, i: usize) -> Target {
    let mut network = network(&root(), "local").unwrap();
    network.rpc_url = node.url.clone();
    Target {
        url: node.url.clone(),
        record_path: record.to_path_buf(),
        network,
        signer: key(node, i),
        node: None,
        json: false,
    }
}

struct Cli<'a> {
    node: &'a NodeHandle,
    record: &'a Path,
}

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Output {
    fn json(&self) -> Value {
        assert!(self.ok, "the command failed: {}", self.stderr);
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Cli<'_> {
    /// `options <before…> --network local --rpc-url … --record … <after…>` as dev account `i`.
    fn run(&self, i: usize, before: &[&str], after: &[&str]) -> Output {
        let key = alloy::hex::encode_prefixed(self.node.keys[i].private_key);
        self.run_env(before, after, &[("PRIVATE_KEY", key.as_str())], &[])
    }

    fn run_env(
        &self,
        before: &[&str],
        after: &[&str],
        env: &[(&str, &str)],
        extra: &[&str],
    ) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_options"))
            .args(before)
            .args([
                "--network",
                "local",
                "--rpc-url",
                &self.node.url,
                "--record",
            ])
            .arg(self.record)
            .args(extra)
            .args(after)
            .env_remove("PRIVATE_KEY")
            .env_remove("KEYSTORE_PASSWORD")
            .env_remove("KEYSTORE_PASSWORD_FILE")
            .envs(env.iter().copied())
            .current_dir(root())
            .output()
            .unwrap();
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

async fn send(d: &Deployer, to: Address, call: impl alloy::sol_types::SolCall) {
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(to)
        .from(d.from())
        .input(Bytes::from(call.abi_encode()).into());
    d.send(tx).await.unwrap();
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

#[test]
fn operations_status_keystore_demo_and_verify_on_one_deployment() {
    let node = Node::spawn(NodeConfig::default()).expect("devnet starts");
    let record = std::env::temp_dir().join(format!(
        "options-ops-{}-{}.json",
        std::process::id(),
        node.addr.port()
    ));
    let _ = std::fs::remove_file(&record);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = target(&node, &record, 0);
    let deployed = runtime
        .block_on(deploy(&root(), &admin, &DeployArgs::default()))
        .expect("the protocol deploys");
    let at = |n: &str| deployed.address(n).unwrap();
    let (weth, escrow) = (at("mock-token:WETH"), at("escrow"));
    let cli = Cli {
        node: &node,
        record: &record,
    };
    let writer = Deployer::connect(&node.url, key(&node, 3)).unwrap();
    runtime.block_on(send(
        &writer,
        weth,
        mintCall {
            to: writer.from(),
            value: e18(10),
        },
    ));

    // A series, through the binary: the next 08:00 UTC at least two days ahead.
    let now = runtime
        .block_on(async {
            writer
                .provider()
                .get_block_by_number(Default::default())
                .await
        })
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let expiry = ((now + 2 * 86_400) / 86_400 * 86_400 + 28_800).to_string();
    let (weth_s, usdc_s) = (weth.to_string(), at("mock-token:USDC").to_string());
    let created = cli
        .run(
            3,
            &["series"],
            &[
                "--json",
                "create",
                "--underlying",
                &weth_s,
                "--strike-asset",
                &usdc_s,
                "--collateral",
                &weth_s,
                "--strike",
                "2500",
                "--expiry",
                &expiry,
            ],
        )
        .json();
    let option: Address = created["token"].as_str().unwrap().parse().unwrap();
    let option_s = option.to_string();
    let listed = cli.run(3, &["series"], &["list"]);
    assert!(listed.ok, "{}", listed.stderr);
    assert!(
        listed.stdout.contains(&option_s) && listed.stdout.contains("2500"),
        "{}",
        listed.stdout
    );

    // A covered call vault: open, deposit 2 WETH, mint 1.5 calls.
    let opened = cli.run(3, &["vault"], &["--json", "open", &weth_s]).json();
    assert_eq!(opened["vault"], "0x1");
    for step in [
        vec!["deposit", "1", &weth_s, "2"],
        vec!["mint", "1", &option_s, "1.5"],
    ] {
        let out = cli.run(3, &["vault"], &step);
        assert!(out.ok, "{step:?}: {}", out.stderr);
    }
    let vault = runtime
        .block_on(writer.view(
            escrow,
            ICollateralEscrow::getVaultCall {
                owner: writer.from(),
                vaultId: U256::from(1),
            },
        ))
        .unwrap();
    assert_eq!(vault.collateral, e18(2));
    assert_eq!(vault.shortOption, option);
    assert_eq!(vault.shortAmount, e18(3) / U256::from(2));
    let held = runtime
        .block_on(writer.view(
            option,
            IERC20::balanceOfCall {
                account: writer.from(),
            },
        ))
        .unwrap();
    assert_eq!(held, e18(3) / U256::from(2), "the calls went to the writer");

    // Withdrawing more than the vault holds: refused, the escrow's error decoded with values.
    let refused = cli.run(3, &["vault"], &["withdraw", "1", &weth_s, "5"]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("InsufficientVaultBalance")
            && refused.stderr.contains(&e18(5).to_string())
            && refused.stderr.contains(&e18(2).to_string()),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("unknown custom error"));
    // Liquidating a safe vault: refused before anything is sent, with the engine's reason.
    let preview = cli.run(
        4,
        &["liquidate"],
        &[&writer.from().to_string(), "1", "1", "--preview"],
    );
    assert!(!preview.ok);
    assert!(
        preview.stderr.contains("VaultNotLiquidatable"),
        "{}",
        preview.stderr
    );

    // `status`: the series with its open interest, the vault with its health.
    let status = cli.run(3, &["status", "--json"], &[]).json();
    let series = status["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token"] == option_s.to_lowercase() || s["token"] == option_s)
        .expect("the series is listed");
    assert_eq!(series["totalSupply"], "1.5");
    assert_eq!(series["expiryPrice"], "live");
    assert_eq!(series["strike"], "2500");
    let vaults = status["vaults"].as_array().unwrap();
    assert_eq!(vaults.len(), 1);
    assert_eq!(vaults[0]["health"], "safe");
    assert_eq!(vaults[0]["collateral"], "2");
    assert_eq!(vaults[0]["shortAmount"], "1.5");
    assert_eq!(vaults[0]["collateralSymbol"], "WETH");
    let text = cli.run(3, &["status"], &[]);
    assert!(text.ok, "{}", text.stderr);
    let row = text
        .stdout
        .lines()
        .find(|l| l.contains(" safe") || l.ends_with("safe"))
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(row.contains("2 WETH") && row.contains("1.5 "), "{row}");

    // An encrypted keystore signs (password from the environment, then from a file); a wrong
    // password is refused without echoing anything.
    let dir = std::env::temp_dir().join(format!("options-ops-keystore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keystore = dir.join("key.json");
    let password = "correct horse battery";
    let signer = key(&node, 6);
    PrivateKeySigner::encrypt_keystore(
        &dir,
        &mut rand::thread_rng(),
        signer.to_bytes(),
        password,
        Some("key.json"),
    )
    .unwrap();
    let keystore_s = keystore.to_str().unwrap();
    let with_keystore = |env: &[(&str, &str)]| {
        cli.run_env(
            &["vault"],
            &["--json", "open", &weth_s],
            env,
            &["--keystore", keystore_s],
        )
    };
    let out = with_keystore(&[("KEYSTORE_PASSWORD", password)]).json();
    assert_eq!(out["vault"], "0x1");
    let password_file = dir.join("password");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let out = with_keystore(&[("KEYSTORE_PASSWORD_FILE", password_file.to_str().unwrap())]).json();
    assert_eq!(out["vault"], "0x2", "a second vault, by the same key");
    let count = runtime
        .block_on(writer.view(
            escrow,
            ICollateralEscrow::vaultCountCall {
                owner: signer.address(),
            },
        ))
        .unwrap();
    assert_eq!(count, U256::from(2), "the keystore's account owns them");
    let wrong = with_keystore(&[("KEYSTORE_PASSWORD", "wrong horse")]);
    assert!(!wrong.ok);
    assert!(
        wrong.stderr.contains("cannot decrypt the keystore"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("wrong horse") && !wrong.stdout.contains("wrong horse"));
    std::fs::remove_dir_all(&dir).unwrap();

    // The demo's story on this deployment: liquidation, expiry price, settlement, redemption.
    let story = runtime.block_on(scripts::demo::story(&admin, &deployed));
    assert_eq!(story.stopped, None, "{}", scripts::demo::text(&story));
    let after = runtime.block_on(scripts::ops_cli::status(&admin)).unwrap();
    let put = after
        .series
        .iter()
        .find(|s| s.is_put)
        .expect("the demo's put");
    assert_eq!(
        put.expiry_price, "1500 (final)",
        "the proven expiry price, past its dispute period"
    );
    assert_eq!(put.total_supply, "0", "liquidated or redeemed: none left");
    let ours = after
        .series
        .iter()
        .find(|s| s.token == option)
        .expect("our call");
    assert_eq!(
        ours.expiry_price, put.expiry_price,
        "one expiry price per underlying and expiry"
    );
    let mine = after
        .vaults
        .iter()
        .find(|v| v.owner == writer.from())
        .expect("our covered call vault");
    assert_eq!(mine.health, "expired", "awaiting settlement: {mine:?}");
    assert_eq!(mine.requirement, "-");
    let bob = key(&node, 2).address();
    let bobs = after
        .vaults
        .iter()
        .find(|v| v.owner == bob)
        .expect("bob's naked put vault");
    assert!(bobs.naked);
    assert_eq!(bobs.health, "empty", "settled: {bobs:?}");
    assert_eq!(
        after.vaults.len(),
        5,
        "ours, the keystore's two, the demo's two"
    );

    // `verify`: the deployment as recorded and as built passes...
    let checks = runtime.block_on(verify(&root(), &admin)).unwrap();
    assert!(checks.iter().all(|c| c.ok), "{checks:#?}");
    assert!(checks.iter().any(|c| c.step == "escrow"));
    // ...and names what was tampered with: the code of an implementation, and the
    // implementation slot of a proxy.
    let d = Deployer::connect(&node.url, key(&node, 0)).unwrap();
    let token_code = runtime
        .block_on(async { d.provider().get_code_at(at("impl:option-token")).await })
        .unwrap();
    runtime
        .block_on(d.provider().raw_request::<_, Value>(
            "anvil_setCode".into(),
            (at("impl:margin-engine"), token_code),
        ))
        .unwrap();
    runtime
        .block_on(d.provider().raw_request::<_, Value>(
            "anvil_setStorageAt".into(),
            (
                at("registry"),
                abi::proxy::IMPLEMENTATION_SLOT,
                B256::left_padding_from(at("impl:option-token").as_slice()),
            ),
        ))
        .unwrap();
    let checks = runtime.block_on(verify(&root(), &admin)).unwrap();
    let failed: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
    let engine = failed
        .iter()
        .find(|c| c.step == "impl:margin-engine")
        .expect("the engine's implementation is reported");
    assert!(engine.problems.iter().any(|p| p.contains("recorded code")));
    let registry = failed
        .iter()
        .find(|c| c.step == "registry")
        .expect("the registry proxy is reported");
    assert!(
        registry
            .problems
            .iter()
            .any(|p| p.contains("runs implementation")),
        "{registry:?}"
    );
    assert_eq!(failed.len(), 2, "nothing else: {failed:#?}");
    let table = scripts::deploy::verify_table(&checks);
    assert!(table.contains("DIFFERS: runs implementation"), "{table}");
    let _ = std::fs::remove_file(&record);
}
