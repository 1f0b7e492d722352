//! "Did you mean": the closest candidate to a misspelt name.

/// The smallest normalised Damerau-Levenshtein similarity (0.0 to 1.0) a candidate needs to be
/// suggested. 0.7 accepts one or two typos in a name of six or more characters and rejects
/// unrelated short names (`cpu` for `port`), following Nickel's choice.
pub const SIMILARITY_THRESHOLD: f64 = 0.7;

/// The candidate closest to `name`: an exact match ignoring case wins; otherwise the best score
/// above [`SIMILARITY_THRESHOLD`], or a candidate that `name` is a prefix of (three or more
/// characters). Gleam's "one candidate: suggest it" rule is deliberately not followed: it
/// suggested unrelated names (`redis` for `task-api-db`).
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(exact) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some((*exact).to_string());
    }
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in &candidates {
        let score = strsim::normalized_damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
        if score >= SIMILARITY_THRESHOLD && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    if best.is_none() && name.len() >= 3 {
        best = candidates.iter().find(|c| c.starts_with(name)).map(|c| (0.0, *c));
    }
    best.map(|(_, c)| c.to_string())
}

/// How many candidate names the suggestions of one compilation may compare, about half a
/// second of work. Each did-you-mean compares the name with every candidate, so 16,000
/// references to undefined services among 16,000 services took 100 s; past this budget a
/// diagnostic simply has no suggestion, and checking stays linear in the input.
pub const SUGGESTION_BUDGET: usize = 1_000_000;

/// What is left of [`SUGGESTION_BUDGET`] for one compilation.
#[derive(Debug, Clone)]
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { left: SUGGESTION_BUDGET }
    }
}

impl Budget {
    /// [`did_you_mean`], if the budget still holds its candidates (they are counted, not read,
    /// when it does not).
    pub fn did_you_mean<'a, I>(&mut self, name: &str, candidates: I) -> Option<String>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: ExactSizeIterator,
    {
        let candidates = candidates.into_iter();
        self.left = self.left.checked_sub(candidates.len())?;
        did_you_mean(name, candidates)
    }
}

/// The similarity a candidate needs to be listed among the nearest offered values.
pub const NEAREST_THRESHOLD: f64 = 0.5;

/// Up to `n` candidates with at least [`NEAREST_THRESHOLD`] similarity, nearest first (for "the nearest offered sizes are …").
pub fn nearest<'a, I>(name: &str, candidates: I, n: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().filter(|(score, _)| *score >= NEAREST_THRESHOLD).take(n).map(|(_, c)| c.to_string()).collect()
}

/// "`a`, `b` or `c`".
pub fn one_of(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::from("nothing"),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let fields = ["replicas", "image", "port", "memory"];
        assert_eq!(did_you_mean("replcas", fields), Some("replicas".into()));
        assert_eq!(did_you_mean("IMAGE", fields), Some("image".into()));
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(did_you_mean("redis", ["task-api-db"]), None);
    }

    #[test]
    fn a_spent_budget_suggests_nothing() {
        let names: Vec<String> = (0..1000).map(|i| format!("web{i}")).collect();
        let mut budget = Budget::default();
        let mut suggested = 0;
        for _ in 0..2 * SUGGESTION_BUDGET / names.len() {
            suggested += usize::from(budget.did_you_mean("web1x", names.iter().map(String::as_str)).is_some());
        }
        assert_eq!(suggested, SUGGESTION_BUDGET / names.len());
        assert_eq!(budget.did_you_mean("replcas", ["replicas"]), None, "spent to the last candidate");
    }
}
