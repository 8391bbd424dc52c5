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

/// Parses `expr` and returns what its selectors name; the parser's message when it
/// does not parse (callers then say so rather than guess).
pub fn select(expr: &str) -> Result<Selection, String> {
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

    #[test]
    fn an_expression_that_does_not_parse_says_why() {
        assert!(select("rate(http_requests_total[5m]").is_err());
    }
}
