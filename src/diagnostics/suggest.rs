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
}
