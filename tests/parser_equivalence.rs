//! The hand-written parser (`src/syntax/descent.rs`, the only one `deployc` runs) and pest
//! (`grammar/deploy.pest`, its oracle, `tests/support/pest_oracle.rs`) agree: on every input,
//! either both reject it or both accept it and build the same tree, spans included; the
//! lossless parse that `deployc fmt` reads builds that tree too and accounts for every byte. Inputs: every example and stdlib file, prefixes of each (truncated files),
//! hand-picked corners of the grammar, and deterministic random mutations of the examples.
//!
//! When this fails after a grammar change, change `src/syntax/descent.rs` the same way.

use std::fs;

use deployc::source::FileId;
use deployc::syntax::testing::parse_fast;

#[path = "support/pest_oracle.rs"]
mod pest_oracle;
use pest_oracle::{lossless_agrees, parse_with_pest, pest_can_parse};

/// `None` when the parser rejects `text`, else the tree in `Debug` form (the AST has no `Eq`).
fn both(text: &str) -> (Option<String>, Option<String>) {
    let file = FileId(7);
    let fast = parse_fast(file, text).map(|module| format!("{module:?}"));
    let pest = parse_with_pest(file, text).map(|module| format!("{module:?}"));
    (fast, pest)
}

fn assert_agree(name: &str, text: &str) {
    // pest takes time exponential in the nesting of values: deeper input is only checked for
    // the lossless parse agreeing with the fast one.
    if !pest_can_parse(text) {
        let fast = parse_fast(FileId(7), text).map(|module| format!("{module:?}"));
        lossless_agrees(FileId(7), text, fast.as_deref());
        return;
    }
    let (fast, pest) = both(text);
    lossless_agrees(FileId(7), text, fast.as_deref());
    match (&fast, &pest) {
        (Some(a), Some(b)) => assert_eq!(a, b, "{name}: the parsers build different trees for:\n{text}"),
        (None, None) => {}
        (Some(_), None) => panic!("{name}: the hand-written parser accepts what pest rejects:\n{text}"),
        (None, Some(_)) => panic!("{name}: the hand-written parser rejects what pest accepts:\n{text}"),
    }
}

fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "examples/errors", "stdlib/providers", "stdlib/components"] {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "deploy")
                && let Ok(text) = fs::read_to_string(&path)
            {
                out.push((path.to_string_lossy().into_owned(), text));
            }
        }
    }
    for (name, text) in deployc::stdlib::FILES {
        out.push((format!("<stdlib/{name}>"), text.to_string()));
    }
    out.sort();
    out
}

#[test]
fn whole_files_agree() {
    let corpus = corpus();
    assert!(corpus.len() > 20, "only {} files", corpus.len());
    for (name, text) in &corpus {
        assert_agree(name, text);
    }
}

#[test]
fn prefixes_agree() {
    // Every prefix of every file takes a minute in a debug build; 100 evenly spaced prefixes
    // of each file (every prefix of short ones) cover the same rules in a few seconds.
    for (name, text) in corpus() {
        let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let step = ends.len().div_ceil(100).max(1);
        for end in ends.iter().step_by(step).chain(ends.iter().rev().take(20)) {
            assert_agree(&format!("{name} (first {end} bytes)"), &text[..*end]);
        }
    }
}

#[test]
fn corners_of_the_grammar_agree() {
    for text in [
        "",
        "   \n# only a comment",
        "import \"lib.deploy\"",
        "import \"lib.deploy\"   # trailing comment\n\ndeployment d {}",
        "import \"lib.deploy\" as lib",
        "import \"lib.deploy\" asdf",
        // A keyword ends where a name would.
        "leteam = 1",
        "let_x = 1\ndeployment d {}",
        "let-x = 1",
        "let x = 1",
        "importx \"lib.deploy\"",
        "import\"lib.deploy\"",
        "deployment d { allowed = 1 }",
        "import\"x\"",
        "importx {}",
        "let x = 1",
        "letter = 5",
        "let x = 1..",
        "let x = 1 .. 2",
        "let x = 1..2..3",
        "let x = 1.5..2.",
        "let x = [1, 2,]",
        "let x = [1, 2,,]",
        "let x = [ , ]",
        "let x = []",
        "let x = [\n 1 # c\n , 2 ]",
        "let x = { a = 1, b.c = \"x\" d = 3 }",
        "let x = {}",
        "let x = f()",
        "let x = f(a = 1, b, c = 2..3,)",
        "let x = f (a)",
        "let x = f(a == 1)",
        "let x = f(,)",
        "let x = $5",
        "let x = $5/mo",
        "let x = $5/h",
        "let x = $5/hour",
        "let x = $5/m",
        "let x = $0.036/h",
        "let x = $",
        "let x = 5Mi",
        "let x = 5Mix",
        "let x = 5mo",
        "let x = 5ms",
        "let x = 5m",
        "let x = 70%",
        "let x = 5 Mi",
        "let x = 1.5Gi",
        "let x = true",
        "let x = trueish",
        "let x = false-ish",
        "let x = true-",
        "let x = a-b-c",
        "let x = a--b",
        "let x = a-",
        "let x = _a",
        "let x = \"a\\nb\\t\\\"\\\\\\$c\"",
        "let x = \"a\\x\"",
        "let x = \"${a}${ b }${\n# c\nc}\"",
        "let x = \"${a\"",
        "let x = \"${}\"",
        "let x = \"$a ${\"",
        "let x = \"é ü 日本 $5\"",
        "let x = \"unterminated",
        "let x = \"two\nlines\"",
        "deployment d { }",
        "deployment d{}",
        "deployment \"d\" {}",
        "deployment \"${x}\" {}",
        "deployment {}",
        "deployment d\n{}",
        "deployment d # c\n{}",
        "service a : t {}",
        "service a:t{}",
        "service a :\n  t {}",
        "service a : # c\n t {}",
        "service : t {}",
        "a b c {}",
        "d { a = 1, b = 2,, }",
        "d { a = 1 b = 2 }",
        "d { a b c }",
        "d { a() b(1) }",
        "d { a\n{ } }",
        "d { x { y { z = [1, [2, [3]]] } } }",
        "d { allow root because \"why\" }",
        "d { allow root because\"why\" }",
        "d { allow = 1 }",
        "d { allowed root because \"why\" }",
        "d { allow root becausex \"why\" }",
        "d { allow root }",
        "d { allow }",
        "d { allow-x = 1 }",
        "d { a.b.c = 1 }",
        "d { a. b = 1 }",
        "d { a .b = 1 }",
        "d { a = 1 } }",
        "d { a = 1 ",
        "d { a = }",
        "\u{feff}d {}",
        "d {}\r\n",
        "d {\ta\t=\t1\t}",
        "d { a = 1 } # end",
        "d { http \"https://x/\" { status = 200 } }",
        "a b { c d { e f { g h {",
        "a b { c d { e f { } x = }",
        "a b { c d : t { e f { } } g = }",
        "a b { c d { e f { } } } }",
    ] {
        assert_agree(text, text);
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Characters and fragments that matter to the grammar.
const PIECES: &[&str] = &[
    " ",
    "\n",
    "\t",
    "#",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ".",
    "..",
    "=",
    ":",
    "\"",
    "\\",
    "$",
    "${",
    "-",
    "_",
    "/",
    "%",
    "a",
    "Z",
    "0",
    "9",
    "m",
    "Mi",
    "mo",
    "h",
    "true",
    "false",
    "let ",
    "import ",
    "allow ",
    " because ",
    "x = 1",
    "é",
];

/// Replace a random slice of `text` with a fragment, another slice of `text`, or nothing.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let a = boundaries[rng.below(boundaries.len())];
    let b = boundaries[rng.below(boundaries.len())];
    let (start, end) = (a.min(b), a.max(b).min(a.min(b) + 1 + rng.below(8)));
    let end = *boundaries.iter().find(|&&i| i >= end).unwrap_or(&text.len());
    let insert = match rng.below(3) {
        0 => PIECES[rng.below(PIECES.len())].to_string(),
        1 => {
            let c = boundaries[rng.below(boundaries.len())];
            let d = *boundaries.iter().find(|&&i| i >= c + rng.below(40)).unwrap_or(&text.len());
            text[c..d].to_string()
        }
        _ => String::new(),
    };
    format!("{}{}{}", &text[..start], insert, &text[end..])
}

#[test]
fn random_mutations_agree() {
    let corpus = corpus();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut accepted = 0;
    for case in 0..2_000 {
        let (name, text) = &corpus[rng.below(corpus.len())];
        let mut mutant = mutate(&mut rng, text);
        for _ in 0..rng.below(3) {
            mutant = mutate(&mut rng, &mutant);
        }
        accepted += usize::from(parse_fast(FileId(7), &mutant).is_some());
        assert_agree(&format!("mutation {case} of {name}"), &mutant);
    }
    // Both outcomes must be well represented for the comparison to mean something.
    assert!(accepted > 150, "only {accepted} mutants parse");
}
