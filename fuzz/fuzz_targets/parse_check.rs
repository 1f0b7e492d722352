//! Parse and check arbitrary bytes, as `deployc check` does, and hold the invariants (see
//! `deployc::testing::parse_check_oracle`, which `tests/fuzz_regressions.rs` also runs on every
//! saved input): no panic, no stack overflow, the hand-written parser agrees with pest, and a
//! build has output exactly when it has no errors.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| deployc::testing::parse_check_oracle(data));
