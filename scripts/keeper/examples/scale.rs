//! How the keeper's own cost grows with the number of vaults (1, 100, 10,000): applying their
//! events to the view, saving and loading the checkpoint (binary, and the JSON form it replaced),
//! one health pass over every naked vault after a price update, and the ticks per second the
//! local work allows when every tick brings a price move and a block of events to checkpoint (the
//! RPC calls come on top: their number depends on the underlyings and the vaults in trouble, not
//! on the vaults in all).
//!
//! `cargo run -p keeper --release --example scale`

use abi::escrow::{ICollateralEscrow as Escrow, VAULT_NAKED};
use abi::option_factory::IOptionFactory as Factory;
use alloy::primitives::{Address, LogData, B256, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use keeper::follower::Checkpoint;
use keeper::health::{assess, Risk, Spot};
use keeper::snapshot;
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
        "{:>7} {:>8} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10} {:>8}",
        "vaults",
        "events",
        "apply ms",
        "bin save",
        "bin load",
        "bin KB",
        "json save",
        "json load",
        "json KB",
        "health ms",
        "ticks/s"
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
        let state = Checkpoint {
            next_block: 3 + n,
            view: view.clone(),
        };
        let dir = std::env::temp_dir().join(format!("keeper-scale-{}", std::process::id()));
        let (bin, json) = (dir.join("checkpoint.bin"), dir.join("checkpoint.json"));
        let t = Instant::now();
        snapshot::save(&bin, &state).unwrap();
        let bin_save = t.elapsed();
        let bin_size = std::fs::metadata(&bin).unwrap().len();
        let t = Instant::now();
        let loaded = snapshot::load(&bin).unwrap().unwrap();
        let bin_load = t.elapsed();
        assert_eq!(loaded, state);
        let t = Instant::now();
        keeper::checkpoint::save(&json, &state).unwrap();
        let json_save = t.elapsed();
        let json_size = std::fs::metadata(&json).unwrap().len();
        let t = Instant::now();
        let loaded: Checkpoint = keeper::checkpoint::load(&json).unwrap().unwrap();
        let json_load = t.elapsed();
        assert_eq!(loaded, state);
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
        // A tick's local work when a price moved and a block of events came: the events applied
        // (one vault's batch), every naked vault reassessed, the checkpoint written.
        let block = 3 + n;
        let owner = Address::from_word(B256::from(U256::from(1_000u64)));
        let batch = [
            log(
                &Escrow::CollateralDeposited {
                    owner,
                    vaultId: U256::from(1),
                    asset: usdc,
                    from: owner,
                    amount: U256::from(1_000_000u64),
                },
                block,
                0,
            ),
            log(
                &Escrow::ShortMinted {
                    owner,
                    vaultId: U256::from(1),
                    option,
                    to: owner,
                    amount: U256::from(1_000u64),
                },
                block,
                1,
            ),
        ];
        let mut state = state;
        let ticks = 5u32;
        let t = Instant::now();
        for i in 0..ticks {
            let mut b = batch.clone();
            for l in &mut b {
                l.block_number = Some(block + u64::from(i));
            }
            for l in &b {
                state.view.apply(l).expect("event applies");
            }
            state.next_block = block + u64::from(i) + 1;
            let mut assessed = 0usize;
            for (_, v) in state.view.naked_shorts() {
                let s = &state.view.series[&v.short];
                assess(v, s, spot, expiry - 86_400, &risk, scale, 1_000).unwrap();
                assessed += 1;
            }
            assert_eq!(assessed as u64, n);
            snapshot::save(&bin, &state).unwrap();
        }
        let per_tick = t.elapsed() / ticks;
        std::fs::remove_dir_all(&dir).unwrap();
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>7} {:>8} {:>10.3} {:>10.3} {:>10.3} {:>9.1} {:>10.3} {:>10.3} {:>9.1} {:>10.3} {:>8.0}",
            n,
            logs.len(),
            ms(apply),
            ms(bin_save),
            ms(bin_load),
            bin_size as f64 / 1024.0,
            ms(json_save),
            ms(json_load),
            json_size as f64 / 1024.0,
            ms(health),
            1.0 / per_tick.as_secs_f64()
        );
    }
}
