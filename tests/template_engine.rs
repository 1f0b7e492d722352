//! `src/emit/template.rs` against handlebars-rust, the engine it replaces: every template, for
//! every example's contexts and every provider template set, and a table of small templates
//! for the whitespace and scoping rules, must render the same bytes with both (or fail with
//! both). Registry settings as the emitters used them: `no_escape`, strict mode, templates
//! registered with `register_template_string` (partials are templates looked up by name).

use std::path::Path;

use deployc::emit::template::Templates;
use serde_json::Value;

/// Render `name` with both engines.
fn render_both(
    templates: &[(&str, &str)],
    name: &str,
    context: &Value,
) -> (Result<String, String>, Result<String, String>) {
    let mut ours = Templates::new();
    let mut registered = Ok(());
    for (template, text) in templates {
        if let Err(error) = ours.register(template, text) {
            registered = Err(error);
        }
    }
    let ours = registered.and_then(|()| ours.render(name, context));

    let mut reference = handlebars::Handlebars::new();
    reference.register_escape_fn(handlebars::no_escape);
    reference.set_strict_mode(true);
    let mut registered = Ok(());
    for (template, text) in templates {
        if let Err(error) = reference.register_template_string(template, *text) {
            registered = Err(error.to_string());
        }
    }
    let theirs = registered.and_then(|()| reference.render(name, context).map_err(|e| e.to_string()));
    (ours, theirs)
}

/// `None` when both agree (same text, or both failed), else a description of the difference.
fn compare(what: &str, ours: Result<String, String>, theirs: Result<String, String>) -> Option<String> {
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) if ours == theirs => None,
        (Err(_), Err(_)) => None,
        (Ok(ours), Ok(theirs)) => {
            let diff = similar::TextDiff::from_lines(&theirs, &ours)
                .unified_diff()
                .header("handlebars", "ours")
                .context_radius(2)
                .to_string();
            if theirs.len() + ours.len() < 1000 {
                Some(format!("{what}: output differs\n{diff}\nhandlebars: {theirs:?}\nours:       {ours:?}"))
            } else {
                Some(format!("{what}: output differs\n{diff}"))
            }
        }
        (ours, theirs) => Some(format!("{what}: one engine failed\nhandlebars: {theirs:?}\nours:       {ours:?}")),
    }
}

fn provider_sets() -> Vec<&'static str> {
    let mut sets: Vec<&str> = deployc::stdlib::PROVIDER_TEMPLATES.iter().map(|(set, _, _)| *set).collect();
    sets.dedup();
    sets
}

#[test]
fn every_example_and_provider_set_renders_as_handlebars_does() {
    let examples = deployc::testing::deploy_files("examples");
    assert!(!examples.is_empty());
    let sets = provider_sets();
    assert_eq!(sets.len(), 7, "{sets:?}");

    let mut failures = Vec::new();
    let mut rendered = 0;
    for example in &examples {
        let contexts = deployc::testing::template_contexts(Path::new(example))
            .unwrap_or_else(|| panic!("{} does not compile", example.display()));
        assert!(sets.contains(&contexts.set.as_str()), "{}: unknown set {}", example.display(), contexts.set);

        // Every set with this example's script context: the provider templates read only
        // values every context has, so each set is exercised with several deployments.
        for set in &sets {
            let mut templates: Vec<(String, &str)> =
                deployc::emit::scripts::SHARED_TEMPLATES.iter().map(|(n, t)| (n.to_string(), *t)).collect();
            for part in deployc::stdlib::TEMPLATE_PARTS {
                let text = deployc::stdlib::provider_template(set, part).expect("part");
                templates.push((format!("provider_{part}"), text));
            }
            let templates: Vec<(&str, &str)> = templates.iter().map(|(n, t)| (n.as_str(), *t)).collect();
            // The scripts, and each partial on its own (the prelude fails in both: its hash
            // values are missing).
            for (script, _) in &templates {
                let (ours, theirs) = render_both(&templates, script, &contexts.scripts);
                if *set == contexts.set && deployc::emit::scripts::SCRIPTS.contains(script) {
                    assert!(ours.is_ok(), "{} {script}: {ours:?}", example.display());
                }
                let what = format!("{} with set {set}: {script}", example.display());
                failures.extend(compare(&what, ours, theirs));
                rendered += 1;
            }
        }
        let (ours, theirs) =
            render_both(&[("RUNBOOK.md", deployc::emit::runbook::TEMPLATE)], "RUNBOOK.md", &contexts.runbook);
        assert!(ours.is_ok(), "{} RUNBOOK.md: {ours:?}", example.display());
        failures.extend(compare(&format!("{}: RUNBOOK.md", example.display()), ours, theirs));
        rendered += 1;
    }
    assert!(failures.is_empty(), "{} of {rendered} renderings differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// (templates, the first rendered; context as JSON).
type Case = (&'static [(&'static str, &'static str)], &'static str);

const CASES: &[Case] = &[
    // Standalone block lines go, with their indentation and line break; the end of the
    // template counts as a line break, but whitespace after the last tag is kept.
    (&[("t", "a\n{{#if x}}\nb\n{{/if}}\nc\n")], r#"{"x": true}"#),
    (&[("t", "a\n{{#if x}}\nb\n{{/if}}\nc\n")], r#"{"x": false}"#),
    (&[("t", "{{#if x}}\nb\n{{/if}}")], r#"{"x": true}"#),
    (&[("t", "{{#if x}}\nb\n{{/if}}\n")], r#"{"x": true}"#),
    (&[("t", "{{#if x}}\nb\n{{/if}}\n\n  \n")], r#"{"x": true}"#),
    (&[("t", "  {{#each xs}}\n  - {{this}}\n  {{/each}}\nend\n")], r#"{"xs": [1, 2]}"#),
    (&[("t", "\t{{#if x}}  \n\tb\n\t{{/if}}\t\nc")], r#"{"x": true}"#),
    (&[("t", "a\r\n{{#if x}}\r\nb\r\n{{/if}}\r\nc\r\n")], r#"{"x": true}"#),
    (&[("t", "{{#if x}}{{#if y}}\nz\n{{/if}}{{/if}}\nw\n")], r#"{"x": true, "y": true}"#),
    (&[("t", "a {{#if x}}b{{/if}} c\n{{#if x}} d {{/if}}\n")], r#"{"x": true}"#),
    (&[("t", "{{#if x}}   {{/if}}|{{#if x}}\n{{/if}}|")], r#"{"x": true}"#),
    (&[("t", "x{{#if a}}\ny\n{{/if}}\nz\n")], r#"{"a": true}"#),
    // Else branches.
    (&[("t", "{{#if x}}\nyes\n{{else}}\nno\n{{/if}}\n")], r#"{"x": false}"#),
    (&[("t", "{{#if x}}\nyes\n  {{else}}  \nno\n{{/if}}\n")], r#"{"x": true}"#),
    (&[("t", "{{#unless x}}no{{else}}yes{{/unless}}|{{#unless x}}\nz\n{{/unless}}")], r#"{"x": 0}"#),
    (&[("t", "{{#if x}}y{{^}}n{{/if}}")], r#"{"x": ""}"#),
    // Each: empty lists, else, locals, objects, parents.
    (&[("t", "a\n{{#each xs}}\n{{this}}\n{{/each}}\nb\n")], r#"{"xs": []}"#),
    (&[("t", "{{#each xs}}{{this}},{{else}}none{{/each}}")], r#"{"xs": []}"#),
    (&[("t", "{{#each xs}}\n- {{this}}\n{{else}}\nnone\n{{/each}}\n")], r#"{"xs": []}"#),
    (&[("t", "{{#each xs}}\n- {{this}}\n{{else}}\nnone\n{{/each}}\n")], r#"{"xs": ["a", "b"]}"#),
    (
        &[("t", "{{#each xs}}{{@index}}:{{this}}{{#if @first}} first{{/if}}{{#if @last}} last{{/if}}\n{{/each}}")],
        r#"{"xs": ["a", "b", "c"]}"#,
    ),
    (&[("t", "{{#each m}}{{@key}}={{this}} {{@index}};{{/each}}")], r#"{"m": {"b": 1, "a": 2}}"#),
    (&[("t", "{{#each xs}}{{../name}}-{{this.v}} {{/each}}")], r#"{"name": "n", "xs": [{"v": 1}, {"v": 2}]}"#),
    (
        &[(
            "t",
            "{{#each s}}\n{{#each c}}\n{{#each r}}\n{{../ns}} {{this}} {{@index}} {{../../n}}\n{{/each}}\n{{/each}}\n{{/each}}\n",
        )],
        r#"{"s": [{"n": 1, "c": [{"ns": "x", "r": ["a", "b"]}, {"ns": "y", "r": []}]}]}"#,
    ),
    (&[("t", "{{#each xs}}{{@root.name}}{{/each}}")], r#"{"name": "r", "xs": [1, 2]}"#),
    (
        &[("t", "{{#each xs}}{{#each this}}{{@../index}}{{@index}}{{@last}} {{/each}}{{/each}}")],
        r#"{"xs": [[1, 2], [3]]}"#,
    ),
    (&[("t", "{{#each xs}}{{#each this}}{{this}}{{/each}};{{/each}}")], r#"{"xs": [[1, 2], [], [3]]}"#),
    (&[("t", "{{#each missing}}x{{else}}none{{/each}}")], r#"{}"#),
    (&[("t", "{{#each xs}}{{#unless @first}}, {{/unless}}{{this}}{{/each}}")], r#"{"xs": [1, 2, 3]}"#),
    // With and lookup.
    (&[("t", "{{#with (lookup xs 0)}}\n  {{name}} {{i}}\n{{/with}}\n")], r#"{"xs": [{"name": "a", "i": 0}]}"#),
    (&[("t", "{{#with (lookup m \"k\")}}{{#each this}}{{this}}{{/each}}{{/with}}")], r#"{"m": {"k": [1, 2]}}"#),
    (&[("t", "{{#with a}}{{b}} {{../c}}{{/with}}")], r#"{"a": {"b": 1}, "c": 2}"#),
    (&[("t", "{{#with a}}x{{else}}none{{/with}}")], r#"{"a": null}"#),
    (&[("t", "{{#each xs}}{{#with this}}{{@index}}{{v}}{{/with}}{{/each}}")], r#"{"xs": [{"v": "a"}, {"v": "b"}]}"#),
    // Whitespace control.
    (&[("t", "a  {{~x~}}  b|[ {{~x}} ]|[ {{x~}} ]")], r#"{"x": "X"}"#),
    (&[("t", "[ -n \"${ {{~env~}} :-}\" ] || missing+=(x)")], r#"{"env": "E"}"#),
    (&[("t", "line\n  {{~#if x~}}\n  in\n  {{~/if~}}\n  after")], r#"{"x": true}"#),
    (&[("t", "{{#if a~}}\n{{y}}\n  z{{/if}}")], r#"{"a": true, "y": "Y"}"#),
    (&[("t", "{{x~}}\n\n  y\n{{~x}}")], r#"{"x": "X"}"#),
    (&[("t", "a\n  {{~> p}}\nb"), ("p", "one\ntwo\n")], r#"{}"#),
    (&[("t", "{{#each xs~}}\n  {{this}}\n{{~/each}}\n")], r#"{"xs": [1, 2]}"#),
    // Partials and their indentation.
    (&[("t", "a\n{{> p}}\nb\n"), ("p", "one\ntwo\n")], r#"{}"#),
    (&[("t", "a\n  {{> p}}\nb\n"), ("p", "one\ntwo\n")], r#"{}"#),
    (&[("t", "a\n  {{> p}}\nb\n"), ("p", "one\n\ntwo")], r#"{}"#),
    (&[("t", "x\n  {{> p}}\ny"), ("p", "p1\n  {{> q}}\np2\n"), ("q", "q1\nq2\n")], r#"{}"#),
    (&[("t", "x\n  {{> p}}\ny\n"), ("p", "v: {{v}}\nw\n")], r#"{"v": "l1\nl2"}"#),
    (&[("t", "a {{> p}} b\n"), ("p", "one\ntwo")], r#"{}"#),
    (&[("t", "  {{> p}}  c\n"), ("p", "one\ntwo\n")], r#"{}"#),
    (&[("t", "{{> p}}\nafter\n"), ("p", "last line without a break")], r#"{}"#),
    (&[("t", "a\n  {{> empty}}\nb\n"), ("empty", "")], r#"{}"#),
    (&[("t", "a\n  {{> p}}\nb\n"), ("p", "{{#if x}}\nyes\n{{/if}}\n")], r#"{"x": false}"#),
    (&[("t", "a\n  {{> p}}\nb\n"), ("p", "{{#if x}}\nyes\n{{/if}}\n")], r#"{"x": true}"#),
    (&[("t", "a\n    {{> p}}\nb\n"), ("p", "{{#each xs}}\n- {{this}}\n{{/each}}\n")], r#"{"xs": [1, 2]}"#),
    (&[("t", "a\n  {{> p}}"), ("p", "x\ny\n")], r#"{}"#),
    (&[("t", "  {{#if x}}\n  {{> p}}\n  {{/if}}\n"), ("p", "in\n")], r#"{"x": true}"#),
    (
        &[
            ("t", "{{> p script=\"s.sh\" confirm=false n=1}}\n"),
            ("p", "{{script}} {{#if confirm}}yes{{/if}} {{name}} {{n}}\n"),
        ],
        r#"{"name": "N"}"#,
    ),
    (&[("t", "{{> p script='s.sh'}}"), ("p", "{{#each xs}}{{script}}:{{this}} {{/each}}")], r#"{"xs": [1, 2]}"#),
    (&[("t", "{{> p item}}|{{> p item k=1}}"), ("p", "{{name}}{{k}}")], r#"{"item": {"name": "i", "k": 0}}"#),
    (&[("t", "{{#each xs}}{{> p}}{{/each}}"), ("p", "{{@index}}={{this}};")], r#"{"xs": ["a", "b"]}"#),
    (
        &[
            ("t", "{{> p a=1}}"),
            ("p", "{{#each this}}{{@key}}={{this}};{{/each}}|{{this}}|{{#with this}}{{a}}{{b}}{{/with}}"),
        ],
        r#"{"b": 2}"#,
    ),
    (&[("t", "{{#each xs}}{{> p k=1}}{{/each}}"), ("p", "{{0}}{{k}};")], r#"{"xs": ["ab", "c"]}"#),
    (&[("t", "{{> p a=1}}"), ("p", "{{> q}}"), ("q", "{{a}}{{b}}{{#each this}}{{@key}}{{/each}}")], r#"{"b": 2}"#),
    (
        &[("t", "{{> p a=1}}"), ("p", "{{#each xs}}{{../a}}{{../b}}{{a}}{{this}};{{/each}}")],
        r#"{"b": 2, "xs": [7, 8]}"#,
    ),
    // Comments.
    (&[("t", "a\n{{! note }}\nb\n  {{!-- long }} note --}}\nc {{! inline }} d\n")], r#"{}"#),
    // Values, truthiness and strict mode.
    (
        &[("t", "{{n}} {{f}} {{b}} {{z}} {{arr}} {{obj}} {{s}} {{neg}}")],
        r#"{"n": 3, "f": 1.5, "b": false, "z": null, "arr": [1, "a", [2]], "obj": {"a": 1}, "s": "<&>", "neg": -2}"#,
    ),
    (&[("t", "{{{s}}} {{&s}} {{s}}")], r#"{"s": "<a href=\"x\">'&'</a>"}"#),
    (
        &[("t", "{{a.b.c}} {{a/b/c}} {{this.a.b.c}} {{xs.1}} {{[weird key]}} {{./a.b.c}}")],
        r#"{"a": {"b": {"c": 1}}, "xs": [5, 6], "weird key": 7}"#,
    ),
    (&[("t", "{{#if missing}}a{{else}}b{{/if}}")], r#"{}"#),
    (&[("t", "{{#if n includeZero=true}}y{{else}}n{{/if}}")], r#"{"n": 0}"#),
    (&[("t", "")], r#"{}"#),
    (&[("t", "  \n ")], r#"{}"#),
];

/// Templates that both engines must refuse: strict mode, unknown partials, bad nesting.
const ERROR_CASES: &[Case] = &[
    (&[("t", "{{#each xs}}x{{/each}}")], r#"{"xs": "text"}"#),
    (&[("t", "{{#each missing}}x{{/each}}")], r#"{}"#),
    (&[("t", "{{#with (lookup xs 1)}}{{name}}{{/with}}")], r#"{"xs": [{"name": "a"}]}"#),
    (&[("t", "{{#with a}}x{{/with}}")], r#"{"a": false}"#),
    (&[("t", "{{#with missing}}x{{/with}}")], r#"{}"#),
    (&[("t", "{{> missing}}")], r#"{}"#),
    (&[("t", "{{missing}}")], r#"{}"#),
    (&[("t", "{{a.missing}}")], r#"{"a": {}}"#),
    (&[("t", "{{a.b}}")], r#"{"a": null}"#),
    (&[("t", "{{@index}}")], r#"{}"#),
    (&[("t", "{{#if x}}\nunclosed\n")], r#"{"x": true}"#),
    (&[("t", "{{#if x}}a{{/each}}")], r#"{"x": true}"#),
    (&[("t", "{{xs.name}}")], r#"{"xs": [1]}"#),
];

/// Every value's truthiness, through `#if`, `#unless` and `#with`.
const TRUTHINESS: [&str; 14] =
    ["0", "1", "0.0", "-1", "1e-320", "\"\"", "\"x\"", "[]", "[0]", "{}", "{\"a\": 1}", "null", "true", "false"];

#[test]
fn whitespace_and_scoping_cases_render_as_handlebars_does() {
    let mut failures = Vec::new();
    for (templates, context) in CASES {
        let context: Value = serde_json::from_str(context).expect("case context");
        let name = templates.first().map(|(n, _)| *n).expect("a template");
        let (ours, theirs) = render_both(templates, name, &context);
        let what = format!("{templates:?} with {context}");
        if ours.is_err() || theirs.is_err() {
            failures.push(format!("{what}: must render\nhandlebars: {theirs:?}\nours:       {ours:?}"));
        } else {
            failures.extend(compare(&what, ours, theirs));
        }
    }
    for (templates, context) in ERROR_CASES {
        let context: Value = serde_json::from_str(context).expect("case context");
        let name = templates.first().map(|(n, _)| *n).expect("a template");
        let (ours, theirs) = render_both(templates, name, &context);
        if ours.is_ok() || theirs.is_ok() {
            failures
                .push(format!("{templates:?} with {context}: must fail\nhandlebars: {theirs:?}\nours:       {ours:?}"));
        }
    }
    for value in TRUTHINESS {
        let context: Value = serde_json::from_str(&format!("{{\"v\": {value}}}")).expect("value");
        let template = "{{#if v}}T{{else}}F{{/if}} {{#unless v}}T{{else}}F{{/unless}} {{#with v}}T{{else}}F{{/with}}";
        let (ours, theirs) = render_both(&[("t", template)], "t", &context);
        failures.extend(compare(&format!("truthiness of {value}"), ours, theirs));
    }
    assert!(failures.is_empty(), "{} cases differ:\n\n{}", failures.len(), failures.join("\n\n"));
}
