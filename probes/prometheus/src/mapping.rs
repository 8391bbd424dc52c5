//! Which service a target or a series belongs to, and what kind of metric a name is.
//!
//! Prometheus knows jobs and labels, not services. The mapping takes the most specific
//! label that names an application, in a fixed order, and records which one it used, so
//! a reader can check (and a rule can weigh) how each service was found.

use std::collections::BTreeMap;

/// Target labels (after relabelling) that name an application, most specific first.
/// `app_kubernetes_io_name` is what Prometheus' `labelmap` makes of the
/// `app.kubernetes.io/name` pod label.
pub const SERVICE_LABELS: &[&str] = &[
    "app_kubernetes_io_name",
    "app",
    "service",
    "k8s_app",
    "service_name",
];

/// Discovered (pre-relabelling) labels that name an application, for targets whose
/// relabelling dropped them.
const DISCOVERED_LABELS: &[&str] = &[
    "__meta_kubernetes_pod_label_app_kubernetes_io_name",
    "__meta_kubernetes_pod_label_app",
    "__meta_kubernetes_service_label_app_kubernetes_io_name",
    "__meta_kubernetes_service_name",
];

/// A service name and how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The service name.
    pub service: String,
    /// `label app_kubernetes_io_name`, `pod name`, `job name`, ...
    pub how: String,
    /// The label the name came from, when it came from a label that series carry too
    /// (used to aggregate metric names per service in one query).
    pub series_label: Option<&'static str>,
}

/// Maps one target by its labels (`labels`) and discovered labels (`discovered`).
pub fn map_target(
    labels: &BTreeMap<String, String>,
    discovered: &BTreeMap<String, String>,
) -> Option<Mapping> {
    for &l in SERVICE_LABELS {
        if let Some(v) = labels.get(l).filter(|v| !v.is_empty()) {
            return Some(Mapping {
                service: v.clone(),
                how: format!("label {l}"),
                series_label: Some(l),
            });
        }
    }
    for &l in DISCOVERED_LABELS {
        if let Some(v) = discovered.get(l).filter(|v| !v.is_empty()) {
            return Some(Mapping {
                service: v.clone(),
                how: format!("discovered label {l}"),
                series_label: None,
            });
        }
    }
    if let Some(pod) = labels.get("pod").filter(|v| !v.is_empty()) {
        return Some(Mapping {
            service: pod_workload(pod),
            how: "pod name without its replica suffix".into(),
            series_label: None,
        });
    }
    let job = labels.get("job").filter(|v| !v.is_empty())?;
    // `namespace/name` jobs (the Prometheus Operator's ServiceMonitor naming) and
    // `serviceMonitor/ns/name/0` jobs name the service in their last meaningful segment.
    let name = job
        .split('/')
        .rfind(|s| !s.is_empty() && s.parse::<u32>().is_err())
        .unwrap_or(job);
    Some(Mapping {
        service: name.to_owned(),
        how: "job name".into(),
        series_label: Some("job"),
    })
}

/// `checkout-7d9f8b6c5d-x2x4q` -> `checkout`; `db-0` -> `db`: the workload behind a pod.
pub fn pod_workload(pod: &str) -> String {
    let parts: Vec<&str> = pod.split('-').collect();
    let is_hash = |s: &str| {
        (5..=10).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_digit())
    };
    let mut end = parts.len();
    // Deployment pods: <name>-<replicaset hash>-<5 chars>; StatefulSet: <name>-<ordinal>.
    if end >= 3 && is_hash(parts[end - 2]) && parts[end - 1].len() == 5 {
        end -= 2;
    } else if end >= 2 && parts[end - 1].parse::<u32>().is_ok() {
        end -= 1;
    } else if end >= 2 && parts[end - 1].len() == 5 {
        end -= 1; // DaemonSet pods: <name>-<5 chars>
    }
    parts[..end.max(1)].join("-")
}

/// The service a probed URL names: the first DNS label of its host
/// (`http://checkout.shop.svc:8080/healthz` -> `checkout`); `None` for IP addresses.
pub fn url_service(instance: &str) -> Option<String> {
    let rest = instance.split_once("://").map_or(instance, |(_, r)| r);
    let host = rest.split(['/', ':', '?']).next()?;
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host == "localhost" {
        return None;
    }
    let first = host.split('.').next()?;
    (!first.is_empty()).then(|| first.to_owned())
}

/// What kind of metric a name is, so rules can ask "beyond runtime defaults?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Process, language runtime and exporter internals (`process_`, `go_`, `jvm_`, `up`).
    Runtime,
    /// Request rate, errors and latency of HTTP or RPC servers and clients.
    Http,
    /// Infrastructure and third-party exporters (node, kube-state, databases, mesh).
    Infra,
    /// Everything else: the service's own domain metrics.
    Domain,
}

impl Family {
    /// The key used in facts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Runtime => "runtime",
            Self::Http => "http",
            Self::Infra => "infra",
            Self::Domain => "domain",
        }
    }
}

const RUNTIME_PREFIXES: &[&str] = &[
    "process_",
    "go_",
    "jvm_",
    "nodejs_",
    "python_",
    "dotnet_",
    "runtime_",
    "promhttp_",
    "scrape_",
    "process.",
    "system_runtime_",
    "otel_",
    "otelcol_",
    "target_info",
    "rust_",
    "ruby_",
    "php_",
    "erlang_",
    "beam_",
    "aspnetcore_",
    "kestrel_",
    "v8js_",
    "jvm.",
    "executor_",
    "logback_",
    "log4j2_",
    "hikaricp_",
    "tomcat_",
    "jetty_",
    "spring_",
];

const HTTP_PREFIXES: &[&str] = &[
    "http_",
    "grpc_",
    "rpc_",
    "requests_",
    "request_",
    "response_",
    "api_requests",
    "api_request",
    "rack_",
    "django_http_",
    "flask_http_",
    "fastapi_",
    "aiohttp_",
    "starlette_",
    "nginx_http_",
];

const INFRA_PREFIXES: &[&str] = &[
    "node_",
    "kube_",
    "container_",
    "kubelet_",
    "apiserver_",
    "etcd_",
    "coredns_",
    "istio_",
    "envoy_",
    "linkerd_",
    "probe_",
    "traces_",
    "prometheus_",
    "alertmanager_",
    "net_conntrack_",
    "postgresql_",
    "pg_",
    "mysql_",
    "redis_",
    "mongodb_",
    "kafka_",
    "rabbitmq_",
    "nginx_",
    "haproxy_",
    "db_client_",
    "system_",
    "machine_",
    "cadvisor_",
    "grafana_",
    "loki_",
    "tempo_",
    "blackbox_",
    "workqueue_",
    "rest_client_",
    "controller_runtime_",
    "certwatcher_",
    "leader_election_",
];

/// Classifies a metric name by its prefix; `up` and the synthetic `scrape_*` series are
/// runtime, not the service's own.
pub fn family(name: &str) -> Family {
    if name == "up" || RUNTIME_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Family::Runtime
    } else if HTTP_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Family::Http
    } else if INFRA_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Family::Infra
    } else {
        Family::Domain
    }
}

/// Series Prometheus writes itself, never a service's own application metrics: `up` and
/// the `scrape_*` series it records for every scrape, `ALERTS` and `ALERTS_FOR_STATE`
/// it writes for every alert (carrying the alerted series' labels, so they look like
/// the service's), and names with a colon, which Prometheus' naming rules reserve for
/// recording rules (exporters and instrumentation must not use them). The outputs of
/// the recording rules the server has loaded are left out by name as well, by the
/// caller, which knows them. `prometheus_*` series are not in this list: they are what a
/// Prometheus server exports about itself when it is scraped as a target, so they are
/// that target's own metrics (classified as infrastructure by [`family`]).
pub fn is_prometheus_own(name: &str) -> bool {
    name == "up"
        || name.starts_with("scrape_")
        || name == "ALERTS"
        || name == "ALERTS_FOR_STATE"
        || name.contains(':')
}

/// A request counter of an HTTP or RPC server (`http_requests_total`,
/// `http_server_requests_seconds_count`, `grpc_server_handled_total`).
pub fn is_request_counter(name: &str) -> bool {
    family(name) == Family::Http
        && (name.ends_with("_total") || name.ends_with("_count"))
        && !name.contains("client")
}

/// A latency histogram of an HTTP or RPC server (its `_bucket` series).
pub fn is_latency_histogram(name: &str) -> bool {
    family(name) == Family::Http
        && name.ends_with("_bucket")
        && (name.contains("duration") || name.contains("latency") || name.contains("seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_most_specific_label_wins_and_is_named() {
        let m = map_target(
            &labels(&[
                ("job", "kubernetes-pods"),
                ("app", "cart"),
                ("app_kubernetes_io_name", "cartservice"),
            ]),
            &BTreeMap::new(),
        );
        assert_eq!(
            m.map(|m| (m.service, m.how)),
            Some(("cartservice".into(), "label app_kubernetes_io_name".into()))
        );
        let m = map_target(&labels(&[("job", "shop/checkout/0")]), &BTreeMap::new());
        assert_eq!(
            m.map(|m| (m.service, m.how)),
            Some(("checkout".into(), "job name".into()))
        );
        let m = map_target(
            &labels(&[("job", "pods"), ("pod", "checkout-7d9f8b6c5d-x2x4q")]),
            &BTreeMap::new(),
        );
        assert_eq!(m.map(|m| m.service), Some("checkout".into()));
    }

    #[test]
    fn pods_lose_their_replica_suffixes() {
        assert_eq!(pod_workload("checkout-7d9f8b6c5d-x2x4q"), "checkout");
        assert_eq!(pod_workload("redis-cart-0"), "redis-cart");
        assert_eq!(pod_workload("fluent-bit-abcde"), "fluent-bit");
        assert_eq!(pod_workload("web"), "web");
    }

    #[test]
    fn probed_urls_name_their_host() {
        assert_eq!(
            url_service("http://checkout.shop.svc:8080/healthz"),
            Some("checkout".into())
        );
        assert_eq!(url_service("https://frontend/"), Some("frontend".into()));
        assert_eq!(url_service("10.0.0.1:9115"), None);
    }

    #[test]
    fn families_separate_runtime_http_and_domain() {
        assert_eq!(family("go_goroutines"), Family::Runtime);
        assert_eq!(family("up"), Family::Runtime);
        assert_eq!(family("http_requests_total"), Family::Http);
        assert_eq!(family("orders_placed_total"), Family::Domain);
        assert_eq!(family("istio_requests_total"), Family::Infra);
        assert!(is_request_counter("http_requests_total"));
        assert!(is_latency_histogram("http_request_duration_seconds_bucket"));
        assert!(!is_latency_histogram("orders_total"));
    }

    #[test]
    fn prometheus_own_series_are_never_the_services() {
        for own in [
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "ALERTS",
            "ALERTS_FOR_STATE",
            "job:http_requests:rate5m",
            "slo:sli_error:ratio_rate5m",
        ] {
            assert!(is_prometheus_own(own), "{own}");
        }
        for theirs in [
            "orders_placed_total",
            "prometheus_tsdb_head_series",
            "alerts_sent_total",
        ] {
            assert!(!is_prometheus_own(theirs), "{theirs}");
        }
    }
}
