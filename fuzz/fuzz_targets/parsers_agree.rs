//! The hand-written parser and pest agree on arbitrary text: both reject it, or both accept it
//! and build the same tree. Parsing only, so it runs far more inputs per second than
//! `parse_check`.

#![no_main]

use deployc::diagnostics::Diagnostics;
use deployc::source::FileId;
use deployc::syntax::testing::{parse_fast, parse_with_pest, pest_can_parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    // `parse` never gives pest deeply nested input (its time doubles with each level).
    if !pest_can_parse(text) {
        let _ = parse_fast(FileId(99), text);
        return;
    }
    let fast = parse_fast(FileId(99), text).map(|module| format!("{module:?}"));
    let mut sink = Diagnostics::new();
    let module = parse_with_pest(&mut sink, FileId(99), text);
    let pest = sink.is_empty().then(|| format!("{module:?}"));
    assert_eq!(fast, pest, "the parsers disagree on:\n{text}");
});
