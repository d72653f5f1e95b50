//! On-chain code of a Stylus program.
//!
//! Nitro recognises a program by the prefix `EF F0 00` followed by a dictionary byte; the rest is
//! the brotli-compressed WASM. cargo-stylus always writes dictionary 0 (none) at quality 11 with a
//! 22-bit window, so `encode` does the same and its output is byte-identical for the same WASM.

use std::io::{Read, Write};

/// `EF F0 00`: the EOF-style magic that marks Stylus code (EIP-3541 forbids it for EVM code).
pub const STYLUS_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x00];
/// Dictionary byte for plain brotli.
pub const DICT_NONE: u8 = 0x00;
/// Dictionary byte for nitro's built-in Stylus dictionary (not supported here).
pub const DICT_STYLUS: u8 = 0x01;
/// Prefix of an ArbOS 60 code fragment (`EF F0 01`) and root (`EF F0 02`).
pub const FRAGMENT_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x01];
pub const ROOT_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x02];
/// brotli quality used by cargo-stylus.
pub const BROTLI_QUALITY: u32 = 11;
/// brotli window (log2) used by cargo-stylus and nitro.
pub const BROTLI_WINDOW: u32 = 22;
/// Largest decompressed WASM nitro accepts (128 KiB).
pub const MAX_WASM_SIZE: usize = 128 * 1024;
/// EIP-170 contract size limit, which applies to Stylus code too.
pub const MAX_CODE_SIZE: usize = 24 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("not Stylus code: it does not start with EF F0 00")]
    NotStylus,
    #[error("code fragments (EF F0 01 / EF F0 02, ArbOS 60) are not supported by this chain")]
    Fragmented,
    #[error("unsupported dictionary byte {0:#04x}: only 0x00 (none) is supported")]
    UnsupportedDictionary(u8),
    #[error("brotli data is corrupt or truncated")]
    Corrupt,
    #[error("decompressed WASM exceeds {limit} bytes")]
    TooLarge { limit: usize },
}

/// Whether `code` is Stylus code (any dictionary), as nitro decides when a call arrives.
pub fn is_stylus_code(code: &[u8]) -> bool {
    code.len() >= 4 && code[..3] == STYLUS_MAGIC
}

/// Compresses processed WASM into on-chain code: `EF F0 00 00` ‖ brotli-11(wasm).
pub fn encode(wasm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wasm.len() / 2 + 4);
    out.extend_from_slice(&STYLUS_MAGIC);
    out.push(DICT_NONE);
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer
            .write_all(wasm)
            .expect("writing to a Vec cannot fail");
    }
    out
}

/// Recovers the WASM from on-chain code, refusing anything nitro would not decompress.
pub fn decode(code: &[u8], max_wasm_size: usize) -> Result<Vec<u8>, CodeError> {
    if code.len() >= 3 && (code[..3] == FRAGMENT_MAGIC || code[..3] == ROOT_MAGIC) {
        return Err(CodeError::Fragmented);
    }
    if !is_stylus_code(code) {
        return Err(CodeError::NotStylus);
    }
    match code[3] {
        DICT_NONE => {}
        other => return Err(CodeError::UnsupportedDictionary(other)),
    }
    let mut reader = brotli::Decompressor::new(&code[4..], 4096);
    let mut wasm = Vec::new();
    // Read one byte past the limit so an oversized program is told apart from one at the limit
    // without decompressing a bomb in full.
    let read = reader
        .by_ref()
        .take(max_wasm_size as u64 + 1)
        .read_to_end(&mut wasm)
        .map_err(|_| CodeError::Corrupt)?;
    if read > max_wasm_size {
        return Err(CodeError::TooLarge {
            limit: max_wasm_size,
        });
    }
    Ok(wasm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let wasm = wat::parse_str("(module (memory (export \"memory\") 1))").unwrap();
        let code = encode(&wasm);
        assert_eq!(&code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
        assert!(is_stylus_code(&code));
        assert_eq!(decode(&code, MAX_WASM_SIZE).unwrap(), wasm);
    }

    #[test]
    fn refuses_what_nitro_refuses() {
        assert_eq!(
            decode(&[0x60, 0x00], MAX_WASM_SIZE),
            Err(CodeError::NotStylus)
        );
        assert_eq!(
            decode(&[0xEF, 0xF0, 0x00, 0x01, 1, 2], MAX_WASM_SIZE),
            Err(CodeError::UnsupportedDictionary(1))
        );
        assert_eq!(
            decode(&[0xEF, 0xF0, 0x02, 0x00], MAX_WASM_SIZE),
            Err(CodeError::Fragmented)
        );
        let big = encode(&vec![0u8; 1000]);
        assert_eq!(decode(&big, 999), Err(CodeError::TooLarge { limit: 999 }));
        assert_eq!(decode(&big, 1000).unwrap().len(), 1000);
    }

    proptest! {
        #[test]
        fn arbitrary_code_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut code = vec![0xEF, 0xF0, 0x00, 0x00];
            code.extend(body);
            let _ = decode(&code, MAX_WASM_SIZE);
        }

        #[test]
        fn any_bytes_round_trip(wasm in proptest::collection::vec(any::<u8>(), 0..2048)) {
            prop_assert_eq!(decode(&encode(&wasm), MAX_WASM_SIZE).unwrap(), wasm);
        }
    }
}
