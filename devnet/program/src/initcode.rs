//! The EVM init code that deploys a Stylus program, as cargo-stylus writes it.
//!
//! `7f <len:32> 80 60 2b 60 00 39 60 00 f3 00` ‖ code: PUSH32 len, DUP1, PUSH1 43, PUSH1 0,
//! CODECOPY, PUSH1 0, RETURN, then a version byte (0). 43 bytes in all.

/// Length of the prelude before the code.
pub const PRELUDE_LEN: usize = 43;

/// Init code that returns `code` as the deployed bytecode.
pub fn init_code(code: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PRELUDE_LEN + code.len());
    out.push(0x7f);
    let mut len = [0u8; 32];
    len[24..].copy_from_slice(&(code.len() as u64).to_be_bytes());
    out.extend_from_slice(&len);
    out.extend_from_slice(&[
        0x80,
        0x60,
        PRELUDE_LEN as u8,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
        0x00,
    ]);
    out.extend_from_slice(code);
    out
}

/// The code carried by init code in exactly this format, if it is.
pub fn split_init_code(init: &[u8]) -> Option<&[u8]> {
    if init.len() < PRELUDE_LEN || init[0] != 0x7f {
        return None;
    }
    let code = &init[PRELUDE_LEN..];
    if init_code(code)[..PRELUDE_LEN] == init[..PRELUDE_LEN] {
        Some(code)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelude_matches_cargo_stylus_layout() {
        let init = init_code(&[0xEF, 0xF0, 0x00, 0x00, 0xAA]);
        assert_eq!(init.len(), PRELUDE_LEN + 5);
        assert_eq!(init[0], 0x7f);
        assert_eq!(init[32], 5);
        assert_eq!(
            &init[33..43],
            &[0x80, 0x60, 0x2b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]
        );
        assert_eq!(
            split_init_code(&init),
            Some(&[0xEF, 0xF0, 0x00, 0x00, 0xAA][..])
        );
        assert_eq!(split_init_code(&init[..40]), None);
    }
}
