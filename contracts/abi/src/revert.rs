//! Revert data, decoded into the protocol's custom errors for people to read.

use alloc::{format, string::String};
use alloy_sol_types::{Panic, Revert, SolError, SolInterface};

/// A readable account of `data`: the first protocol error it decodes as (name and values),
/// a Solidity `Error(string)` or `Panic(uint256)`, or the raw selector when nothing matches.
pub fn describe(data: &[u8]) -> String {
    macro_rules! decode_as {
        ($($errors:ty),* $(,)?) => {
            $(
                if let Ok(error) = <$errors>::abi_decode(data) {
                    return unwrap_variant(format!("{error:?}"));
                }
            )*
        };
    }
    decode_as!(
        crate::escrow::ICollateralEscrow::ICollateralEscrowErrors,
        crate::escrow::IMarginEngine::IMarginEngineErrors,
        crate::escrow::IEscrowRegistry::IEscrowRegistryErrors,
        crate::oracle::IOracleAdapter::IOracleAdapterErrors,
        crate::oracle::IExpiryOracle::IExpiryOracleErrors,
        crate::option_factory::IOptionFactory::IOptionFactoryErrors,
        crate::option_token::IOptionToken::IOptionTokenErrors,
        crate::governance::IGovernance::IGovernanceErrors,
        crate::proxy::IUpgradeableProxy::IUpgradeableProxyErrors,
        crate::proxy::IInitializable::IInitializableErrors,
    );
    if let Ok(revert) = Revert::abi_decode(data) {
        return format!("Error({:?})", revert.reason);
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        return format!("Panic({})", panic.code);
    }
    match data.get(..4) {
        None if data.is_empty() => "reverted without data".into(),
        None => format!("reverted with {} bytes of data", data.len()),
        Some(selector) => format!(
            "unknown custom error 0x{:02x}{:02x}{:02x}{:02x} ({} bytes)",
            selector[0],
            selector[1],
            selector[2],
            selector[3],
            data.len()
        ),
    }
}

/// `Name(Name { a: 1 })`, as the generated enums print, becomes `Name { a: 1 }`.
fn unwrap_variant(text: String) -> String {
    let name_end = text.find('(').unwrap_or(text.len());
    let name = &text[..name_end];
    match text[name_end..]
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    {
        Some(inner) if inner.starts_with(name) => inner.into(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::IUpgradeableProxy::ProxyUnauthorized;
    use alloy_primitives::{address, U256};

    #[test]
    fn names_protocol_errors_with_their_values() {
        let caller = address!("00000000000000000000000000000000000000aa");
        let admin = address!("00000000000000000000000000000000000000bb");
        let data = ProxyUnauthorized { caller, admin }.abi_encode();
        let text = describe(&data);
        assert_eq!(
            text,
            "ProxyUnauthorized { caller: 0x00000000000000000000000000000000000000aa, \
             admin: 0x00000000000000000000000000000000000000bb }"
        );
    }

    #[test]
    fn falls_back_to_solidity_errors_and_selectors() {
        let data = Revert::from("boom").abi_encode();
        assert_eq!(describe(&data), "Error(\"boom\")");
        let data = Panic {
            code: U256::from(0x11),
        }
        .abi_encode();
        assert_eq!(describe(&data), "Panic(17)");
        assert_eq!(describe(&[]), "reverted without data");
        assert_eq!(
            describe(&[0xde, 0xad, 0xbe, 0xef, 1]),
            "unknown custom error 0xdeadbeef (5 bytes)"
        );
    }
}
