//! `IOptionToken`: the ERC-20 (+ EIP-2612 permit) token of one option series.
//!
//! Every series is an EIP-1167 clone of one `OptionToken` implementation, created by the
//! `OptionFactory` (see [`crate::option_factory`]). One token (`1e18` units, 18 decimals) is one
//! option on one whole unit of the underlying; the strike carries 18 decimals ([`crate::PRICE_SCALE`]).
//!
//! For the escrow (the only address allowed to change the supply):
//! - `mintOptions(to, amount)` creates `amount` tokens for `to`; `burnOptions(from, amount)` destroys
//!   `amount` tokens of `from` **without any allowance**: the escrow must only burn tokens whose holder
//!   asked for it (e.g. `msg.sender` of its own `redeem`/`burn` entry point).
//! - Both revert with `NotEscrow(caller, escrow)` for any other caller; minting to the zero address
//!   reverts `ERC20InvalidReceiver(0)`, burning more than the balance reverts
//!   `ERC20InsufficientBalance(from, balance, amount)`, a supply above 2^256-1 reverts `SupplyOverflow`.
//! - Both emit the ERC-20 `Transfer` (from/to the zero address), nothing else.
//! - The token does not look at the clock: minting after expiry or burning at settlement is the
//!   escrow's policy. `seriesInfo()` returns the whole series in one call.
//!
//! Series data: a token's code is the 45-byte EIP-1167 runtime followed by its series
//! (`option_factory::SeriesArgs`), written once by the factory's CREATE2 and read by the token
//! from its own code; there is no initialisation and no series storage. The token's address
//! commits to that code, so the series is bound to the address (`isSeries` on the factory checks
//! it). The implementation itself (any account whose code is not a series token's) refuses every
//! state change with `ImplementationLocked()`.

use alloy_primitives::FixedBytes;
use alloy_sol_types::sol;

sol! {
    /// One option series as an ERC-20 token with EIP-2612 permit (one clone per series).
    #[derive(Debug, PartialEq, Eq)]
    interface IOptionToken {
        /// ERC-20 transfer; mint (`from` = 0) and burn (`to` = 0) included.
        event Transfer(address indexed from, address indexed to, uint256 value);
        /// ERC-20 allowance set by `approve`, `permit` or spent by `transferFrom`.
        event Approval(address indexed owner, address indexed spender, uint256 value);
        /// `from` lacks `needed` tokens (ERC-6093).
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        /// `spender` may spend only `allowance` of `needed` (ERC-6093).
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        /// Transfers and mints to the zero address are refused (ERC-6093).
        error ERC20InvalidReceiver(address receiver);
        /// Approvals of the zero address are refused (ERC-6093).
        error ERC20InvalidSpender(address spender);
        /// The permit's deadline has passed.
        error ERC2612ExpiredSignature(uint256 deadline);
        /// The permit was signed by `signer`, not by `owner` (wrong key, wrong nonce: replay,
        /// wrong domain or a malformed signature; `signer` is 0 when nothing could be recovered).
        error ERC2612InvalidSigner(address signer, address owner);
        /// Only the escrow mints and burns.
        error NotEscrow(address caller, address escrow);
        /// Minting `amount` would push the supply past 2^256-1.
        error SupplyOverflow(uint256 totalSupply, uint256 amount);
        /// The implementation (not a clone) is locked: use a series clone.
        error ImplementationLocked();

        // --- ERC-20 ---
        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);

        // --- EIP-2612 (+ EIP-5267 domain description) ---
        function permit(
            address owner,
            address spender,
            uint256 value,
            uint256 deadline,
            uint8 v,
            bytes32 r,
            bytes32 s
        ) external;
        function nonces(address owner) external view returns (uint256);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function eip712Domain()
            external
            view
            returns (
                bytes1 fields,
                string memory name,
                string memory version,
                uint256 chainId,
                address verifyingContract,
                bytes32 salt,
                uint256[] memory extensions
            );

        // --- series metadata ---
        function underlying() external view returns (address);
        function strikeAsset() external view returns (address);
        function collateral() external view returns (address);
        function isPut() external view returns (bool);
        /// Strike price, 18 decimals, in units of the strike asset per unit of underlying.
        function strikePrice() external view returns (uint256);
        /// Expiry, unix seconds, on the 08:00 UTC grid.
        function expiry() external view returns (uint64);
        function escrow() external view returns (address);
        function seriesInfo()
            external
            view
            returns (
                address underlying,
                address strikeAsset,
                address collateral,
                bool isPut,
                uint256 strikePrice,
                uint64 expiry,
                address escrow
            );

        // --- supply (escrow) ---
        /// Escrow only: creates `amount` options for `to`.
        function mintOptions(address to, uint256 amount) external;
        /// Escrow only: destroys `amount` options of `from` (no allowance is checked).
        function burnOptions(address from, uint256 amount) external;
    }
}

/// Version string of the EIP-712 domain of every option token.
pub const PERMIT_VERSION: &str = "1";

/// Longest asset symbol (in bytes) kept in an option token's name and symbol: both fit beside
/// the other series arguments in the token's code (`WETH`, `USDC.e`, `wstETH` fit whole).
pub const MAX_ASSET_SYMBOL_BYTES: usize = 6;

/// `symbol` as an option token stores it: its first [`MAX_ASSET_SYMBOL_BYTES`] bytes, cut at a
/// character boundary, zero padded.
pub fn symbol_bytes(symbol: &str) -> FixedBytes<MAX_ASSET_SYMBOL_BYTES> {
    let mut end = symbol.len().min(MAX_ASSET_SYMBOL_BYTES);
    while !symbol.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = [0u8; MAX_ASSET_SYMBOL_BYTES];
    out[..end].copy_from_slice(&symbol.as_bytes()[..end]);
    FixedBytes(out)
}
