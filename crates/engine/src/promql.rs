//! Metric names a PromQL expression reads, from a real parse.
//!
//! Rules ask "does this alert use the service's own metrics, or only `up`?". Guessing
//! that from the text (a regex over identifiers) confuses label names, functions and
//! metric names; a parse does not.

/// The metric names `expr` selects, sorted; `None` when it does not parse (the rule then
/// has no metric names and says so rather than guessing).
pub fn metric_names(expr: &str) -> Option<Vec<String>> {
    evident_promql::select(expr)
        .ok()
        .map(|s| s.metrics.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_selectors_not_labels_or_functions() {
        assert_eq!(
            metric_names(
                r#"sum by (job) (rate(http_requests_total{job="up", code=~"5.."}[5m])) / on(job) group_left sum(rate(http_requests_total[5m]))"#
            ),
            Some(vec!["http_requests_total".to_owned()])
        );
        assert_eq!(
            metric_names(r#"avg by (job) (up{job="web"}) < 1"#),
            Some(vec!["up".to_owned()])
        );
        assert_eq!(
            metric_names(
                "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5"
            ),
            Some(vec!["http_request_duration_seconds_bucket".to_owned()])
        );
        assert_eq!(
            metric_names(r#"{__name__="slo:sli_error:ratio_rate1h"} > 0.01"#),
            Some(vec!["slo:sli_error:ratio_rate1h".to_owned()])
        );
        assert_eq!(metric_names("sum(rate(x[5m]"), None);
    }
}
