//! The hand-written parser and pest agree on arbitrary text: both reject it, or both accept it
//! and build the same tree, and the lossless parse `deployc fmt` reads builds it too
//! (`parsers_agree` in `tests/support/pest_oracle.rs`). Parsing only, so it runs far more
//! inputs per second than `parse_check`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/pest_oracle.rs"]
mod pest_oracle;

fuzz_target!(|text: &str| pest_oracle::parsers_agree(text));
