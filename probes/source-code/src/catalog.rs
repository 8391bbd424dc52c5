//! What a dependency's name says: an ESB product, or a datastore's driver.
//!
//! The tables name packages as their ecosystems publish them (crate names, npm names, Go
//! module paths, Maven `group:artifact`, PyPI and NuGet ids), matched exactly or by a
//! prefix that ends at a separator, so `pg` matches the npm driver and not `pg-format`'s
//! cousins by accident, and `github.com/jackc/pgx` matches its `/v5` module.

/// An ESB product and the dependency prefixes that mean it.
const ESB: &[(&str, &[&str])] = &[
    (
        "MuleSoft",
        &["org.mule.", "com.mulesoft.", "org.mule:", "com.mulesoft:"],
    ),
    (
        "WSO2",
        &[
            "org.wso2.ei",
            "org.wso2.carbon.mediation",
            "org.apache.synapse",
        ],
    ),
    (
        "IBM ACE/IIB",
        &[
            "com.ibm.broker",
            "com.ibm.integration",
            "com.ibm.etools.mft",
        ],
    ),
    ("Apache ServiceMix", &["org.apache.servicemix"]),
    ("BizTalk", &["Microsoft.BizTalk", "BizTalk."]),
    (
        "TIBCO BusinessWorks",
        &["com.tibco.bw", "com.tibco.plugin", "tibco-bw"],
    ),
    (
        "Oracle Service Bus",
        &["com.oracle.osb", "oracle.osb", "com.bea.wli.sb"],
    ),
];

/// What kind of store a driver talks to: whether schema migrations make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    /// Relational: schema migrations apply.
    Sql,
    /// Document stores: migrations apply (Mongock, migrate-mongo).
    Document,
    /// Caches and key-value stores.
    KeyValue,
    /// Search engines.
    Search,
    /// Event logs and brokers.
    EventLog,
}

impl StoreKind {
    /// The name used in facts.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sql => "sql",
            Self::Document => "document",
            Self::KeyValue => "key_value",
            Self::Search => "search",
            Self::EventLog => "event_log",
        }
    }
}

/// Datastore technology, its kind, and the driver names that mean it.
const DATASTORES: &[(&str, StoreKind, &[&str])] = &[
    (
        "postgres",
        StoreKind::Sql,
        &[
            "pg",
            "postgres",
            "tokio-postgres",
            "sqlx-postgres",
            "psycopg2",
            "psycopg2-binary",
            "psycopg",
            "asyncpg",
            "github.com/lib/pq",
            "github.com/jackc/pgx",
            "org.postgresql:postgresql",
            "Npgsql",
            "Npgsql.EntityFrameworkCore.PostgreSQL",
            "pg-promise",
            "postgres-js",
        ],
    ),
    (
        "mysql",
        StoreKind::Sql,
        &[
            "mysql",
            "mysql2",
            "mysqlclient",
            "PyMySQL",
            "pymysql",
            "mysql-connector-python",
            "github.com/go-sql-driver/mysql",
            "mysql:mysql-connector-java",
            "com.mysql:mysql-connector-j",
            "MySql.Data",
            "MySqlConnector",
            "Pomelo.EntityFrameworkCore.MySql",
            "mysql_async",
            "org.mariadb.jdbc:mariadb-java-client",
        ],
    ),
    (
        "sqlserver",
        StoreKind::Sql,
        &[
            "mssql",
            "tedious",
            "pyodbc",
            "github.com/denisenkom/go-mssqldb",
            "github.com/microsoft/go-mssqldb",
            "com.microsoft.sqlserver:mssql-jdbc",
            "Microsoft.Data.SqlClient",
            "System.Data.SqlClient",
            "Microsoft.EntityFrameworkCore.SqlServer",
            "tiberius",
        ],
    ),
    (
        "oracle",
        StoreKind::Sql,
        &[
            "oracledb",
            "cx_Oracle",
            "com.oracle.database.jdbc:ojdbc8",
            "com.oracle.database.jdbc:ojdbc11",
            "Oracle.ManagedDataAccess.Core",
            "github.com/godror/godror",
        ],
    ),
    (
        "sqlite",
        StoreKind::Sql,
        &[
            "rusqlite",
            "sqlite3",
            "better-sqlite3",
            "github.com/mattn/go-sqlite3",
            "org.xerial:sqlite-jdbc",
            "Microsoft.Data.Sqlite",
            "modernc.org/sqlite",
        ],
    ),
    (
        "spanner",
        StoreKind::Sql,
        &[
            "cloud.google.com/go/spanner",
            "google-cloud-spanner",
            "@google-cloud/spanner",
            "Google.Cloud.Spanner.Data",
            "com.google.cloud:google-cloud-spanner",
            "com.google.cloud:google-cloud-spanner-jdbc",
        ],
    ),
    (
        "alloydb",
        StoreKind::Sql,
        &[
            "cloud.google.com/go/alloydbconn",
            "google-cloud-alloydb-connector",
            "@google-cloud/alloydb-connector",
            "com.google.cloud:alloydb-jdbc-connector",
        ],
    ),
    (
        "cockroachdb",
        StoreKind::Sql,
        &[
            "github.com/cockroachdb/cockroach-go",
            "sqlalchemy-cockroachdb",
        ],
    ),
    (
        "mongodb",
        StoreKind::Document,
        &[
            "mongodb",
            "mongoose",
            "pymongo",
            "motor",
            "mongoengine",
            "go.mongodb.org/mongo-driver",
            "org.mongodb:",
            "MongoDB.Driver",
            "mongodb-driver",
        ],
    ),
    (
        "firestore",
        StoreKind::Document,
        &[
            "cloud.google.com/go/firestore",
            "google-cloud-firestore",
            "@google-cloud/firestore",
            "Google.Cloud.Firestore",
            "com.google.cloud:google-cloud-firestore",
        ],
    ),
    (
        "dynamodb",
        StoreKind::Document,
        &[
            "@aws-sdk/client-dynamodb",
            "github.com/aws/aws-sdk-go-v2/service/dynamodb",
            "software.amazon.awssdk:dynamodb",
            "AWSSDK.DynamoDBv2",
            "aws-sdk-dynamodb",
        ],
    ),
    (
        "cassandra",
        StoreKind::Document,
        &[
            "cassandra-driver",
            "github.com/gocql/gocql",
            "com.datastax.oss:",
            "CassandraCSharpDriver",
            "scylla",
        ],
    ),
    (
        "redis",
        StoreKind::KeyValue,
        &[
            "redis",
            "ioredis",
            "github.com/go-redis/redis",
            "github.com/redis/go-redis",
            "github.com/gomodule/redigo",
            "redis.clients:jedis",
            "io.lettuce:lettuce-core",
            "org.springframework.boot:spring-boot-starter-data-redis",
            "StackExchange.Redis",
            "Microsoft.Extensions.Caching.StackExchangeRedis",
            "fred",
            "deadpool-redis",
        ],
    ),
    (
        "memcached",
        StoreKind::KeyValue,
        &[
            "memcached",
            "pymemcache",
            "github.com/bradfitz/gomemcache",
            "EnyimMemcachedCore",
        ],
    ),
    (
        "elasticsearch",
        StoreKind::Search,
        &[
            "elasticsearch",
            "@elastic/elasticsearch",
            "github.com/elastic/go-elasticsearch",
            "co.elastic.clients:elasticsearch-java",
            "org.elasticsearch.client:",
            "NEST",
            "Elastic.Clients.Elasticsearch",
        ],
    ),
    (
        "kafka",
        StoreKind::EventLog,
        &[
            "kafkajs",
            "rdkafka",
            "confluent-kafka",
            "kafka-python",
            "aiokafka",
            "github.com/segmentio/kafka-go",
            "github.com/confluentinc/confluent-kafka-go",
            "github.com/IBM/sarama",
            "github.com/Shopify/sarama",
            "org.apache.kafka:kafka-clients",
            "org.springframework.kafka:spring-kafka",
            "Confluent.Kafka",
        ],
    ),
    (
        "nats",
        StoreKind::EventLog,
        &[
            "nats",
            "async-nats",
            "nats-py",
            "github.com/nats-io/nats.go",
            "io.nats:jnats",
            "NATS.Client",
            "NATS.Net",
        ],
    ),
    (
        "pulsar",
        StoreKind::EventLog,
        &[
            "pulsar-client",
            "github.com/apache/pulsar-client-go",
            "org.apache.pulsar:pulsar-client",
            "DotPulsar",
        ],
    ),
    (
        "eventstoredb",
        StoreKind::EventLog,
        &[
            "@eventstore/db-client",
            "esdbclient",
            "github.com/EventStore/EventStore-Client-Go",
            "com.eventstore:db-client-java",
            "EventStore.Client.Grpc.Streams",
            "eventstore",
        ],
    ),
];

/// Whether `name` is `pattern` or a longer name under it (`pattern` ending in a
/// separator, or `name` going on with `/`, `.` or `:` after it). Case is ignored:
/// NuGet and PyPI names are case-insensitive.
fn matches(name: &str, pattern: &str) -> bool {
    let (name, pattern) = (name.to_ascii_lowercase(), pattern.to_ascii_lowercase());
    if name == pattern {
        return true;
    }
    if pattern.ends_with(['.', ':', '/']) {
        return name.starts_with(&pattern);
    }
    name.strip_prefix(&pattern)
        .is_some_and(|rest| rest.starts_with(['/', '.', ':']))
}

/// The ESB product a dependency belongs to, if any.
pub(crate) fn esb_product(name: &str) -> Option<&'static str> {
    ESB.iter()
        .find(|(_, prefixes)| prefixes.iter().any(|p| matches(name, p)))
        .map(|(product, _)| *product)
}

/// The datastore a dependency is a driver of, if any.
pub(crate) fn datastore(name: &str) -> Option<(&'static str, StoreKind)> {
    DATASTORES
        .iter()
        .find(|(_, _, drivers)| drivers.iter().any(|d| matches(name, d)))
        .map(|(tech, kind, _)| (*tech, *kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_match_by_name_and_module_path() {
        assert_eq!(datastore("pg").map(|d| d.0), Some("postgres"));
        assert_eq!(
            datastore("github.com/jackc/pgx/v5").map(|d| d.0),
            Some("postgres")
        );
        assert_eq!(
            datastore("org.mongodb:mongodb-driver-sync").map(|d| d.0),
            Some("mongodb")
        );
        assert_eq!(datastore("StackExchange.Redis").map(|d| d.0), Some("redis"));
        assert_eq!(datastore("pg-format"), None);
        assert_eq!(datastore("redisearch-helpers"), None);
        assert_eq!(
            datastore("cloud.google.com/go/spanner").map(|d| d.1),
            Some(StoreKind::Sql)
        );
    }

    #[test]
    fn esb_products_match_by_group() {
        assert_eq!(esb_product("org.mule.runtime:mule-core"), Some("MuleSoft"));
        assert_eq!(
            esb_product("org.apache.servicemix.bundles:foo"),
            Some("Apache ServiceMix")
        );
        assert_eq!(esb_product("org.mulesoft"), None);
        assert_eq!(esb_product("express"), None);
    }
}
