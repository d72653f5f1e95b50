#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
#[no_mangle]
pub extern "C" fn main() {}

// stylus-sdk 0.10 generates `print_from_args` (license and pragma from the command line).
#[cfg(feature = "export-abi")]
fn main() {
    margin_engine::print_from_args();
}
