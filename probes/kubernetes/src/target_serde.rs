//! How a [`Target`] is written into a plan (snapshots keep the plan they were recorded
//! with): a context by name, a dump by path, and a ready client configuration by its
//! cluster name and API URL only. Its credentials (tokens, client keys, passwords) are
//! never written; read back, it is a configuration without credentials, enough for a
//! replay, which opens no connection.

use crate::Target;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Context(String),
    Current,
    Dump {
        path: PathBuf,
        #[serde(default)]
        name: Option<String>,
    },
    Config {
        name: String,
        cluster_url: String,
    },
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let shape = match self {
            Target::Context(c) => Shape::Context(c.clone()),
            Target::Current => Shape::Current,
            Target::Dump { path, name } => Shape::Dump {
                path: path.clone(),
                name: name.clone(),
            },
            Target::Config { name, config } => Shape::Config {
                name: name.clone(),
                cluster_url: evident_core::hidden::hide_userinfo(&config.cluster_url.to_string()),
            },
        };
        shape.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Shape::deserialize(d)? {
            Shape::Context(c) => Target::Context(c),
            Shape::Current => Target::Current,
            Shape::Dump { path, name } => Target::Dump { path, name },
            Shape::Config { name, cluster_url } => {
                let uri: http::Uri = cluster_url.parse().map_err(|e| {
                    serde::de::Error::custom(format!("cluster {name}: {cluster_url}: {e}"))
                })?;
                Target::Config {
                    name,
                    config: Box::new(kube::Config::new(uri)),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_configuration_is_written_without_its_credentials() {
        let mut config = kube::Config::new("https://10.0.0.1:6443".parse().unwrap());
        config.auth_info.token = Some("kube-canary-token-1".to_owned().into());
        let targets = vec![
            Target::Config {
                name: "prod".into(),
                config: Box::new(config),
            },
            Target::Context("staging".into()),
            Target::Current,
            Target::Dump {
                path: "dumps/a.json".into(),
                name: None,
            },
        ];
        let json = serde_json::to_string(&targets).unwrap();
        assert!(!json.contains("kube-canary-token-1"), "{json}");
        let back: Vec<Target> = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert!(matches!(&back[0], Target::Config { name, .. } if name == "prod"));
    }
}
