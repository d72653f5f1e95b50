//! How the keeper's own cost grows with the number of vaults (1, 100, 10,000): applying their
//! events to the view, saving and loading the checkpoint, and one health pass over every naked
//! vault after a price update (the work a tick does on top of its RPC calls, whose number depends
//! on the underlyings and the vaults in trouble, not on the vaults in all).
//!
//! `cargo run -p keeper --release --example scale`

use abi::escrow::{ICollateralEscrow as Escrow, VAULT_NAKED};
use abi::option_factory::IOptionFactory as Factory;
use alloy::primitives::{Address, LogData, B256, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use keeper::health::{assess, Risk, Spot};
use keeper::view::View;
use std::time::Instant;

fn log<E: SolEvent>(event: &E, block: u64, index: u64) -> Log {
    Log {
        inner: alloy::primitives::Log {
            address: Address::ZERO,
            data: LogData::new_unchecked(
                event.encode_topics().into_iter().map(|t| t.0).collect(),
                event.encode_data().into(),
            ),
        },
        block_number: Some(block),
        log_index: Some(index),
        ..Log::default()
    }
}

fn main() {
    let wad = U256::from(abi::PRICE_SCALE);
    let (weth, usdc, option) = (
        Address::repeat_byte(1),
        Address::repeat_byte(2),
        Address::repeat_byte(3),
    );
    let expiry = 1_800_028_800u64;
    println!(
        "{:>7} {:>10} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "vaults", "events", "apply ms", "save ms", "load ms", "health ms", "ckpt KB"
    );
    for n in [1u64, 100, 10_000] {
        let mut logs = vec![log(
            &Factory::SeriesCreated {
                token: option,
                productId: B256::ZERO,
                expiry,
                underlying: weth,
                strikeAsset: usdc,
                collateral: usdc,
                isPut: true,
                strikePrice: U256::from(2_000u64) * wad,
                index: U256::ZERO,
                creator: Address::ZERO,
            },
            1,
            0,
        )];
        for i in 0..n {
            let owner = Address::from_word(B256::from(U256::from(i + 1_000)));
            let id = U256::from(1);
            let block = 2 + i;
            logs.push(log(
                &Escrow::VaultOpened {
                    owner,
                    vaultId: id,
                    vaultType: VAULT_NAKED,
                },
                block,
                0,
            ));
            logs.push(log(
                &Escrow::CollateralDeposited {
                    owner,
                    vaultId: id,
                    asset: usdc,
                    from: owner,
                    amount: U256::from(1_100_000_000u64 + i * 1_000_000),
                },
                block,
                1,
            ));
            logs.push(log(
                &Escrow::ShortMinted {
                    owner,
                    vaultId: id,
                    option,
                    to: owner,
                    amount: wad,
                },
                block,
                2,
            ));
        }
        let t = Instant::now();
        let mut view = View::default();
        for l in &logs {
            view.apply(l).expect("event applies");
        }
        let times = view
            .blocks_missing_time()
            .into_iter()
            .map(|b| (b, 1_700_000_000))
            .collect();
        view.set_block_times(&times);
        let apply = t.elapsed();
        let path = std::env::temp_dir().join(format!("keeper-scale-{}.json", std::process::id()));
        let t = Instant::now();
        keeper::checkpoint::save(&path, &view).unwrap();
        let save = t.elapsed();
        let size = std::fs::metadata(&path).unwrap().len();
        let t = Instant::now();
        let loaded: View = keeper::checkpoint::load(&path).unwrap().unwrap();
        let load = t.elapsed();
        assert_eq!(loaded, view);
        std::fs::remove_file(&path).unwrap();
        let risk = Risk::from_packed(
            wad / U256::from(2),
            &[abi::escrow::pack_bucket(30 * 86_400, wad / U256::from(10))],
            3_600,
            wad / U256::from(20),
        );
        let spot = Spot {
            price: U256::from(1_000u64) * wad,
            updated_at: 1_700_000_100,
        };
        let scale = U256::from(1_000_000_000_000u64);
        let t = Instant::now();
        let mut unsafe_vaults = 0;
        for (_, v) in view.naked_shorts() {
            let s = &view.series[&v.short];
            let h = assess(v, s, spot, expiry - 86_400, &risk, scale, 1_000).unwrap();
            unsafe_vaults += usize::from(h.collateral < h.requirement);
        }
        let health = t.elapsed();
        assert_eq!(unsafe_vaults as u64, n.min(450));
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>7} {:>10} {:>12.3} {:>12.3} {:>12.3} {:>12.3} {:>10.1}",
            n,
            logs.len(),
            ms(apply),
            ms(save),
            ms(load),
            ms(health),
            size as f64 / 1024.0
        );
    }
}
