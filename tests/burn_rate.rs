//! The burn-rate alerts every golden emits, against the Google SRE workbook's table of
//! multi-window, multi-burn-rate alerts ("Alerting on SLOs", chapter 5, the final
//! recommendation; https://sre.google/workbook/alerting-on-slos/, as quoted with Sloth v0.16.0's
//! `internal/alert/windows/google-30d.yaml` in notes/slo-research.md §1, read 2026-12-02).
//! The table is data here, typed from the workbook, not from deployc's own constants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_yaml::Value;

/// (severity, long window, short window, burn rate, share of a 30-day budget spent when it fires).
const WORKBOOK: [(&str, &str, &str, f64, f64); 4] = [
    ("page", "1h", "5m", 14.4, 0.02),
    ("page", "6h", "30m", 6.0, 0.05),
    ("ticket", "1d", "2h", 3.0, 0.10),
    ("ticket", "3d", "6h", 1.0, 0.10),
];

fn hours(window: &str) -> f64 {
    let (number, unit) = window.split_at(window.len() - 1);
    let number: f64 = number.parse().expect("a number");
    match unit {
        "m" => number / 60.0,
        "h" => number,
        "d" => number * 24.0,
        other => panic!("unit {other}"),
    }
}

/// Every rule of every golden's PrometheusRules.
fn rules() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for golden in std::fs::read_dir("golden").expect("golden/").flatten().map(|e| e.path()) {
        let stack = golden.join("manifests/10-stack.yaml");
        let Ok(text) = std::fs::read_to_string(&stack) else { continue };
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document).expect("YAML");
            if value["kind"].as_str() != Some("PrometheusRule") {
                continue;
            }
            for group in value["spec"]["groups"].as_sequence().cloned().unwrap_or_default() {
                for rule in group["rules"].as_sequence().cloned().unwrap_or_default() {
                    out.push((PathBuf::from(&golden).display().to_string(), rule));
                }
            }
        }
    }
    out
}

/// `(ratio_rate<long>{slo="x"} > (<rate> * <budget>) and ratio_rate<short>{slo="x"} > (<rate> * <budget>))`
/// terms of an alert's expression: (long, short, rate, budget, slo).
fn tiers(expr: &str) -> Vec<(String, String, f64, f64, String)> {
    let mut out = Vec::new();
    for term in expr.split(" or ") {
        let term = term.trim().trim_start_matches('(').trim_end_matches(')');
        let parts: Vec<&str> = term.split(" and ").collect();
        assert_eq!(parts.len(), 2, "a tier is a long and a short window: {term}");
        let parse = |part: &str| {
            let (series, threshold) = part.split_once(" > ").expect("a comparison");
            let window = series
                .strip_prefix("slo:sli_error:ratio_rate")
                .and_then(|s| s.split_once('{'))
                .map(|(w, rest)| (w.to_string(), rest.trim_end_matches('}').to_string()))
                .expect("an error-ratio series");
            let (rate, budget) = threshold
                .trim_matches(|c| c == '(' || c == ')')
                .split_once(" * ")
                .map(|(r, b)| (r.parse::<f64>().expect("rate"), b.parse::<f64>().expect("budget")))
                .expect("rate * budget");
            (window, rate, budget)
        };
        let ((long, selector), rate, budget) = parse(parts[0]);
        let ((short, short_selector), short_rate, short_budget) = parse(parts[1]);
        assert_eq!(selector, short_selector, "both windows of a tier read one objective: {term}");
        assert_eq!((rate, budget), (short_rate, short_budget), "both windows of a tier share the threshold: {term}");
        out.push((long, short, rate, budget, selector));
    }
    out
}

#[test]
fn burn_rate_alerts_follow_the_workbook_table() {
    let rules = rules();
    let mut alerts = 0;
    let mut recorded: BTreeSet<(String, String)> = BTreeSet::new();
    for (_, rule) in &rules {
        if let (Some(record), Some(slo)) = (rule["record"].as_str(), rule["labels"]["slo"].as_str()) {
            recorded.insert((record.to_string(), slo.to_string()));
        }
    }
    for (golden, rule) in &rules {
        let severity = match rule["alert"].as_str() {
            Some("ErrorBudgetFastBurn") => "page",
            Some("ErrorBudgetSlowBurn") => "ticket",
            _ => continue,
        };
        alerts += 1;
        let level = rule["labels"]["severity"].as_str().expect("severity");
        assert_eq!(level, if severity == "page" { "critical" } else { "warning" }, "{golden}: {rule:?}");
        let slo = rule["labels"]["slo"].as_str().expect("an slo label");
        assert!(rule["annotations"]["runbook_url"].as_str().is_some_and(|u| u == format!("RUNBOOK.md#slo-{slo}")));
        let expected: Vec<_> = WORKBOOK.iter().filter(|row| row.0 == severity).collect();
        let found = tiers(rule["expr"].as_str().expect("expr"));
        assert_eq!(found.len(), expected.len(), "{golden}: {slo} {severity}");
        let budgets: BTreeSet<String> = found.iter().map(|t| t.3.to_string()).collect();
        assert_eq!(budgets.len(), 1, "{golden}: one budget for every tier of {slo}");
        for ((long, short, rate, budget, selector), row) in found.iter().zip(&expected) {
            assert_eq!((long.as_str(), short.as_str(), *rate), (row.1, row.2, row.3), "{golden}: {slo}");
            assert_eq!(selector, &format!("slo=\"{slo}\""));
            assert!(*budget > 0.0 && *budget < 1.0);
            // The short window is 1/12 of the long one (the workbook's guideline).
            assert!((hours(long) / hours(short) - 12.0).abs() < 1e-9, "{long}/{short}");
            // At 30 days the rate spends the workbook's share of the budget over the long window.
            assert!((rate * hours(long) / (30.0 * 24.0) - row.4).abs() < 1e-9, "{long} at {rate}");
            for window in [long, short] {
                assert!(
                    recorded.contains(&(format!("slo:sli_error:ratio_rate{window}"), slo.to_string())),
                    "{golden}: {slo} has no error ratio over {window}"
                );
            }
        }
    }
    assert!(alerts >= 8, "only {alerts} burn-rate alerts in the goldens (two objectives each in two examples)");
}

/// Each objective's budget in the runbook is `(1 - objective) × window` in minutes.
#[test]
fn the_runbook_states_each_budget_in_minutes() {
    let runbook = std::fs::read_to_string("golden/todo-app-doks/RUNBOOK.md").expect("runbook");
    let mut budgets = BTreeMap::new();
    for (heading, objective, days) in [("todo-backend-availability", 0.999, 30.0), ("todo-backend-latency", 0.99, 30.0)]
    {
        let minutes: f64 = (1.0 - objective) * days * 24.0 * 60.0;
        budgets.insert(heading, format!("{} minutes of full outage over 30 days", (minutes * 10.0).round() / 10.0));
    }
    for (heading, line) in budgets {
        let section = runbook.split(&format!("### SLO {heading}\n")).nth(1).expect("a section per objective");
        let section = section.split("\n### ").next().unwrap_or(section);
        assert!(section.contains(&line), "{heading}: no {line:?} in\n{section}");
    }
}
