//! The hand-written parser and pest agree on arbitrary text: both reject it, or both accept it
//! and build the same tree (`deployc::testing::parsers_agree_oracle`). Parsing only, so it runs
//! far more inputs per second than `parse_check`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| deployc::testing::parsers_agree_oracle(text));
