//! The rules' world read from the chain: the registry, the oracles, the factory and the series
//! tokens, by static calls encoded and decoded by hand (every answer is a tuple of static words),
//! with a per-call cache so a batch reads each answer once.

use crate::rules::{CollateralConfig, Env, Series};
use crate::{reverted, EscrowError};
use abi::escrow::{unpack_bucket, ICollateralEscrow as I, IEscrowRegistry};
use abi::option_factory::verified_series;
use abi::oracle::IOracleAdapter;
use abi::words::{self, Word};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use margin::AuctionParams;
use stylus_sdk::prelude::*;

type Result<T> = core::result::Result<T, EscrowError>;

/// A static call of `selector(words...)` whose answer is at least `n` static words.
pub fn view<H: Host + ?Sized>(
    host: &H,
    target: Address,
    selector: [u8; 4],
    args: &[B256],
    n: usize,
) -> Result<Vec<U256>> {
    let out = static_call(host, Call::new(), target, &words::error(selector, args))
        .map_err(|e| reverted(target, &Vec::<u8>::from(e)))?;
    if out.len() < 32 * n {
        return Err(reverted(target, &out));
    }
    Ok(out
        .chunks_exact(32)
        .take(n)
        .map(U256::from_be_slice)
        .collect())
}

fn address_of(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

/// `seriesInfo`'s words.
fn series_of(w: &[U256]) -> Series {
    Series {
        underlying: address_of(w[0]),
        strike_asset: address_of(w[1]),
        collateral: address_of(w[2]),
        is_put: !w[3].is_zero(),
        strike: w[4],
        expiry: w[5].saturating_to(),
    }
}

/// Length of [`Chain::known`]: two counts and three entries of seven words (a vault's short and
/// long series and its collateral asset).
pub const KNOWN_WORDS: usize = 23;

/// Naked-margin and auction parameters of one underlying.
#[derive(Clone)]
struct Risk {
    underlying: Address,
    shock: U256,
    buckets: Vec<(u64, U256)>,
    auction: AuctionParams,
}

/// Pause flags and configuration of one collateral asset.
#[derive(Clone, Copy)]
struct Params {
    asset: Address,
    partially_paused: bool,
    fully_paused: bool,
    config: CollateralConfig,
}

/// Where the rules' answers come from.
#[derive(Clone, Copy)]
pub struct Sources {
    pub registry: Address,
    pub oracle: Address,
    pub expiry_oracle: Address,
    pub factory: Address,
}

/// [`Env`] over static calls. Exposure changes are collected in [`Chain::exposures`] for the
/// contract to write back once the rules have passed.
pub struct Chain<'a, H: Host + ?Sized> {
    host: &'a H,
    sources: Sources,
    /// Current naked exposure of a collateral asset (the escrow's storage).
    exposure: &'a dyn Fn(Address) -> U256,
    /// Spot for new exposure: `getMintPrice` (with the oracle's circuit breaker), not `getPrice`.
    pub mint_price: bool,
    pub exposures: Vec<(Address, U256)>,
    series: Vec<(Address, Series)>,
    params: Vec<Params>,
    risk: Option<Risk>,
}

impl<'a, H: Host + ?Sized> Chain<'a, H> {
    pub fn new(host: &'a H, sources: Sources, exposure: &'a dyn Fn(Address) -> U256) -> Self {
        Self {
            host,
            sources,
            exposure,
            mint_price: false,
            exposures: Vec::new(),
            series: Vec::new(),
            params: Vec::new(),
            risk: None,
        }
    }

    fn params(&mut self, asset: Address) -> Result<Params> {
        if let Some(p) = self.params.iter().find(|p| p.asset == asset) {
            return Ok(*p);
        }
        let w = view(
            self.host,
            self.sources.registry,
            IEscrowRegistry::collateralParametersCall::SELECTOR,
            &[asset.word()],
            6,
        )?;
        let p = self.params_of(asset, &w);
        self.params.push(p);
        Ok(p)
    }

    /// Fails with `SystemPaused` under a full pause, and under a partial one if
    /// `stopped_by_partial`.
    pub fn not_paused(&mut self, asset: Address, stopped_by_partial: bool) -> Result<()> {
        let p = self.params(asset)?;
        if p.fully_paused || (p.partially_paused && stopped_by_partial) {
            return Err(EscrowError::from(I::SystemPaused {
                partiallyPaused: p.partially_paused,
                fullyPaused: p.fully_paused,
            }));
        }
        Ok(())
    }

    /// The series and collateral parameters read so far, as words for [`Chain::preload`]: the
    /// number of series and of assets, then per series its address and `seriesInfo` words, then
    /// per asset its address and `collateralParameters` words, as many as fit (the engine reads
    /// the rest itself). The engine checking the batch the escrow has just read need not ask the
    /// factory and the registry again.
    pub fn known(&self) -> [B256; KNOWN_WORDS] {
        let mut w = [B256::ZERO; KNOWN_WORDS];
        let mut entries = w[2..].chunks_exact_mut(7);
        let mut counts = [0u64; 2];
        for (option, s) in &self.series {
            let Some(e) = entries.next() else { break };
            e.copy_from_slice(&[
                option.word(),
                s.underlying.word(),
                s.strike_asset.word(),
                s.collateral.word(),
                s.is_put.word(),
                s.strike.word(),
                s.expiry.word(),
            ]);
            counts[0] += 1;
        }
        for p in &self.params {
            let Some(e) = entries.next() else { break };
            let c = &p.config;
            e.copy_from_slice(&[
                p.asset.word(),
                p.partially_paused.word(),
                p.fully_paused.word(),
                c.scale.word(),
                c.naked_cap.word(),
                c.dust.word(),
                c.resumed_at.word(),
            ]);
            counts[1] += 1;
        }
        w[0] = counts[0].word();
        w[1] = counts[1].word();
        w
    }

    /// Takes answers from [`Chain::known`] instead of asking for them. Only for a view whose
    /// verdict goes back to the caller that supplied them (the engine's `checkVault`, asked by
    /// the escrow): a caller that lies misleads only itself.
    pub fn preload(&mut self, w: &[U256; KNOWN_WORDS]) {
        let series: usize = w[0].saturating_to();
        let assets: usize = w[1].saturating_to();
        let mut entries = w[2..].chunks_exact(7);
        for e in entries.by_ref().take(series) {
            self.series.push((address_of(e[0]), series_of(&e[1..])));
        }
        for e in entries.take(assets) {
            let p = self.params_of(address_of(e[0]), &e[1..]);
            self.params.push(p);
        }
    }

    /// `collateralParameters`' words.
    fn params_of(&self, asset: Address, w: &[U256]) -> Params {
        Params {
            asset,
            partially_paused: !w[0].is_zero(),
            fully_paused: !w[1].is_zero(),
            config: CollateralConfig {
                scale: w[2],
                naked_cap: w[3],
                naked_exposure: (self.exposure)(asset),
                dust: w[4],
                resumed_at: w[5].saturating_to(),
            },
        }
    }

    fn risk_params(&mut self, underlying: Address) -> Result<Risk> {
        if let Some(r) = self.risk.as_ref().filter(|r| r.underlying == underlying) {
            return Ok(r.clone());
        }
        let w = view(
            self.host,
            self.sources.registry,
            IEscrowRegistry::riskParametersCall::SELECTOR,
            &[underlying.word()],
            19,
        )?;
        let r = Risk {
            underlying,
            shock: w[0],
            buckets: w[1..17].iter().map_while(|b| unpack_bucket(*b)).collect(),
            auction: AuctionParams {
                duration: w[17].saturating_to(),
                discount: w[18],
            },
        };
        self.risk = Some(r.clone());
        Ok(r)
    }
}

impl<H: Host + ?Sized> Env for Chain<'_, H> {
    fn now(&self) -> u64 {
        self.host.block_timestamp()
    }

    fn series(&mut self, option: Address) -> Result<Series> {
        if let Some((_, s)) = self.series.iter().find(|(a, _)| *a == option) {
            return Ok(*s);
        }
        // The terms are in the token's code and its address commits to them: one code read
        // instead of asking the factory (`isSeries`) and the token (`seriesInfo`), 18k less.
        let host = self.host;
        let code = host.code(option);
        let Some(t) = verified_series(self.sources.factory, option, &code, |b| {
            host.native_keccak256(b)
        }) else {
            return Err(EscrowError::from(I::UnknownSeries { option }));
        };
        let s = Series {
            underlying: t.underlying,
            strike_asset: t.strike_asset,
            collateral: t.collateral,
            is_put: t.is_put,
            strike: t.strike_price,
            expiry: t.expiry,
        };
        self.series.push((option, s));
        Ok(s)
    }

    fn spot(&mut self, underlying: Address) -> Result<(U256, u64)> {
        let selector = if self.mint_price {
            IOracleAdapter::getMintPriceCall::SELECTOR
        } else {
            IOracleAdapter::getPriceCall::SELECTOR
        };
        let w = view(
            self.host,
            self.sources.oracle,
            selector,
            &[underlying.word()],
            2,
        )?;
        Ok((w[0], w[1].saturating_to()))
    }

    fn expiry_price(&mut self, underlying: Address, expiry: u64) -> Result<U256> {
        let w = view(
            self.host,
            self.sources.expiry_oracle,
            IOracleAdapter::getExpiryPriceCall::SELECTOR,
            &[underlying.word(), expiry.word()],
            2,
        )?;
        if w[1].is_zero() {
            return Err(EscrowError::from(I::ExpiryPriceNotFinal {
                asset: underlying,
                expiry: U256::from(expiry),
            }));
        }
        Ok(w[0])
    }

    fn collateral_config(&mut self, asset: Address) -> Result<CollateralConfig> {
        let mut config = self.params(asset)?.config;
        if let Some((_, e)) = self.exposures.iter().rev().find(|(a, _)| *a == asset) {
            config.naked_exposure = *e;
        }
        Ok(config)
    }

    fn set_naked_exposure(&mut self, asset: Address, exposure: U256) {
        self.exposures.push((asset, exposure));
    }

    fn risk(&mut self, underlying: Address) -> Result<(U256, Vec<(u64, U256)>)> {
        let r = self.risk_params(underlying)?;
        Ok((r.shock, r.buckets))
    }

    fn auction(&mut self, underlying: Address) -> Result<AuctionParams> {
        Ok(self.risk_params(underlying)?.auction)
    }
}
