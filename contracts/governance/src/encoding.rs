//! Governance's events and errors, encoded word by word with the shared `abi::words`.
//!
//! The SDK's generic `log` and `#[derive(SolidityError)]` instantiate alloy's encoder once per
//! type: with 13 events and 24 errors that alone was ~25 KB of WASM and pushed the contract over
//! the 24 KiB limit. Every event and error here is a list of 32-byte words, at most one `bytes`
//! tail; the tests compare every one with the `abi` crate's `sol!` encoding.

use alloc::vec::Vec;

use abi::governance::IGovernance::*;
use abi::words::{data, error, error_with_bytes, Word};
use alloy_primitives::B256;
use alloy_sol_types::SolError;
use stylus_sdk::prelude::*;

use crate::GovernanceError;

/// Emits a log whose data is static words.
pub fn emit<H: Host>(host: &H, topics: &[B256], words: &[B256]) {
    raw_emit(host, topics, &data(words));
}

/// Emits a log with already encoded data.
pub fn raw_emit<H: Host>(host: &H, topics: &[B256], data: &[u8]) {
    // At most 4 topics by construction: the only error `raw_log` can return.
    let _ = host.raw_log(topics, data);
}

impl From<GovernanceError> for Vec<u8> {
    fn from(err: GovernanceError) -> Self {
        use GovernanceError as E;
        let a = |x: alloy_primitives::Address| x.word();
        let u = |x: alloy_primitives::U256| x.word();
        match err {
            E::NotSigner(e) => error(NotSigner::SELECTOR, &[a(e.caller)]),
            E::NotGuardian(e) => error(NotGuardian::SELECTOR, &[a(e.caller), a(e.guardian)]),
            E::NotSignerOrGuardian(e) => error(NotSignerOrGuardian::SELECTOR, &[a(e.caller)]),
            E::InvalidThreshold(e) => error(
                InvalidThreshold::SELECTOR,
                &[u(e.threshold), u(e.minThreshold), u(e.signerCount)],
            ),
            E::DelayOutOfBounds(e) => error(
                DelayOutOfBounds::SELECTOR,
                &[u(e.delay), u(e.minDelay), u(e.maxDelay)],
            ),
            E::EtaOutOfRange(e) => error(
                EtaOutOfRange::SELECTOR,
                &[u(e.eta), u(e.earliest), u(e.latest)],
            ),
            E::InvalidSigner(e) => error(InvalidSigner::SELECTOR, &[a(e.signer)]),
            E::SignerAlreadyExists(e) => error(SignerAlreadyExists::SELECTOR, &[a(e.signer)]),
            E::SignerNotFound(e) => error(SignerNotFound::SELECTOR, &[a(e.signer)]),
            E::TooManySigners(e) => error(TooManySigners::SELECTOR, &[u(e.count), u(e.maxSigners)]),
            E::InvalidGuardian(e) => error(InvalidGuardian::SELECTOR, &[a(e.guardian)]),
            E::InvalidTarget(e) => error(InvalidTarget::SELECTOR, &[a(e.target)]),
            E::UnknownProposal(e) => error(UnknownProposal::SELECTOR, &[u(e.id)]),
            E::ProposalNotPending(e) => {
                error(ProposalNotPending::SELECTOR, &[u(e.id), e.state.word()])
            }
            E::AlreadyConfirmed(e) => error(AlreadyConfirmed::SELECTOR, &[u(e.id), a(e.signer)]),
            E::NotEnoughConfirmations(e) => error(
                NotEnoughConfirmations::SELECTOR,
                &[u(e.id), u(e.confirmations), u(e.threshold)],
            ),
            E::TimelockNotReady(e) => error(
                TimelockNotReady::SELECTOR,
                &[u(e.id), u(e.eta), u(e.timestamp)],
            ),
            E::ExecutionFailed(e) => {
                error_with_bytes(ExecutionFailed::SELECTOR, &[u(e.id)], &e.reason)
            }
            E::DataMismatch(e) => error(DataMismatch::SELECTOR, &[u(e.id), e.expected, e.actual]),
            E::UnknownSelfCall(e) => {
                let mut word = B256::ZERO;
                word[..4].copy_from_slice(e.selector.as_slice());
                error(UnknownSelfCall::SELECTOR, &[word])
            }
            E::NotPausable(e) => error(NotPausable::SELECTOR, &[a(e.target)]),
            E::InvalidPauseLevel(e) => error(InvalidPauseLevel::SELECTOR, &[e.level.word()]),
            E::PauseCallFailed(e) => {
                error_with_bytes(PauseCallFailed::SELECTOR, &[a(e.target)], &e.reason)
            }
        }
    }
}

// `#[derive(SolidityError)]` would list the errors in the exported interface; spelled out here.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for GovernanceError {
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        use alloc::format;
        use core::any::TypeId;
        use stylus_sdk::abi::export::internal::InnerType;
        fn error<E: SolError + 'static>() -> InnerType {
            InnerType {
                name: format!("error {};", E::SIGNATURE.replace(',', ", ")),
                id: TypeId::of::<E>(),
            }
        }
        alloc::vec![
            error::<NotSigner>(),
            error::<NotGuardian>(),
            error::<NotSignerOrGuardian>(),
            error::<InvalidThreshold>(),
            error::<DelayOutOfBounds>(),
            error::<EtaOutOfRange>(),
            error::<InvalidSigner>(),
            error::<SignerAlreadyExists>(),
            error::<SignerNotFound>(),
            error::<TooManySigners>(),
            error::<InvalidGuardian>(),
            error::<InvalidTarget>(),
            error::<UnknownProposal>(),
            error::<ProposalNotPending>(),
            error::<AlreadyConfirmed>(),
            error::<NotEnoughConfirmations>(),
            error::<TimelockNotReady>(),
            error::<ExecutionFailed>(),
            error::<DataMismatch>(),
            error::<UnknownSelfCall>(),
            error::<NotPausable>(),
            error::<InvalidPauseLevel>(),
            error::<PauseCallFailed>(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::words::with_bytes;
    use alloy_primitives::{address, Address, FixedBytes, U256};

    fn every_error() -> Vec<(GovernanceError, Vec<u8>)> {
        use GovernanceError as E;
        let x = address!("00000000000000000000000000000000000000aa");
        let y = address!("00000000000000000000000000000000000000bb");
        let n = U256::from(0x1234u64);
        let m = U256::MAX;
        let h = B256::repeat_byte(0x77);
        let reason = alloy_primitives::Bytes::from(vec![
            1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
            24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
        ]);
        macro_rules! case {
            ($variant:ident, $value:expr) => {{
                let value = $value;
                (E::$variant(value.clone()), value.abi_encode())
            }};
        }
        vec![
            case!(NotSigner, NotSigner { caller: x }),
            case!(
                NotGuardian,
                NotGuardian {
                    caller: x,
                    guardian: y
                }
            ),
            case!(NotSignerOrGuardian, NotSignerOrGuardian { caller: y }),
            case!(
                InvalidThreshold,
                InvalidThreshold {
                    threshold: n,
                    minThreshold: m,
                    signerCount: n
                }
            ),
            case!(
                DelayOutOfBounds,
                DelayOutOfBounds {
                    delay: m,
                    minDelay: n,
                    maxDelay: m
                }
            ),
            case!(
                EtaOutOfRange,
                EtaOutOfRange {
                    eta: n,
                    earliest: m,
                    latest: n
                }
            ),
            case!(InvalidSigner, InvalidSigner { signer: x }),
            case!(SignerAlreadyExists, SignerAlreadyExists { signer: x }),
            case!(SignerNotFound, SignerNotFound { signer: y }),
            case!(
                TooManySigners,
                TooManySigners {
                    count: n,
                    maxSigners: m
                }
            ),
            case!(InvalidGuardian, InvalidGuardian { guardian: x }),
            case!(InvalidTarget, InvalidTarget { target: y }),
            case!(UnknownProposal, UnknownProposal { id: m }),
            case!(ProposalNotPending, ProposalNotPending { id: n, state: 4 }),
            case!(AlreadyConfirmed, AlreadyConfirmed { id: n, signer: x }),
            case!(
                NotEnoughConfirmations,
                NotEnoughConfirmations {
                    id: n,
                    confirmations: n,
                    threshold: m
                }
            ),
            case!(
                TimelockNotReady,
                TimelockNotReady {
                    id: n,
                    eta: m,
                    timestamp: n
                }
            ),
            case!(
                ExecutionFailed,
                ExecutionFailed {
                    id: n,
                    reason: reason.clone()
                }
            ),
            case!(
                ExecutionFailed,
                ExecutionFailed {
                    id: n,
                    reason: Default::default()
                }
            ),
            case!(
                DataMismatch,
                DataMismatch {
                    id: n,
                    expected: h,
                    actual: B256::ZERO
                }
            ),
            case!(
                UnknownSelfCall,
                UnknownSelfCall {
                    selector: FixedBytes([0xde, 0xad, 0xbe, 0xef])
                }
            ),
            case!(NotPausable, NotPausable { target: x }),
            case!(InvalidPauseLevel, InvalidPauseLevel { level: 0xff }),
            case!(PauseCallFailed, PauseCallFailed { target: y, reason }),
        ]
    }

    #[test]
    fn errors_encode_exactly_as_solidity() {
        for (err, expected) in every_error() {
            let name = alloc::format!("{err:?}");
            assert_eq!(Vec::<u8>::from(err), expected, "{name}");
        }
    }

    #[test]
    fn bytes_in_the_middle_are_encoded_as_solidity() {
        let data = vec![0xabu8; 45];
        let created = ProposalCreated {
            id: U256::from(1),
            proposer: Address::ZERO,
            target: Address::repeat_byte(3),
            value: U256::from(9),
            data: data.clone().into(),
            eta: U256::from(77),
        };
        let encoded = with_bytes(
            &[created.target.word(), created.value.word()],
            &data,
            &[created.eta.word()],
        );
        assert_eq!(encoded, alloy_sol_types::SolEvent::encode_data(&created));
    }
}
