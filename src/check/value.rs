//! Typed literals: converting AST values to typed values given the type the context expects.
//!
//! The typed-literal rule lives here: `5m` is five minutes where a duration is expected and
//! five millicores where CPU is expected; `2` is two cores for `cpu` and two replicas for
//! `replicas`. A literal that does not fit is E0301 with an example of the right literal.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::model::{Cpu, Decimal, Memory, Money, Spanned};
use crate::diagnostics::codes;
use crate::diagnostics::suggest::Budget;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::syntax::ast::{Let, StrLit, StrPart, Value, ValueKind};
use crate::vocab::SLO_WINDOW_RANGE_DAYS;

/// The checking context: the diagnostics sink, the `let` constants in scope and what is left
/// of the compilation's did-you-mean budget.
pub struct Cx<'a> {
    pub sink: &'a mut Diagnostics,
    pub lets: &'a BTreeMap<String, Let>,
    pub suggestions: Budget,
}

/// The largest CPU quantity, in millicores (10^18, as memory's bound is 10^18 bytes).
pub const MAX_MILLICORES: f64 = 1e18;

impl Cx<'_> {
    /// The closest of `candidates` to `name` (see [`crate::diagnostics::suggest`]), within the
    /// compilation's budget; `None` when there are no candidates.
    pub fn did_you_mean<'n, I>(&mut self, name: &str, candidates: I) -> Option<String>
    where
        I: IntoIterator<Item = &'n str>,
        I::IntoIter: ExactSizeIterator,
    {
        self.suggestions.did_you_mean(name, candidates)
    }

    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.sink.push(diagnostic);
    }

    fn let_value(&self, value: &Value) -> Option<Value> {
        let mut current = value.clone();
        for _ in 0..16 {
            match &current.kind {
                ValueKind::Ident(name) => match self.lets.get(name) {
                    Some(binding) => current = Value { kind: binding.value.kind.clone(), span: value.span },
                    None => return None,
                },
                _ => return Some(current),
            }
        }
        None
    }

    /// Values where a name (not a `let`) is never meant: substitute `let` constants. Borrows
    /// the value itself when it is not a name (almost always), so checking copies nothing.
    fn constant<'v>(&self, value: &'v Value) -> Cow<'v, Value> {
        match &value.kind {
            ValueKind::Ident(_) => Cow::Owned(self.let_value(value).unwrap_or_else(|| value.clone())),
            _ => Cow::Borrowed(value),
        }
    }

    pub fn wrong_type(&mut self, value: &Value, what: &str, expected: &str, example: &str) {
        let found = value.kind.describe();
        let mut diagnostic = Diagnostic::new(codes::E0301, format!("`{what}` expects {expected}, found {found}"))
            .at(value.span, format!("this is {found}"))
            .help(format!("write {expected} here, such as `{example}`"));
        if let ValueKind::Ident(name) = &value.kind
            && expected.contains("string")
        {
            let lets = self.lets;
            let near = self.did_you_mean(name, lets.keys().map(String::as_str));
            diagnostic = match near {
                Some(near) => Diagnostic::new(codes::E0203, format!("undefined constant `{name}`"))
                    .at(value.span, "no `let` with this name")
                    .help(format!("did you mean `{near}`? To write text, quote it: `\"{name}\"`")),
                None => diagnostic.help(format!("quote it to make it a string: `\"{name}\"`")),
            };
        }
        self.error(diagnostic);
    }

    /// A string; `${name}` interpolates a `let` constant, and a bare name that is a `let`
    /// constant stands for its value.
    pub fn string(&mut self, value: &Value, what: &str) -> Option<Spanned<String>> {
        let value = self.constant(value);
        match &value.kind {
            ValueKind::Str(lit) => self.interpolate(lit).map(|s| Spanned::new(s, value.span)),
            _ => {
                self.wrong_type(&value, what, "a string", "\"text\"");
                None
            }
        }
    }

    pub fn interpolate(&mut self, lit: &StrLit) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in &lit.parts {
            match part {
                StrPart::Text(text) => out.push_str(text),
                StrPart::Interp(name) => match self.lets.get(&name.name).map(|l| l.value.kind.clone()) {
                    Some(ValueKind::Str(inner)) if inner.parts.iter().all(|p| matches!(p, StrPart::Text(_))) => {
                        out.push_str(&inner.plain().unwrap_or_default());
                    }
                    Some(ValueKind::Number(_, text)) => out.push_str(&text),
                    Some(ValueKind::Ident(text)) => out.push_str(&text),
                    Some(_) => {
                        self.error(
                            Diagnostic::new(
                                codes::E0301,
                                format!("`{}` cannot be interpolated into a string", name.name),
                            )
                            .at(name.span, "not a string, number or name")
                            .help("interpolate only `let` constants that hold text or numbers"),
                        );
                        ok = false;
                    }
                    None => {
                        let lets = self.lets;
                        let near = self.did_you_mean(&name.name, lets.keys().map(String::as_str));
                        self.error(
                            Diagnostic::new(codes::E0203, format!("undefined constant `{}`", name.name))
                                .at(name.span, "no `let` with this name")
                                .help(match near {
                                    Some(n) => format!("did you mean `{n}`?"),
                                    None => format!("define it at the top of the file: `let {} = \"…\"`", name.name),
                                }),
                        );
                        ok = false;
                    }
                },
            }
        }
        ok.then_some(out)
    }

    /// A name (`nyc1`, `s-2vcpu-4gb`); a plain string is accepted too.
    pub fn name(&mut self, value: &Value, what: &str) -> Option<Spanned<String>> {
        match &value.kind {
            ValueKind::Ident(name) => Some(Spanned::new(name.clone(), value.span)),
            ValueKind::Str(lit) => self.interpolate(lit).map(|s| Spanned::new(s, value.span)),
            _ => {
                self.wrong_type(value, what, "a name", "nyc1");
                None
            }
        }
    }

    /// One of a fixed set of words (`server = production`).
    pub fn word(&mut self, value: &Value, what: &str, allowed: &[&str]) -> Option<Spanned<String>> {
        let name = self.name(value, what)?;
        if allowed.contains(&name.value.as_str()) {
            return Some(name);
        }
        let near = self.did_you_mean(&name.value, allowed.iter().copied());
        let list: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        self.error(
            Diagnostic::new(
                codes::E0301,
                format!(
                    "`{what}` expects one of {}, found `{}`",
                    crate::diagnostics::suggest::one_of(&list),
                    name.value
                ),
            )
            .at(value.span, "not one of the allowed words")
            .help(match near {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("use {}", crate::diagnostics::suggest::one_of(&list)),
            }),
        );
        None
    }

    pub fn boolean(&mut self, value: &Value, what: &str) -> Option<bool> {
        match self.constant(value).kind {
            ValueKind::Bool(b) => Some(b),
            _ => {
                self.wrong_type(value, what, "a boolean", "true");
                None
            }
        }
    }

    /// A whole number of things (replicas, nodes, brokers).
    pub fn count(&mut self, value: &Value, what: &str) -> Option<Spanned<u32>> {
        let value = self.constant(value);
        if let ValueKind::Number(n, _) = value.kind
            && n.fract() == 0.0
            && (0.0..=1_000_000.0).contains(&n)
        {
            return Some(Spanned::new(n as u32, value.span));
        }
        if let ValueKind::Number(..) = value.kind {
            self.error(
                Diagnostic::new(codes::E0314, format!("`{what}` must be a whole number"))
                    .at(value.span, "not a whole number")
                    .help("write a whole number such as `2`"),
            );
            return None;
        }
        self.wrong_type(&value, what, "a whole number", "2");
        None
    }

    /// A TCP port, 1 to 65535.
    pub fn port(&mut self, value: &Value, what: &str) -> Option<Spanned<u16>> {
        let count = self.count(value, what)?;
        match u16::try_from(count.value) {
            Ok(port) if port > 0 => Some(Spanned::new(port, count.span)),
            _ => {
                self.error(
                    Diagnostic::new(codes::E0314, format!("port {} is out of range", count.value))
                        .at(count.span, "not between 1 and 65535")
                        .help("ports are numbers from 1 to 65535, such as `8080`"),
                );
                None
            }
        }
    }

    /// CPU: `2` or `0.5` cores, `250m` millicores, at most [`MAX_MILLICORES`].
    pub fn cpu(&mut self, value: &Value, what: &str) -> Option<Spanned<Cpu>> {
        let value = self.constant(value);
        let millis = match &value.kind {
            ValueKind::Number(n, _) => n * 1000.0,
            ValueKind::Quantity { number, unit, .. } if *unit == "m" => *number,
            _ => {
                let found = value.kind.describe();
                let shown = self.shown(&value);
                self.error(
                    Diagnostic::new(codes::E0301, format!("`{what}` expects CPU, found {found}"))
                        .at(value.span, format!("this is {found}"))
                        .help(format!("`{shown}` is {found}; `{what}` expects CPU such as `500m` or `2`")),
                );
                return None;
            }
        };
        if millis.fract() != 0.0 || millis < 1.0 {
            self.error(
                Diagnostic::new(codes::E0314, format!("`{what}` must be at least one millicore"))
                    .at(value.span, "not a whole number of millicores")
                    .help("write CPU as whole millicores (`250m`) or cores (`0.5`, `2`)"),
            );
            return None;
        }
        // Kubernetes keeps a quantity's milli-units in a 64-bit integer; memory has the same
        // bound (1e18 bytes).
        if millis > MAX_MILLICORES {
            self.error(
                Diagnostic::new(codes::E0314, format!("`{what}` is out of range"))
                    .at(value.span, "more than 1,000,000,000,000,000 cores")
                    .help("write CPU such as `250m` or `2`"),
            );
            return None;
        }
        Some(Spanned::new(Cpu { millis: millis as u64 }, value.span))
    }

    fn shown(&self, value: &Value) -> String {
        match &value.kind {
            ValueKind::Quantity { number_text, unit, .. } => format!("{number_text}{unit}"),
            ValueKind::Number(_, text) => text.clone(),
            ValueKind::Ident(name) => name.clone(),
            _ => value.kind.describe().to_string(),
        }
    }

    /// Memory: `512Mi`, `2Gi`, `1G`.
    pub fn memory(&mut self, value: &Value, what: &str) -> Option<Spanned<Memory>> {
        let value = self.constant(value);
        if let ValueKind::Quantity { number, unit, .. } = &value.kind {
            let factor: f64 = match *unit {
                "Ki" => 1024.0,
                "Mi" => 1024.0 * 1024.0,
                "Gi" => 1024.0 * 1024.0 * 1024.0,
                "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
                "K" => 1e3,
                "M" => 1e6,
                "G" => 1e9,
                "T" => 1e12,
                _ => 0.0,
            };
            if factor > 0.0 {
                let bytes = (number * factor).round();
                if !(1.0..=1e18).contains(&bytes) {
                    self.error(
                        Diagnostic::new(codes::E0314, format!("`{what}` is out of range"))
                            .at(value.span, "too small or too large")
                            .help("write memory such as `256Mi` or `2Gi`"),
                    );
                    return None;
                }
                return Some(Spanned::new(Memory { bytes: bytes as u64 }, value.span));
            }
        }
        let found = value.kind.describe();
        let shown = self.shown(&value);
        let help = match &value.kind {
            ValueKind::Number(..) => format!("add a unit: `{shown}Mi` or `{shown}Gi`"),
            _ => format!("`{shown}` is {found}; `{what}` expects memory such as `512Mi` or `2Gi`"),
        };
        self.error(
            Diagnostic::new(codes::E0301, format!("`{what}` expects memory, found {found}"))
                .at(value.span, format!("this is {found}"))
                .help(help),
        );
        None
    }

    /// A duration in seconds: `500ms` (rounded up), `30s`, `10m`, `2h`, `1d`.
    pub fn duration(&mut self, value: &Value, what: &str) -> Option<Spanned<u64>> {
        let value = self.constant(value);
        if let ValueKind::Quantity { number, unit, .. } = &value.kind {
            let seconds = match *unit {
                "ms" => Some((number / 1000.0).ceil()),
                "s" => Some(*number),
                "m" => Some(number * 60.0),
                "h" => Some(number * 3600.0),
                "d" => Some(number * 86400.0),
                _ => None,
            };
            if let Some(seconds) = seconds.filter(|s| *s < 1e12) {
                return Some(Spanned::new(seconds.ceil() as u64, value.span));
            }
        }
        let found = value.kind.describe();
        let shown = self.shown(&value);
        let help = match &value.kind {
            ValueKind::Number(..) => format!("add a unit: `{shown}s` or `{shown}m`"),
            _ => format!("`{shown}` is {found}; `{what}` expects a duration such as `30s` or `10m`"),
        };
        self.error(
            Diagnostic::new(codes::E0301, format!("`{what}` expects a duration, found {found}"))
                .at(value.span, format!("this is {found}"))
                .help(help),
        );
        None
    }

    /// A percentage, `70%`.
    pub fn percent(&mut self, value: &Value, what: &str) -> Option<Spanned<u32>> {
        let value = self.constant(value);
        if let ValueKind::Quantity { number, unit, .. } = &value.kind
            && *unit == "%"
        {
            if *number >= 1.0 && *number <= 100.0 && number.fract() == 0.0 {
                return Some(Spanned::new(*number as u32, value.span));
            }
            self.error(
                Diagnostic::new(codes::E0314, format!("`{what}` must be a whole percentage from 1% to 100%"))
                    .at(value.span, "out of range")
                    .help("write a percentage such as `70%`"),
            );
            return None;
        }
        self.wrong_type(&value, what, "a percentage", "70%");
        None
    }

    /// Money per month: `$24/mo`, `$0.036/h` (730 hours a month), or a plain `$0`.
    pub fn money(&mut self, value: &Value, what: &str) -> Option<Spanned<Money>> {
        let value = self.constant(value);
        if let ValueKind::Money { amount, rate } = &value.kind {
            let monthly = if rate == "h" { amount * 730.0 } else { *amount };
            return Some(Spanned::new(Money { cents: (monthly * 100.0).round() as u64 }, value.span));
        }
        self.wrong_type(&value, what, "an amount of money", "$100/mo");
        None
    }

    /// A list whose elements are converted by `each`; a single element is not a list.
    pub fn list<T>(
        &mut self,
        value: &Value,
        what: &str,
        mut each: impl FnMut(&mut Self, &Value) -> Option<T>,
    ) -> Option<Vec<T>> {
        let value = self.constant(value);
        match &value.kind {
            ValueKind::List(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match each(self, item) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.wrong_type(&value, what, "a list", "[a, b]");
                None
            }
        }
    }

    /// One value, or a `low..high` range of them.
    pub fn one_or_range<T: Clone>(
        &mut self,
        value: &Value,
        mut each: impl FnMut(&mut Self, &Value) -> Option<T>,
    ) -> Option<(T, T, bool)> {
        let value = self.constant(value);
        match &value.kind {
            ValueKind::Range(low, high) => {
                let low = each(self, low);
                let high = each(self, high);
                Some((low?, high?, true))
            }
            _ => each(self, &value).map(|v| (v.clone(), v, false)),
        }
    }

    /// The text of a scalar value, for free-form maps (`env`, `labels`, helm `values`).
    pub fn scalar_text(&mut self, value: &Value, what: &str) -> Option<String> {
        let value = self.constant(value);
        match &value.kind {
            ValueKind::Str(lit) => self.interpolate(lit),
            ValueKind::Number(_, text) => Some(text.clone()),
            ValueKind::Bool(b) => Some(b.to_string()),
            ValueKind::Quantity { number_text, unit, .. } => Some(format!("{number_text}{unit}")),
            _ => {
                self.wrong_type(&value, what, "a string", "\"text\"");
                None
            }
        }
    }

    /// An objective: a percentage above 0% and below 100% (`99.9%`), held exactly, as a ratio.
    pub fn objective(&mut self, value: &Value, what: &str) -> Option<Spanned<Decimal>> {
        let value = self.constant(value);
        let ValueKind::Quantity { number_text, unit: "%", .. } = &value.kind else {
            self.wrong_type(&value, what, "a percentage", "99.9%");
            return None;
        };
        let ratio = Decimal::parse(number_text).map(|d| d.shifted(2));
        match ratio {
            Some(ratio) if ratio.units > 0 && ratio.below_one() => Some(Spanned::new(ratio, value.span)),
            _ => {
                let (label, help) = if ratio.is_some_and(|r| r.units == 0) {
                    (
                        "an objective of 0% promises nothing",
                        "write the share of requests that must succeed, such as `99.9%`",
                    )
                } else {
                    (
                        "leaves no error budget",
                        "an objective must be below 100%: every burn-rate alert divides by the budget `1 - objective`; write `99.9%` (43.2 minutes over 30 days) or `99.99%`",
                    )
                };
                self.error(
                    Diagnostic::new(
                        codes::E0332,
                        format!("`{what}` must be above 0% and below 100%, found {number_text}%"),
                    )
                    .at(value.span, label)
                    .help(help),
                );
                None
            }
        }
    }

    /// An objective's window: whole days in [`SLO_WINDOW_RANGE_DAYS`] (`30d`, `28d`).
    pub fn slo_window(&mut self, value: &Value, what: &str) -> Option<Spanned<u32>> {
        let seconds = self.duration(value, what)?;
        let (least, most) = SLO_WINDOW_RANGE_DAYS;
        let days = seconds.value / 86_400;
        if seconds.value.is_multiple_of(86_400) && (u64::from(least)..=u64::from(most)).contains(&days) {
            return Some(Spanned::new(u32::try_from(days).ok()?, seconds.span));
        }
        let label = if !seconds.value.is_multiple_of(86_400) {
            "not a whole number of days".to_string()
        } else if days < u64::from(least) {
            format!("{days} days: too short for the 3-day ticket window")
        } else {
            format!("{days} days: longer than a quarter")
        };
        self.error(
            Diagnostic::new(codes::E0334, format!("`{what}` must be whole days from {least}d to {most}d"))
                .at(seconds.span, label)
                .help("write a window such as `30d` (the default) or `28d`"),
        );
        None
    }

    /// A latency threshold in seconds, held exactly: `300ms`, `1s`, `1.5s`.
    pub fn latency(&mut self, value: &Value, what: &str) -> Option<Spanned<Decimal>> {
        let value = self.constant(value);
        let seconds = match &value.kind {
            ValueKind::Quantity { number_text, unit: "ms", .. } => Decimal::parse(number_text).map(|d| d.shifted(3)),
            ValueKind::Quantity { number_text, unit: "s", .. } => Decimal::parse(number_text),
            _ => {
                self.wrong_type(&value, what, "a duration in seconds or milliseconds", "300ms");
                return None;
            }
        };
        match seconds {
            Some(seconds) if seconds.units > 0 => Some(Spanned::new(seconds, value.span)),
            _ => {
                self.error(
                    Diagnostic::new(codes::E0314, format!("`{what}` must be above zero"))
                        .at(value.span, "out of range")
                        .help("write the latency a request must beat, such as `300ms`"),
                );
                None
            }
        }
    }
}
