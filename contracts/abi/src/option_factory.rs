//! `IOptionFactory`: allowed products, series creation (EIP-1167 clones via CREATE2) and the
//! series registry.
//!
//! A product is `(underlying, strikeAsset, collateral, isPut)`, identified by
//! `productId = keccak256(abi.encode(underlying, strikeAsset, collateral, isPut))`; the admin
//! (later governance) allows it. A series adds `strikePrice` (18 decimals) and `expiry` (unix
//! seconds, 08:00 UTC grid); its token lives at
//! `create2(factory, seriesSalt, keccak256(cloneInitCode(implementation, args)))` with
//! `seriesSalt = keccak256(abi.encode(underlying, strikeAsset, collateral, isPut, strikePrice, expiry))`,
//! so `predictSeriesAddress` is known before `createSeries` and a series exists exactly when code
//! exists at its address. The token's code is the 45-byte EIP-1167 runtime followed by the
//! series' immutable arguments ([`SeriesArgs`]: assets, escrow, strike, expiry, flags, symbols),
//! which the token reads from its own code; the arguments' escrow and symbols are fixed per
//! factory and product, so the address is still a function of the series alone.

// `sol!` turns events with many fields into constructors with as many arguments.
#![allow(clippy::too_many_arguments)]

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::sol;

sol! {
    /// Registry and creator of option series.
    #[derive(Debug, PartialEq, Eq)]
    interface IOptionFactory {
        /// The factory was set up.
        event FactoryInitialized(address indexed admin, address indexed implementation, address indexed escrow);
        /// The admin role moved.
        event AdminChanged(address indexed previousAdmin, address indexed newAdmin);
        /// The admin allowed (`allowed`) or disallowed a product. The symbols label its tokens.
        event ProductUpdated(
            bytes32 indexed productId,
            address indexed underlying,
            address indexed strikeAsset,
            address collateral,
            bool isPut,
            bool allowed,
            string underlyingSymbol,
            string strikeSymbol
        );
        /// A new series token exists at `token` (`index` in the enumeration).
        event SeriesCreated(
            address indexed token,
            bytes32 indexed productId,
            uint64 indexed expiry,
            address underlying,
            address strikeAsset,
            address collateral,
            bool isPut,
            uint256 strikePrice,
            uint256 index,
            address creator
        );

        /// The factory has not been initialised (its `initialize` runs once, guarded by
        /// `IInitializable`, whose `InvalidInitialization` a second call returns).
        error NotInitialized();
        /// Only the admin may do this.
        error NotAdmin(address caller, address admin);
        /// A required address is zero.
        error ZeroAddress();
        /// Underlying equals strike asset, or the collateral is neither of them.
        error InvalidProduct(address underlying, address strikeAsset, address collateral);
        /// `symbol()` of `asset` could not be read as a string.
        error SymbolUnavailable(address asset);
        /// The product is not (or no longer) allowed.
        error ProductNotAllowed(bytes32 productId);
        /// The expiry is not after the current block timestamp.
        error ExpiryInPast(uint64 expiry, uint64 timestamp);
        /// The expiry is not at 08:00 UTC (`expiry % 86400 != 28800`).
        error ExpiryOffGrid(uint64 expiry);
        /// The expiry lies beyond `maxExpiry` (now + 10 years).
        error ExpiryTooFar(uint64 expiry, uint64 maxExpiry);
        /// Strike price 0.
        error ZeroStrike();
        /// Strike price above the bound (1e28, i.e. 1e10 units of strike asset per underlying).
        error StrikeTooHigh(uint256 strikePrice, uint256 maxStrike);
        /// The series exists already, as `token`.
        error SeriesAlreadyExists(address token);
        /// CREATE2 did not produce the predicted clone.
        error CloneDeploymentFailed(address predicted);
        /// Enumeration index past the end.
        error IndexOutOfRange(uint256 index, uint256 count);

        /// One-time setup through the ERC-1967 proxy (the bare implementation is locked).
        function initialize(address admin, address implementation, address escrow) external;
        function admin() external view returns (address);
        function implementation() external view returns (address);
        function escrow() external view returns (address);
        /// Admin only.
        function setAdmin(address newAdmin) external;

        /// Admin only: allow a product; reads `symbol()` of the underlying and strike asset on
        /// the first allowance (later ones keep those symbols: series addresses depend on them).
        function allowProduct(address underlying, address strikeAsset, address collateral, bool isPut) external returns (bytes32);
        /// Admin only: stop new series of a product (existing series are unaffected).
        function disallowProduct(address underlying, address strikeAsset, address collateral, bool isPut) external returns (bytes32);
        function isProductAllowed(address underlying, address strikeAsset, address collateral, bool isPut) external view returns (bool);
        function productId(address underlying, address strikeAsset, address collateral, bool isPut) external pure returns (bytes32);

        /// Anyone: create the series of an allowed product; returns its token.
        function createSeries(
            address underlying,
            address strikeAsset,
            address collateral,
            bool isPut,
            uint256 strikePrice,
            uint64 expiry
        ) external returns (address);
        /// Address the series' token has (or will have).
        function predictSeriesAddress(
            address underlying,
            address strikeAsset,
            address collateral,
            bool isPut,
            uint256 strikePrice,
            uint64 expiry
        ) external view returns (address);
        /// The series' token, or the zero address if it was not created.
        function getSeries(
            address underlying,
            address strikeAsset,
            address collateral,
            bool isPut,
            uint256 strikePrice,
            uint64 expiry
        ) external view returns (address);
        /// Whether `token` is a series token created by this factory.
        function isSeries(address token) external view returns (bool);
        function seriesCount() external view returns (uint256);
        function seriesAt(uint256 index) external view returns (address);
    }
}

/// Seconds past midnight UTC of every expiry (08:00 UTC).
pub const EXPIRY_TIME_OF_DAY: u64 = 8 * 3600;
/// Seconds per day.
pub const SECONDS_PER_DAY: u64 = 86_400;
/// Furthest expiry accepted, counted from the creating block.
pub const MAX_EXPIRY_HORIZON: u64 = 3_650 * SECONDS_PER_DAY;
/// Largest strike price accepted: 1e10 units of strike asset per unit of underlying (18 decimals).
/// Keeps `strike * amount` far from overflow in the escrow and fits the token's 96-bit field.
pub const MAX_STRIKE: u128 = 10_000_000_000 * crate::PRICE_SCALE;

/// Length of the EIP-1167 runtime that starts every series token's code.
pub const CLONE_RUNTIME_LEN: usize = 45;
/// Length of the immutable series arguments appended to the runtime (layout: [`SeriesArgs`]).
pub const SERIES_ARGS_LEN: usize = 93;
/// Length of a series token's code: the EIP-1167 runtime followed by its series arguments.
pub const SERIES_CODE_LEN: usize = CLONE_RUNTIME_LEN + SERIES_ARGS_LEN;
/// The 10-byte constructor of every series token: returns the 138 bytes after it.
// RETURNDATASIZE(0) PUSH1 138 DUP1 PUSH1 10 RETURNDATASIZE(0) CODECOPY DUP2(0) RETURN
pub const CLONE_CONSTRUCTOR: [u8; 10] = [
    0x3d,
    0x60,
    SERIES_CODE_LEN as u8,
    0x80,
    0x60,
    0x0a,
    0x3d,
    0x39,
    0x81,
    0xf3,
];
/// Length of a series token's init code.
pub const SERIES_INIT_CODE_LEN: usize = CLONE_CONSTRUCTOR.len() + SERIES_CODE_LEN;
// Every strike the factory accepts fits the 12 bytes the token's code gives it.
const _: () = assert!(MAX_STRIKE >> 96 == 0);
/// Symbols are cut to this many bytes (see `option_token::symbol_bytes`).
const SYMBOL_LEN: usize = crate::option_token::MAX_ASSET_SYMBOL_BYTES;

/// The series a token stands for, appended to its EIP-1167 runtime ("clone with immutable args")
/// so that the token reads it from its own code instead of storage. All integers big-endian,
/// offsets into the token's code:
///
/// | offset | bytes | field |
/// | --- | --- | --- |
/// | 45 | 20 | underlying |
/// | 65 | 20 | strike asset |
/// | 85 | 20 | escrow (the only account that mints and burns) |
/// | 105 | 12 | strike price (18 decimals; the factory bounds it to `MAX_STRIKE` < 2^96) |
/// | 117 | 8 | expiry (unix seconds) |
/// | 125 | 1 | flags: bit 0 = put, bit 1 = the collateral is the strike asset (else the underlying) |
/// | 126 | 6 | underlying symbol (zero-padded) |
/// | 132 | 6 | strike asset symbol (zero-padded) |
///
/// The code is part of the CREATE2 init code, so the token's address commits to every field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeriesArgs {
    pub underlying: Address,
    pub strike_asset: Address,
    pub escrow: Address,
    pub strike_price: U256,
    pub expiry: u64,
    pub is_put: bool,
    pub collateral_is_strike: bool,
    pub underlying_symbol: [u8; SYMBOL_LEN],
    pub strike_symbol: [u8; SYMBOL_LEN],
}

impl SeriesArgs {
    /// The collateral asset: the strike asset or the underlying.
    pub fn collateral(&self) -> Address {
        if self.collateral_is_strike {
            self.strike_asset
        } else {
            self.underlying
        }
    }

    /// The packed arguments (a strike above 2^96 - 1 keeps only its low 96 bits).
    pub fn encode(&self) -> [u8; SERIES_ARGS_LEN] {
        let mut out = [0u8; SERIES_ARGS_LEN];
        out[..20].copy_from_slice(self.underlying.as_slice());
        out[20..40].copy_from_slice(self.strike_asset.as_slice());
        out[40..60].copy_from_slice(self.escrow.as_slice());
        out[60..72].copy_from_slice(&self.strike_price.to_be_bytes::<32>()[20..]);
        out[72..80].copy_from_slice(&self.expiry.to_be_bytes());
        out[80] = u8::from(self.is_put) | (u8::from(self.collateral_is_strike) << 1);
        out[81..87].copy_from_slice(&self.underlying_symbol);
        out[87..93].copy_from_slice(&self.strike_symbol);
        out
    }

    /// The arguments of a series token's code, if `code` is one: the EIP-1167 runtime (any
    /// implementation) followed by the arguments.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        if code.len() != SERIES_CODE_LEN
            || code[..10] != EIP1167_HEAD
            || code[30..CLONE_RUNTIME_LEN] != EIP1167_TAIL
        {
            return None;
        }
        let args = &code[CLONE_RUNTIME_LEN..];
        let mut strike = [0u8; 32];
        strike[20..].copy_from_slice(&args[60..72]);
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&args[72..80]);
        let mut underlying_symbol = [0u8; SYMBOL_LEN];
        underlying_symbol.copy_from_slice(&args[81..87]);
        let mut strike_symbol = [0u8; SYMBOL_LEN];
        strike_symbol.copy_from_slice(&args[87..93]);
        Some(Self {
            underlying: Address::from_slice(&args[..20]),
            strike_asset: Address::from_slice(&args[20..40]),
            escrow: Address::from_slice(&args[40..60]),
            strike_price: U256::from_be_bytes(strike),
            expiry: u64::from_be_bytes(expiry),
            is_put: args[80] & 1 != 0,
            collateral_is_strike: args[80] & 2 != 0,
            underlying_symbol,
            strike_symbol,
        })
    }
}

const EIP1167_HEAD: [u8; 10] = [0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d, 0x73];
const EIP1167_TAIL: [u8; 15] = [
    0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60, 0x2b, 0x57, 0xfd, 0x5b, 0xf3,
];

/// The 45-byte EIP-1167 runtime delegating every call to `implementation`.
pub fn clone_runtime_code(implementation: Address) -> [u8; CLONE_RUNTIME_LEN] {
    let mut code = [0u8; CLONE_RUNTIME_LEN];
    code[..10].copy_from_slice(&EIP1167_HEAD);
    code[10..30].copy_from_slice(implementation.as_slice());
    code[30..].copy_from_slice(&EIP1167_TAIL);
    code
}

/// A series token's code: the EIP-1167 runtime of `implementation`, then `args`.
pub fn series_code(implementation: Address, args: &SeriesArgs) -> [u8; SERIES_CODE_LEN] {
    let mut code = [0u8; SERIES_CODE_LEN];
    code[..CLONE_RUNTIME_LEN].copy_from_slice(&clone_runtime_code(implementation));
    code[CLONE_RUNTIME_LEN..].copy_from_slice(&args.encode());
    code
}

/// Init code of a series token: [`CLONE_CONSTRUCTOR`], then the code it returns.
pub fn series_init_code_of(code: &[u8; SERIES_CODE_LEN]) -> [u8; SERIES_INIT_CODE_LEN] {
    let mut init = [0u8; SERIES_INIT_CODE_LEN];
    init[..CLONE_CONSTRUCTOR.len()].copy_from_slice(&CLONE_CONSTRUCTOR);
    init[CLONE_CONSTRUCTOR.len()..].copy_from_slice(code);
    init
}

/// Init code of the series token of `implementation` with `args`.
pub fn clone_init_code(implementation: Address, args: &SeriesArgs) -> [u8; SERIES_INIT_CODE_LEN] {
    series_init_code_of(&series_code(implementation, args))
}

/// `abi.encode(underlying, strikeAsset, collateral, isPut)`, hashed into the product id. Contracts
/// hash it with the host's keccak; [`product_id`] hashes it in software.
pub fn product_id_preimage(
    underlying: Address,
    strike_asset: Address,
    collateral: Address,
    is_put: bool,
) -> [u8; 128] {
    let mut out = [0u8; 128];
    out[12..32].copy_from_slice(underlying.as_slice());
    out[44..64].copy_from_slice(strike_asset.as_slice());
    out[76..96].copy_from_slice(collateral.as_slice());
    out[127] = u8::from(is_put);
    out
}

/// `abi.encode(underlying, strikeAsset, collateral, isPut, strikePrice, expiry)`, hashed into the
/// series salt.
pub fn series_salt_preimage(
    underlying: Address,
    strike_asset: Address,
    collateral: Address,
    is_put: bool,
    strike_price: U256,
    expiry: u64,
) -> [u8; 192] {
    let mut out = [0u8; 192];
    out[..128].copy_from_slice(&product_id_preimage(
        underlying,
        strike_asset,
        collateral,
        is_put,
    ));
    out[128..160].copy_from_slice(&strike_price.to_be_bytes::<32>());
    out[184..192].copy_from_slice(&expiry.to_be_bytes());
    out
}

/// What a contract holding or paying a series needs to know of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesTerms {
    pub underlying: Address,
    pub strike_asset: Address,
    pub collateral: Address,
    pub is_put: bool,
    pub strike_price: U256,
    pub expiry: u64,
}

/// The terms of `token` if `code` (the token's code) makes it a series of `factory`: CREATE2 by
/// the factory, with the salt of the series in the code and that code as init code, gives the
/// token's address, and nobody but the factory can put code there. Any contract can so check a
/// series token, and read its terms, from one code read (`keccak` is the host's, or software).
pub fn verified_series(
    factory: Address,
    token: Address,
    code: &[u8],
    keccak: impl Fn(&[u8]) -> B256,
) -> Option<SeriesTerms> {
    let code = <&[u8; SERIES_CODE_LEN]>::try_from(code).ok()?;
    if code[..10] != EIP1167_HEAD || code[30..CLONE_RUNTIME_LEN] != EIP1167_TAIL {
        return None;
    }
    // The salt's preimage straight from the code's bytes (the layout of `series_salt_preimage`).
    let args = &code[CLONE_RUNTIME_LEN..];
    let collateral = if args[80] & 2 != 0 { 20 } else { 0 };
    let mut preimage = [0u8; 192];
    preimage[12..32].copy_from_slice(&args[..20]);
    preimage[44..64].copy_from_slice(&args[20..40]);
    preimage[76..96].copy_from_slice(&args[collateral..collateral + 20]);
    preimage[127] = args[80] & 1;
    preimage[148..160].copy_from_slice(&args[60..72]);
    preimage[184..192].copy_from_slice(&args[72..80]);
    let salt = keccak(&preimage);
    let init_code_hash = keccak(&series_init_code_of(code));
    let address = keccak(&create2_preimage(factory, salt, init_code_hash));
    if address[12..] != token[..] {
        return None;
    }
    let word = |at: usize| U256::from_be_slice(&preimage[at..at + 32]);
    Some(SeriesTerms {
        underlying: Address::from_slice(&args[..20]),
        strike_asset: Address::from_slice(&args[20..40]),
        collateral: Address::from_slice(&preimage[76..96]),
        is_put: args[80] & 1 != 0,
        strike_price: word(128),
        expiry: word(160).saturating_to(),
    })
}

/// `0xff ‖ deployer ‖ salt ‖ initCodeHash`, whose keccak's last 20 bytes are the CREATE2 address.
pub fn create2_preimage(deployer: Address, salt: B256, init_code_hash: B256) -> [u8; 85] {
    let mut out = [0u8; 85];
    out[0] = 0xff;
    out[1..21].copy_from_slice(deployer.as_slice());
    out[21..53].copy_from_slice(salt.as_slice());
    out[53..].copy_from_slice(init_code_hash.as_slice());
    out
}

/// The product id (software keccak, for scripts and tests).
pub fn product_id(
    underlying: Address,
    strike_asset: Address,
    collateral: Address,
    is_put: bool,
) -> B256 {
    keccak256(product_id_preimage(
        underlying,
        strike_asset,
        collateral,
        is_put,
    ))
}

/// The series salt (software keccak, for scripts and tests).
pub fn series_salt(
    underlying: Address,
    strike_asset: Address,
    collateral: Address,
    is_put: bool,
    strike_price: U256,
    expiry: u64,
) -> B256 {
    keccak256(series_salt_preimage(
        underlying,
        strike_asset,
        collateral,
        is_put,
        strike_price,
        expiry,
    ))
}

/// Address of the series token of `implementation` with `args` that `deployer` creates with
/// `salt` (software keccak).
pub fn predict_clone_address(
    deployer: Address,
    salt: B256,
    implementation: Address,
    args: &SeriesArgs,
) -> Address {
    let init_code_hash = keccak256(clone_init_code(implementation, args));
    Address::from_slice(&keccak256(create2_preimage(deployer, salt, init_code_hash))[12..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};

    fn args() -> SeriesArgs {
        SeriesArgs {
            underlying: address!("1111111111111111111111111111111111111111"),
            strike_asset: address!("2222222222222222222222222222222222222222"),
            escrow: address!("3333333333333333333333333333333333333333"),
            strike_price: U256::from(MAX_STRIKE),
            expiry: 1_795_766_400,
            is_put: true,
            collateral_is_strike: true,
            underlying_symbol: *b"WETH\0\0",
            strike_symbol: *b"USDC.e",
        }
    }

    #[test]
    fn clone_code_is_the_eip1167_reference_then_the_args() {
        // Reference bytecode from the EIP-1167 text, with implementation 0xbebe…be.
        let implementation = address!("bebebebebebebebebebebebebebebebebebebebe");
        let reference = hex!("363d3d373d3d3d363d73bebebebebebebebebebebebebebebebebebebebe5af43d82803e903d91602b57fd5bf3");
        assert_eq!(clone_runtime_code(implementation)[..], reference[..]);
        let code = series_code(implementation, &args());
        assert_eq!(code[..CLONE_RUNTIME_LEN], reference[..]);
        assert_eq!(code[CLONE_RUNTIME_LEN..], args().encode()[..]);
        let init = clone_init_code(implementation, &args());
        assert_eq!(init[..10], hex!("3d608a80600a3d3981f3")[..]);
        assert_eq!(init[10..], code[..]);
    }

    #[test]
    fn args_layout_is_the_documented_one() {
        let packed = args().encode();
        assert_eq!(packed[..20], [0x11; 20]);
        assert_eq!(packed[20..40], [0x22; 20]);
        assert_eq!(packed[40..60], [0x33; 20]);
        assert_eq!(
            packed[60..72],
            U256::from(MAX_STRIKE).to_be_bytes::<32>()[20..]
        );
        assert_eq!(packed[72..80], 1_795_766_400u64.to_be_bytes());
        assert_eq!(packed[80], 3);
        assert_eq!(&packed[81..], b"WETH\0\0USDC.e");
    }

    #[test]
    fn args_round_trip_through_the_code() {
        let implementation = address!("00000000000000000000000000000000000000aa");
        for (is_put, collateral_is_strike) in [(false, false), (true, false), (false, true)] {
            let series = SeriesArgs {
                is_put,
                collateral_is_strike,
                ..args()
            };
            let code = series_code(implementation, &series);
            assert_eq!(SeriesArgs::from_code(&code), Some(series));
        }
        assert_eq!(args().collateral(), args().strike_asset);
        let call = SeriesArgs {
            collateral_is_strike: false,
            ..args()
        };
        assert_eq!(call.collateral(), call.underlying);
    }

    #[test]
    fn only_series_code_has_args() {
        let implementation = address!("00000000000000000000000000000000000000aa");
        let code = series_code(implementation, &args());
        let mut altered = code;
        altered[44] = 0x00;
        assert_eq!(SeriesArgs::from_code(&altered), None);
        let mut altered = code;
        altered[0] = 0x00;
        assert_eq!(SeriesArgs::from_code(&altered), None);
        assert_eq!(SeriesArgs::from_code(&code[..SERIES_CODE_LEN - 1]), None);
        assert_eq!(
            SeriesArgs::from_code(&clone_runtime_code(implementation)),
            None
        );
        assert_eq!(SeriesArgs::from_code(&[0xef, 0xf0, 0x00, 0x00]), None);
    }

    #[test]
    fn a_series_is_verified_by_its_address_and_code() {
        let factory = address!("00000000000000000000000000000000000000fa");
        let implementation = address!("00000000000000000000000000000000000000aa");
        let series = args();
        let code = series_code(implementation, &series);
        let salt = series_salt(
            series.underlying,
            series.strike_asset,
            series.collateral(),
            series.is_put,
            series.strike_price,
            series.expiry,
        );
        let token = factory.create2(salt, keccak256(series_init_code_of(&code)));
        let hash = |b: &[u8]| keccak256(b);
        assert_eq!(
            verified_series(factory, token, &code, hash),
            Some(SeriesTerms {
                underlying: series.underlying,
                strike_asset: series.strike_asset,
                collateral: series.collateral(),
                is_put: series.is_put,
                strike_price: series.strike_price,
                expiry: series.expiry,
            })
        );
        // The same code elsewhere, or claimed by another factory: not a series.
        assert_eq!(verified_series(factory, factory, &code, hash), None);
        assert_eq!(verified_series(token, token, &code, hash), None);
        // Any other terms at that address: not a series (the address commits to the code).
        for byte in [
            CLONE_RUNTIME_LEN,
            CLONE_RUNTIME_LEN + 61,
            SERIES_CODE_LEN - 1,
        ] {
            let mut forged = code;
            forged[byte] ^= 1;
            assert_eq!(verified_series(factory, token, &forged, hash), None);
        }
        assert_eq!(verified_series(factory, token, &code[1..], hash), None);
    }

    #[test]
    fn create2_prediction_matches_eip1014_example() {
        // EIP-1014 example 5: deployer 0x00000000000000000000000000000000deadbeef,
        // salt 0x…cafebabe, init code 0xdeadbeef.
        let deployer = address!("00000000000000000000000000000000deadbeef");
        let salt = b256!("00000000000000000000000000000000000000000000000000000000cafebabe");
        assert_eq!(
            deployer.create2(salt, keccak256(hex!("deadbeef"))),
            address!("60f3f640a8508fC6a86d45DF051962668E1e8AC7")
        );
    }

    #[test]
    fn salts_separate_every_field() {
        let a = address!("0000000000000000000000000000000000000001");
        let b = address!("0000000000000000000000000000000000000002");
        let c = address!("0000000000000000000000000000000000000003");
        let k = U256::from(3000u64) * U256::from(crate::PRICE_SCALE);
        let base = series_salt(a, b, c, false, k, 1_800_000_000);
        assert_ne!(base, series_salt(b, a, c, false, k, 1_800_000_000));
        assert_ne!(base, series_salt(a, b, a, false, k, 1_800_000_000));
        assert_ne!(base, series_salt(a, b, c, true, k, 1_800_000_000));
        assert_ne!(
            base,
            series_salt(a, b, c, false, k + U256::from(1), 1_800_000_000)
        );
        assert_ne!(base, series_salt(a, b, c, false, k, 1_800_086_400));
        assert_ne!(product_id(a, b, c, false), product_id(a, b, c, true));
    }

    #[test]
    fn preimages_equal_abi_encode() {
        use alloy_sol_types::SolValue;
        let a = address!("1111111111111111111111111111111111111111");
        let b = address!("2222222222222222222222222222222222222222");
        let c = address!("3333333333333333333333333333333333333333");
        let k = U256::from(1_850_250_000_000_000_000_000u128);
        assert_eq!(
            product_id_preimage(a, b, c, true)[..],
            (a, b, c, true).abi_encode()[..]
        );
        assert_eq!(
            series_salt_preimage(a, b, c, true, k, 1_795_766_400)[..],
            (a, b, c, true, k, 1_795_766_400u64).abi_encode()[..]
        );
    }

    #[test]
    fn clone_prediction_equals_alloy_create2() {
        let deployer = address!("00000000000000000000000000000000000f0c70");
        let implementation = address!("00000000000000000000000000000000000001e1");
        let salt = b256!("0101010101010101010101010101010101010101010101010101010101010101");
        assert_eq!(
            predict_clone_address(deployer, salt, implementation, &args()),
            deployer.create2(salt, keccak256(clone_init_code(implementation, &args())))
        );
    }
}
