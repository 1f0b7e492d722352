//! Parse and check arbitrary bytes, as `deployc check` does, and hold the invariants:
//! no panic, no stack overflow, and the hand-written parser agrees with pest (both reject the
//! input, or both accept it and build the same tree).

#![no_main]

use deployc::diagnostics::Diagnostics;
use deployc::source::{FileId, SourceMap};
use deployc::syntax::testing::{parse_fast, parse_with_pest, pest_can_parse};
use deployc::{CompileOptions, compile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sink = Diagnostics::new();
    let Some(text) = deployc::source::decode("fuzz.deploy", data.to_vec(), &mut sink) else {
        assert!(!sink.is_empty(), "non-UTF-8 input without a diagnostic");
        return;
    };

    // The two parsers agree (pest only sees input it parses in reasonable time, as in `parse`).
    if pest_can_parse(&text) {
        let file = FileId(99);
        let fast = parse_fast(file, &text).map(|module| format!("{module:?}"));
        let mut pest_sink = Diagnostics::new();
        let module = parse_with_pest(&mut pest_sink, file, &text);
        let pest = pest_sink.is_empty().then(|| format!("{module:?}"));
        assert_eq!(fast, pest, "the parsers disagree on:\n{text}");
    }

    // The whole pipeline, imports refused (the library does no IO).
    let mut sources = SourceMap::new();
    let root = sources.add("fuzz.deploy", text);
    let loader = |_: &str, path: &str| -> Result<(String, String), String> { Err(format!("no file {path}")) };
    let compilation = compile(&mut sources, root, &loader, &CompileOptions::default());
    // A build with output has no errors, and one with errors has no output.
    assert_eq!(compilation.output.is_some(), !compilation.diagnostics.has_errors());
    let _ = deployc::diagnostics::render::render_all(
        &compilation.diagnostics,
        &sources,
        deployc::diagnostics::render::Style::Plain,
    );
});
