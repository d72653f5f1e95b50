//! Finding the round that proves an expiry price: the primary feed's first round at or after the
//! expiry in the proxy's current phase, the one `IExpiryOracle.setExpiryPrice` accepts.
//!
//! Round ids carry the phase (`phaseId << 64 | aggregatorRoundId`); timestamps rise within a
//! phase, so the round is found by bisection inside the current phase (the phase of
//! `latestRoundData`: the oracle accepts no other, so that while an aggregator is migrated a
//! reporter cannot choose between two phases' answers). The oracle proves "first" by the
//! predecessor: the round before within the phase, or, for the phase's first round, the last
//! round of the previous phase (found the way the oracle finds it: double until missing, then
//! bisect). When that predecessor is not before the expiry either, no round proves and only the
//! disputer's fallback price can settle; the search says so rather than offer a round the oracle
//! would refuse.

use abi::chainlink::{join_round_id, split_round_id};
use std::future::Future;

/// One round of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub id: u128,
    pub updated_at: u64,
}

/// Read access to a feed's rounds (a Chainlink proxy over JSON-RPC, or a table in tests).
pub trait Rounds {
    type Error;
    /// The latest round, `None` if the feed has none (or its current phase has none yet).
    fn latest(&self) -> impl Future<Output = Result<Option<Round>, Self::Error>>;
    /// Round `id`, `None` if it does not exist.
    fn round(&self, id: u128) -> impl Future<Output = Result<Option<Round>, Self::Error>>;
}

/// Outcome of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The round to submit.
    Round(Round),
    /// No round at or after the expiry yet: ask again later.
    NotYet,
    /// The first round after expiry has no provable predecessor (first round of the feed's
    /// first phase, or the phase before it is empty): only the disputer's fallback can settle.
    Unprovable(Round),
}

/// Searches the feed for the first round at or after `expiry`.
pub async fn first_round_after<R: Rounds>(feed: &R, expiry: u64) -> Result<Found, R::Error> {
    let Some(latest) = feed.latest().await? else {
        return Ok(Found::NotYet);
    };
    if latest.updated_at < expiry {
        return Ok(Found::NotYet);
    }
    let (phase, last) = split_round_id(latest.id);
    // In `phase`, rounds 1..=last exist and round `last` is at or after the expiry.
    let first = bisect(feed, phase, last, expiry).await?;
    let (_, n) = split_round_id(first.id);
    if n > 1 {
        return Ok(Found::Round(first));
    }
    if phase <= 1 {
        return Ok(Found::Unprovable(first));
    }
    Ok(match last_of_phase(feed, phase - 1).await? {
        Some(prev) if prev.updated_at < expiry => Found::Round(first),
        _ => Found::Unprovable(first),
    })
}

/// The first round in `1..=last` of `phase` at or after `expiry` (round `last` is).
async fn bisect<R: Rounds>(
    feed: &R,
    phase: u16,
    last: u64,
    expiry: u64,
) -> Result<Round, R::Error> {
    let fetch = |n: u64| feed.round(join_round_id(phase, n));
    let mut hi = match fetch(last).await? {
        Some(r) => (last, r),
        None => {
            return Ok(Round {
                id: join_round_id(phase, last),
                updated_at: expiry,
            })
        }
    };
    let mut lo = 0u64; // round `lo` is before the expiry (0: none)
    while hi.0 - lo > 1 {
        let mid = lo + (hi.0 - lo) / 2;
        match fetch(mid).await? {
            Some(r) if r.updated_at >= expiry => hi = (mid, r),
            // A missing round inside a phase is treated as before the expiry: the oracle's
            // predecessor check would refuse anything after a gap anyway.
            _ => lo = mid,
        }
    }
    Ok(hi.1)
}

/// The last round of `phase`, as the oracle finds it.
async fn last_of_phase<R: Rounds>(feed: &R, phase: u16) -> Result<Option<Round>, R::Error> {
    let fetch = |n: u64| feed.round(join_round_id(phase, n));
    let Some(mut last) = fetch(1).await? else {
        return Ok(None);
    };
    let (mut low, mut high) = (1u64, 2u64);
    while let Some(r) = fetch(high).await? {
        last = r;
        low = high;
        if high == u64::MAX {
            return Ok(Some(last));
        }
        high = high.saturating_mul(2);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        match fetch(mid).await? {
            Some(r) => {
                last = r;
                low = mid;
            }
            None => high = mid,
        }
    }
    Ok(Some(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    /// A feed as a table of rounds (id -> updatedAt), counting reads.
    struct Table {
        rounds: BTreeMap<u128, u64>,
        latest: Option<u128>,
        reads: Cell<u32>,
    }

    impl Table {
        fn new(phases: &[&[u64]]) -> Self {
            let mut rounds = BTreeMap::new();
            let mut latest = None;
            for (p, times) in phases.iter().enumerate() {
                for (i, t) in times.iter().enumerate() {
                    let id = join_round_id(p as u16 + 1, i as u64 + 1);
                    rounds.insert(id, *t);
                    latest = Some(id);
                }
            }
            Self {
                rounds,
                latest,
                reads: Cell::new(0),
            }
        }
    }

    impl Rounds for Table {
        type Error = Infallible;
        async fn latest(&self) -> Result<Option<Round>, Infallible> {
            Ok(self.latest.map(|id| Round {
                id,
                updated_at: self.rounds[&id],
            }))
        }
        async fn round(&self, id: u128) -> Result<Option<Round>, Infallible> {
            self.reads.set(self.reads.get() + 1);
            Ok(self.rounds.get(&id).map(|t| Round { id, updated_at: *t }))
        }
    }

    fn find(t: &Table, expiry: u64) -> Found {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(first_round_after(t, expiry))
            .unwrap()
    }

    fn round(phase: u16, n: u64, t: &Table) -> Found {
        let id = join_round_id(phase, n);
        Found::Round(Round {
            id,
            updated_at: t.rounds[&id],
        })
    }

    #[test]
    fn within_one_phase() {
        let t = Table::new(&[&[10, 20, 30, 40, 50, 60, 70]]);
        assert_eq!(find(&t, 35), round(1, 4, &t));
        assert_eq!(find(&t, 40), round(1, 4, &t));
        assert_eq!(find(&t, 71), Found::NotYet);
        assert!(matches!(find(&t, 5), Found::Unprovable(_)));
    }

    #[test]
    fn only_the_current_phase_proves() {
        // Phase 1: 10..50, phase 2: 60..80, phase 3 (current): 90..100.
        let t = Table::new(&[&[10, 20, 30, 40, 50], &[60, 70, 80], &[90, 100]]);
        // The current phase's first round follows phase 2's last round (80 < 85).
        assert_eq!(find(&t, 85), round(3, 1, &t));
        assert_eq!(find(&t, 95), round(3, 2, &t));
        // An expiry inside an earlier phase: its first round after is there, but the oracle
        // takes only the current phase, whose first round has a predecessor after the expiry.
        let unprovable =
            |e| matches!(find(&t, e), Found::Unprovable(r) if r.id == join_round_id(3, 1));
        assert!(unprovable(65));
        assert!(unprovable(55));
        assert!(unprovable(25));
    }

    #[test]
    fn an_empty_previous_phase_cannot_prove_a_first_round() {
        let t = Table::new(&[&[10, 20], &[], &[90, 100]]);
        assert!(matches!(find(&t, 50), Found::Unprovable(r) if r.id == join_round_id(3, 1)));
    }

    #[test]
    fn reads_grow_with_the_log_of_the_rounds() {
        let times: Vec<u64> = (1..=100_000).map(|i| i * 60).collect();
        let t = Table::new(&[&times]);
        assert_eq!(find(&t, 3_000_030), round(1, 50_001, &t));
        assert!(t.reads.get() <= 20, "{} reads", t.reads.get());
    }
}
