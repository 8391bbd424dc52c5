//! What a PromQL expression selects, from a real parse.
//!
//! Three places ask it: rules ("does this alert read the service's own metrics?"),
//! the Prometheus probe (which services a recording rule belongs to) and the Grafana
//! extraction (which metrics and labels a panel shows). Guessing from the text confuses
//! label names, functions and metric names; a parse does not. One walk serves all three
//! so that they agree on what a metric name is.

use promql_parser::parser::{Expr, parse};
use promql_parser::util::{ExprVisitor, walk_expr};
use std::collections::BTreeSet;

/// One label matcher of a selector, as written (`job="cart"`, `code=~"5.."`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelMatcher {
    /// The label name.
    pub label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub op: String,
    /// The value or pattern.
    pub value: String,
}

/// Everything the selectors of an expression name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Metric names: selector names and `__name__="..."` equality matchers. A
    /// `__name__=~` pattern is not a name and is not listed.
    pub metrics: BTreeSet<String>,
    /// Every other label matcher, in the order written.
    pub matchers: Vec<LabelMatcher>,
}

impl ExprVisitor for Selection {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        let selector = match expr {
            Expr::VectorSelector(vs) => Some(vs),
            Expr::MatrixSelector(ms) => Some(&ms.vs),
            _ => None,
        };
        if let Some(vs) = selector {
            if let Some(name) = &vs.name {
                self.metrics.insert(name.clone());
            }
            for m in &vs.matchers.matchers {
                let op = m.op.to_string();
                if m.name == "__name__" {
                    if op == "=" {
                        self.metrics.insert(m.value.clone());
                    }
                    continue;
                }
                self.matchers.push(LabelMatcher {
                    label: m.name.clone(),
                    op,
                    value: m.value.clone(),
                });
            }
        }
        Ok(true)
    }
}

/// How deeply an expression may nest (open brackets at once, plus binary operators, which
/// nest as deeply as brackets do) before it is refused unparsed. The parser, the walk and
/// the syntax tree's drop all recurse once per level, so a hostile expression (a
/// dashboard anyone can edit) would otherwise overflow the stack (found by
/// `cargo fuzz run promql`); real expressions stay far below.
pub const MAX_NESTING: usize = 500;

/// The deepest bracket nesting of `expr` plus its operators (`+`, `=~`, `and`, ...),
/// string literals left out: an upper bound of the depth of its syntax tree.
fn nesting(expr: &str) -> usize {
    let (mut depth, mut deepest, mut operators) = (0usize, 0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut word = String::new();
    for c in expr.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if matches!(word.as_str(), "and" | "or" | "unless" | "atan2") {
            operators += 1;
        }
        word.clear();
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '^' | '<' | '>' | '=' | '!' | '@' => operators += 1,
            _ => {}
        }
    }
    if matches!(word.as_str(), "and" | "or" | "unless" | "atan2") {
        operators += 1;
    }
    deepest + operators
}

/// Parses `expr` and returns what its selectors name; the parser's message when it
/// does not parse (callers then say so rather than guess).
pub fn select(expr: &str) -> Result<Selection, String> {
    let nesting = nesting(expr);
    if nesting > MAX_NESTING {
        return Err(format!(
            "the expression nests {nesting} deep (brackets and operators), more than the {MAX_NESTING} evident parses"
        ));
    }
    let ast = parse(expr)?;
    let mut selection = Selection::default();
    let Ok(_) = walk_expr(&mut selection, &ast);
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_selectors_and_name_equality_only() {
        let s = select(
            r#"rate(http_requests_total{job="cart", code=~"5.."}[5m]) > 0 or {__name__="up"} or count({__name__=~"go_.*"})"#,
        )
        .expect("parses");
        assert_eq!(
            s.metrics.into_iter().collect::<Vec<_>>(),
            vec!["http_requests_total", "up"]
        );
        assert_eq!(
            s.matchers,
            vec![
                LabelMatcher {
                    label: "job".into(),
                    op: "=".into(),
                    value: "cart".into()
                },
                LabelMatcher {
                    label: "code".into(),
                    op: "=~".into(),
                    value: "5..".into()
                },
            ]
        );
    }

    /// Regression (cargo fuzz run promql, fuzz/regressions/promql/): deep brackets or long
    /// operator chains overflowed the stack in the parser and in the tree's drop.
    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        for expr in [
            format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000)),
            format!("{}x{}", "sum(".repeat(5_000), ")".repeat(5_000)),
            format!("{}1", "1+".repeat(20_000)),
            format!("x{}", " and x".repeat(20_000)),
        ] {
            let error = select(&expr).err().unwrap_or_default();
            assert!(error.contains("nests"), "{error}");
        }
        // Just below the limit still parses, on a test thread's stack.
        let near = format!("{}1", "1+".repeat(MAX_NESTING - 1));
        assert!(select(&near).is_ok());
        let strings = format!("x{{a=\"{}\"}}", "(+".repeat(5_000));
        assert!(select(&strings).is_ok(), "string literals do not nest");
    }

    #[test]
    fn an_expression_that_does_not_parse_says_why() {
        assert!(select("rate(http_requests_total[5m]").is_err());
    }
}
