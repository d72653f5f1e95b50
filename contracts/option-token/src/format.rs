//! Labels of a series (`WETH-USDC 27NOV26 3000 C`), built without `core::fmt` to keep the WASM small.

use abi::option_token::MAX_ASSET_SYMBOL_BYTES;
use alloc::string::String;
use alloc::vec::Vec;

const MONTHS: [&[u8; 3]; 12] = [
    b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV", b"DEC",
];
const ONE: u128 = abi::PRICE_SCALE;

/// What a label shows.
pub struct Series {
    pub underlying_symbol: [u8; MAX_ASSET_SYMBOL_BYTES],
    pub strike_symbol: [u8; MAX_ASSET_SYMBOL_BYTES],
    pub expiry: u64,
    pub strike_price: u128,
    pub is_put: bool,
    /// `Call`/`Put` (name) instead of `C`/`P` (symbol).
    pub long: bool,
}

/// `U-S DDMONYY K C`: the symbol (`long` = false) or the name (`Call`/`Put`).
pub fn label(series: &Series) -> String {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(stored_symbol(&series.underlying_symbol));
    out.push(b'-');
    out.extend_from_slice(stored_symbol(&series.strike_symbol));
    out.push(b' ');
    push_date(&mut out, series.expiry);
    out.push(b' ');
    push_fixed(&mut out, series.strike_price);
    out.push(b' ');
    out.extend_from_slice(match (series.is_put, series.long) {
        (false, false) => b"C".as_slice(),
        (true, false) => b"P",
        (false, true) => b"Call",
        (true, true) => b"Put",
    });
    // Every piece is ASCII or a valid UTF-8 prefix (see `stored_symbol`).
    String::from_utf8(out).unwrap_or_default()
}

/// The stored symbol without its zero padding, reduced to its longest valid UTF-8 prefix.
fn stored_symbol(bytes: &[u8; MAX_ASSET_SYMBOL_BYTES]) -> &[u8] {
    let len = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    match core::str::from_utf8(&bytes[..len]) {
        Ok(s) => s.as_bytes(),
        Err(e) => &bytes[..e.valid_up_to()],
    }
}

/// `DDMONYY` of the UTC day of `timestamp`.
fn push_date(out: &mut Vec<u8>, timestamp: u64) {
    let (year, month, day) = civil_from_days(timestamp / 86_400);
    push_two_digits(out, day);
    out.extend_from_slice(MONTHS[(month - 1) as usize]);
    push_two_digits(out, (year % 100) as u32);
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic Gregorian calendar;
/// H. Hinnant's `civil_from_days`, restricted to days >= 0).
pub fn civil_from_days(days: u64) -> (u64, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn push_two_digits(out: &mut Vec<u8>, value: u32) {
    out.push(b'0' + (value / 10 % 10) as u8);
    out.push(b'0' + (value % 10) as u8);
}

/// An 18-decimal fixed-point value with its trailing fractional zeros dropped (`3000`, `0.5`).
fn push_fixed(out: &mut Vec<u8>, value: u128) {
    push_integer(out, value / ONE);
    let mut fraction = value % ONE;
    if fraction == 0 {
        return;
    }
    out.push(b'.');
    let mut digits = 18;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        digits -= 1;
    }
    let start = out.len();
    push_integer(out, fraction);
    let written = out.len() - start;
    // Leading zeros of the fraction (e.g. 0.05).
    for _ in written..digits {
        out.insert(start, b'0');
    }
}

fn push_integer(out: &mut Vec<u8>, mut value: u128) {
    let start = out.len();
    loop {
        out.push(b'0' + (value % 10) as u8);
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out[start..].reverse();
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::option_token::symbol_bytes;
    use proptest::prelude::*;

    fn series(
        underlying: &str,
        strike: &str,
        expiry: u64,
        strike_price: u128,
        is_put: bool,
        long: bool,
    ) -> Series {
        Series {
            underlying_symbol: symbol_bytes(underlying).0,
            strike_symbol: symbol_bytes(strike).0,
            expiry,
            strike_price,
            is_put,
            long,
        }
    }

    #[test]
    fn labels_like_the_issue_example() {
        // 2026-11-27 08:00 UTC
        let expiry = 1_795_766_400;
        assert_eq!(
            label(&series("WETH", "USDC", expiry, 3000 * ONE, false, false)),
            "WETH-USDC 27NOV26 3000 C"
        );
        assert_eq!(
            label(&series("WETH", "USDC", expiry, 3000 * ONE, false, true)),
            "WETH-USDC 27NOV26 3000 Call"
        );
        assert_eq!(
            label(&series(
                "WBTC",
                "USDC",
                expiry,
                1_850_250 * ONE / 10,
                true,
                false
            )),
            "WBTC-USDC 27NOV26 185025 P"
        );
        assert_eq!(
            label(&series("ARB", "USDC", expiry, ONE / 20, true, true)),
            "ARB-USDC 27NOV26 0.05 Put"
        );
        assert_eq!(
            label(&series("ARB", "USDC", expiry, 1, true, false)),
            "ARB-USDC 27NOV26 0.000000000000000001 P"
        );
        assert_eq!(
            label(&series("ARB", "USDC", expiry, ONE + ONE / 4, true, false)),
            "ARB-USDC 27NOV26 1.25 P"
        );
    }

    #[test]
    fn dates_match_known_days() {
        // (timestamp at 08:00 UTC, label) computed independently with Python's datetime.
        for (timestamp, text) in [
            (1_795_766_400u64, "27NOV26"),
            (1_709_193_600, "29FEB24"),
            (946_713_600, "01JAN00"),
            (115_200, "02JAN70"),
            (4_107_571_200, "01MAR00"),
        ] {
            let mut out = Vec::new();
            push_date(&mut out, timestamp);
            assert_eq!(out, text.as_bytes(), "{timestamp}");
        }
    }

    #[test]
    fn long_symbols_are_cut_at_character_boundaries() {
        assert_eq!(&symbol_bytes("ABCDEFGHIJKLMNOP").0, b"ABCDEF");
        assert_eq!(&symbol_bytes("wstETH").0, b"wstETH");
        // 'é' is two bytes: 5 ASCII + 'é' does not fit in 6, so it is dropped whole.
        assert_eq!(&symbol_bytes("ABCDEé").0[..], b"ABCDE\0");
        assert_eq!(stored_symbol(&symbol_bytes("ABCDEé").0), b"ABCDE");
        // Garbage bytes (never written by `symbol_bytes`) still give valid UTF-8.
        let mut raw = [0u8; MAX_ASSET_SYMBOL_BYTES];
        raw[..3].copy_from_slice(&[b'A', 0xc3, b'B']);
        assert_eq!(stored_symbol(&raw), b"A");
    }

    /// Day-by-day walk through the calendar: slow, but independent of the closed form.
    fn walk(days: u64) -> (u64, u32, u32) {
        let (mut year, mut left) = (1970u64, days);
        loop {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let len = if leap { 366 } else { 365 };
            if left < len {
                break;
            }
            left -= len;
            year += 1;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let lengths = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let mut month = 0;
        while left >= lengths[month] {
            left -= lengths[month];
            month += 1;
        }
        (year, month as u32 + 1, left as u32 + 1)
    }

    proptest! {
        #[test]
        fn civil_from_days_matches_a_calendar_walk(days in 0u64..200_000) {
            prop_assert_eq!(civil_from_days(days), walk(days));
        }

        #[test]
        fn fixed_point_round_trips(value in 1u128..(1u128 << 96)) {
            let mut out = Vec::new();
            push_fixed(&mut out, value);
            let text = core::str::from_utf8(&out).unwrap();
            let (int, frac) = text.split_once('.').unwrap_or((text, ""));
            prop_assert!(!frac.ends_with('0'));
            let mut padded = String::from(frac);
            while padded.len() < 18 { padded.push('0'); }
            let parsed = int.parse::<u128>().unwrap() * ONE + padded.parse::<u128>().unwrap();
            prop_assert_eq!(parsed, value);
        }
    }
}
