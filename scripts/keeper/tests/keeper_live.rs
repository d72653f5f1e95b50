//! The deployment's real shape: the `devnet` node and the keeper (`options keeper`) as separate
//! processes, built by cargo, talking JSON-RPC over loopback. The protocol is deployed on the
//! node, a naked put is written, the price crashes; the keeper process, holding only USDC,
//! writes options in its own vault and liquidates the put once the auction pays. Then both
//! processes are stopped the way an operator would: the keeper by its kill file, the node by
//! SIGTERM, each exiting successfully.

mod common;

use common::*;
use e2e::Harness;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).unwrap()
}

/// `cargo build -p <package> --bin <bin>` (debug), returning the binary's path.
fn build(package: &str, bin: &str) -> PathBuf {
    let root = root();
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "-p", package, "--bin", bin])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "{bin} builds");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("debug").join(bin)
}

/// A child process killed if the test fails before stopping it.
struct Process(Option<Child>);

impl Process {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }

    /// Waits up to `limit` for the process to exit by itself.
    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child().try_wait().unwrap() {
                self.0 = None;
                return status;
            }
            assert!(Instant::now() < deadline, "did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `devnet` on a free loopback port; its URL and dev keys, read from what it prints.
fn start_node(bin: &Path) -> (Process, Harness) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(bin)
        .args(["--port", &port.to_string(), "--accounts", "10"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("devnet starts");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut keys = Vec::new();
    let mut in_keys = false;
    for line in out.by_ref() {
        let line = line.unwrap();
        if line.starts_with("Private Keys") {
            in_keys = true;
        } else if in_keys && line.starts_with('(') {
            let key = line.split_whitespace().nth(1).unwrap();
            keys.push(key.parse().expect("a private key"));
        } else if line.starts_with("Wallet") {
            in_keys = false;
        } else if line.starts_with("Listening on") {
            break;
        }
    }
    assert!(keys.len() >= 10, "the node printed its dev keys");
    // The node prints on to the end ("Shutting down"): its stdout stays drained.
    std::thread::spawn(move || out.for_each(drop));
    let harness = Harness {
        url: format!("http://127.0.0.1:{port}"),
        keys,
        node: None,
    };
    (Process(Some(child)), harness)
}

fn signal(p: &mut Process, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &p.child().id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_process_liquidates_on_a_devnet_process() {
    let devnet = build("devnet", "devnet");
    let options = build("scripts", "options");
    let (mut node, harness) = start_node(&devnet);
    let w = world(harness).await;
    let writer = w.harness.deployer(3);
    let keeper = w.harness.deployer(4);
    w.set_price(2_000).await;
    // 1,100 USDC required at S=2000; 1,200 deposited.
    w.open(&writer, true, usdc(1_200), 1).await;
    send(
        &keeper,
        w.usdc,
        IMockERC20::mintCall {
            to: keeper.from(),
            value: usdc(2_000),
        },
    )
    .await;

    let state = temp("live");
    std::fs::create_dir_all(&state).unwrap();
    let kill = state.join("STOP");
    let log_path = state.join("keeper.log");
    let key = format!("0x{}", alloy::hex::encode(w.harness.keys[4].to_bytes()));
    let mut process = Process(Some(
        Command::new(&options)
            .current_dir(root())
            .env("PRIVATE_KEY", key)
            .args(["keeper", "-n", "local", "--rpc-url", &w.harness.url])
            .arg("--record")
            .arg(&w.record)
            .arg("--state-dir")
            .arg(state.join("state"))
            .arg("--kill-file")
            .arg(&kill)
            .args(["--confirmations", "0", "--poll-ms", "200"])
            // Gas at 3000 USDC per ETH; at least 1 USDC of profit.
            .args(["--native-price", "3000000000000000000000"])
            .args(["--min-profit", "1000000000000000000"])
            // The keeper logs on stderr.
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("the keeper starts"),
    ));
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let wait_for = |what: &str, limit: Duration, done: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + limit;
        while !done(&log()) {
            assert!(
                Instant::now() < deadline,
                "no {what} within {limit:?}:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_for("first tick", Duration::from_secs(120), &|l| {
        l.contains("event=block")
    });

    // The crash (S=1000: 1,550 required); 15 minutes later the auction pays 1,012.5 per put.
    advance(&w.provider, 60).await;
    w.set_price(1_000).await;
    wait_for("auction_wait", Duration::from_secs(120), &|l| {
        l.contains("event=auction_wait")
    });
    assert_eq!(w.short_of(writer.from(), 1).await.1, e18(1));
    advance(&w.provider, 900).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    while w.short_of(writer.from(), 1).await.1 != alloy::primitives::U256::ZERO {
        assert!(Instant::now() < deadline, "not liquidated:\n{}", log());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Written in the keeper's own full vault, then repaid.
    assert_eq!(w.short_of(keeper.from(), 1).await, (usdc(2_000), e18(1)));
    let l = log();
    assert!(l.contains("event=writing_options"), "{l}");
    assert!(l.contains("event=liquidating"), "{l}");

    std::fs::write(&kill, b"").unwrap();
    let status = process.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "keeper exit: {status}");
    assert!(log().contains("event=keeper_stop"));
    signal(&mut node, "TERM");
    let status = node.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "devnet exit: {status}");
    println!(
        "live: keeper process liquidated on a devnet process; log lines {}",
        log().lines().count()
    );
}
