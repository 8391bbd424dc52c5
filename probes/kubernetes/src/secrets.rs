//! The credential values a scan's kubernetes targets carry, so the scan's redactor can
//! replace them wherever a cluster echoes them (a 403 message naming the token, an
//! object name). Reading values only: nothing here talks to a cluster.

use crate::Target;
use serde_json::Value;

/// Where a pod's service-account token lives (read by `--kube` inside a cluster).
const IN_CLUSTER_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Every secret value of the credentials the targets use: bearer tokens (inline and
/// token files), basic-auth passwords, client keys (the base64 data, the PEM and each
/// line of its body), auth-provider tokens and secrets, exec plugin environment values
/// whose names say token, secret, password or key.
/// For kubeconfig contexts every user of the kubeconfig (`$KUBECONFIG` or
/// `~/.kube/config`) counts: redacting a credential of an unused user costs nothing.
/// Dumps carry no credentials. A file that cannot be read adds nothing.
pub fn credential_secrets(targets: &[Target]) -> Vec<String> {
    let mut out = Vec::new();
    let mut kubeconfig_read = false;
    for target in targets {
        match target {
            Target::Context(_) | Target::Current => {
                if !kubeconfig_read {
                    kubeconfig_read = true;
                    if let Ok(config) = kube::config::Kubeconfig::read() {
                        for user in &config.auth_infos {
                            if let Some(auth) = &user.auth_info {
                                auth_info_secrets(auth, &mut out);
                            }
                        }
                    }
                }
                if matches!(target, Target::Current) {
                    read_file_secret(IN_CLUSTER_TOKEN, &mut out);
                }
            }
            Target::Config { config, .. } => auth_info_secrets(&config.auth_info, &mut out),
            Target::Dump { .. } => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The secrets of one kubeconfig user, read through its serialised form (the only
/// public way to the values kube keeps as secret strings).
fn auth_info_secrets(auth: &kube::config::AuthInfo, out: &mut Vec<String>) {
    let Ok(value) = serde_json::to_value(auth) else {
        return;
    };
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    out.extend(field("password"));
    out.extend(field("token"));
    if let Some(path) = field("tokenFile") {
        read_file_secret(&path, out);
    }
    if let Some(data) = field("client-key-data") {
        out.push(data.clone());
        if let Some(pem) = decode_base64(&data) {
            pem_secrets(&pem, out);
        }
    }
    if let Some(path) = field("client-key")
        && let Ok(pem) = std::fs::read_to_string(&path)
    {
        pem_secrets(&pem, out);
    }
    if let Some(config) = value
        .pointer("/auth-provider/config")
        .and_then(Value::as_object)
    {
        out.extend(
            config
                .iter()
                .filter(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    k.contains("token") || k.contains("secret")
                })
                .filter_map(|(_, v)| v.as_str().map(str::to_owned)),
        );
    }
    // Only variables whose name says secret: `AWS_PROFILE=prod` is no secret, and
    // redacting `prod` would blank every cluster name.
    if let Some(env) = value.pointer("/exec/env").and_then(Value::as_array) {
        out.extend(
            env.iter()
                .filter(|e| {
                    e.get("name").and_then(Value::as_str).is_some_and(|n| {
                        let n = n.to_ascii_lowercase();
                        ["token", "secret", "password", "key"]
                            .iter()
                            .any(|w| n.contains(w))
                    })
                })
                .filter_map(|e| e.get("value").and_then(Value::as_str))
                .map(str::to_owned),
        );
    }
}

fn read_file_secret(path: &str, out: &mut Vec<String>) {
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim();
        if !text.is_empty() {
            out.push(text.to_owned());
        }
    }
}

/// A PEM key, and each line of its body: a server echoing part of a key shows lines.
fn pem_secrets(pem: &str, out: &mut Vec<String>) {
    let pem = pem.trim();
    if pem.is_empty() {
        return;
    }
    out.push(pem.to_owned());
    let body: Vec<&str> = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    out.extend(
        body.iter()
            .filter(|l| l.len() >= 16)
            .map(|l| (*l).to_owned()),
    );
    let joined = body.concat();
    if joined.len() >= 16 {
        out.push(joined);
    }
}

fn decode_base64(data: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn every_credential_of_a_config_target_is_collected() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKeyCanaryLine0123456789abcd\n-----END PRIVATE KEY-----\n";
        let auth: kube::config::AuthInfo = serde_json::from_value(serde_json::json!({
            "token": "tok-canary-1234",
            "password": "pw-canary-5678",
            "username": "alice",
            "client-key-data": base64::engine::general_purpose::STANDARD.encode(pem),
            "exec": {"command": "x", "apiVersion": "client.authentication.k8s.io/v1",
                     "env": [{"name": "AWS_PROFILE", "value": "prod"},
                             {"name": "VAULT_TOKEN", "value": "vault-canary-99"}]},
        }))
        .expect("auth info");
        let mut config = kube::Config::new("http://127.0.0.1:1".parse().expect("url"));
        config.auth_info = auth;
        let secrets = credential_secrets(&[Target::Config {
            name: "c".into(),
            config: Box::new(config),
        }]);
        for s in [
            "tok-canary-1234",
            "pw-canary-5678",
            "MC4CAQAwBQYDK2VwBCIEIKeyCanaryLine0123456789abcd",
        ] {
            assert!(secrets.iter().any(|x| x == s), "{s} missing: {secrets:?}");
        }
        assert!(
            secrets.iter().any(|x| x == "vault-canary-99"),
            "{secrets:?}"
        );
        assert!(!secrets.iter().any(|x| x == "alice" || x == "prod"));
    }
}
