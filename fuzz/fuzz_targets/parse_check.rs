//! Parse and check arbitrary bytes, as `deployc check` does, and hold the invariants (see
//! `deployc::testing::parse_check_oracle` and `parsers_agree` in `tests/support/pest_oracle.rs`,
//! which `tests/fuzz_regressions.rs` also runs on every saved input): no panic, no stack
//! overflow, the hand-written parser agrees with pest, and a build has output exactly when it
//! has no errors.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/pest_oracle.rs"]
mod pest_oracle;

fuzz_target!(|data: &[u8]| {
    deployc::testing::parse_check_oracle(data);
    if let Ok(text) = std::str::from_utf8(data) {
        pest_oracle::parsers_agree(text);
    }
});
