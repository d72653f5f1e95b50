#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
#[no_mangle]
pub extern "C" fn main() {}

// stylus-sdk 0.10 generates `print_from_args`: license and pragma come from the command line
// (defaults: MIT-OR-APACHE-2.0, `pragma solidity ^0.8.23;`).
#[cfg(feature = "export-abi")]
fn main() {
    expiry_oracle::print_from_args();
}
