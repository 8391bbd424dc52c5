//! Fixture repositories built by the tests: counts, dependency graphs and bad input,
//! hand-checked and kept as snapshots.

use evident_core::{ScanContext, SourceStatus};
use evident_probe_source_code::{SourceCodeConfig, scan_repositories};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, text).expect("write");
}

/// `n` lines of JavaScript code, one statement each, plus a comment and a blank line.
fn js_lines(n: usize) -> String {
    let mut s = String::from("// framework code\n\n");
    for i in 0..n {
        s.push_str(&format!("export const v{i} = {i};\n"));
    }
    s
}

fn ctx(paths: &[PathBuf]) -> ScanContext {
    ScanContext::new(paths.to_vec(), "2026-12-01T00:00:00Z".to_owned())
}

fn run(
    paths: &[PathBuf],
    config: &SourceCodeConfig,
) -> (
    Value,
    Vec<evident_core::SourceReport>,
    Vec<evident_core::Evidence>,
) {
    let out = scan_repositories(paths, &ctx(paths), config);
    (out.facts, out.sources, out.evidence)
}

/// What a person checks: per deployable its size, languages and dependencies; per
/// internal package its users and size.
fn summary(facts: &Value) -> Value {
    let mut deployables = Vec::new();
    for (_, repo) in facts["repos"].as_object().expect("repos") {
        for d in repo["deployables"].as_array().expect("deployables") {
            let deps: Vec<Value> = d["dependencies"]
                .as_array()
                .expect("deps")
                .iter()
                .map(|x| {
                    json!(format!(
                        "{} {} {}:{}{}{}{}",
                        x["ecosystem"].as_str().unwrap_or(""),
                        x["name"].as_str().unwrap_or(""),
                        x["manifest"].as_str().unwrap_or(""),
                        x["line"],
                        if x["internal"] == json!(true) {
                            " internal"
                        } else {
                            ""
                        },
                        x["esb"]
                            .as_str()
                            .map(|e| format!(" esb={e}"))
                            .unwrap_or_default(),
                        x["datastore"]["technology"]
                            .as_str()
                            .map(|e| format!(" datastore={e}"))
                            .unwrap_or_default(),
                    ))
                })
                .collect();
            deployables.push(json!({
                "id": d["id"], "code_lines": d["code_lines"], "languages": d["languages"],
                "excluded": d["excluded"], "dependencies": deps,
            }));
        }
    }
    json!({
        "deployables": deployables,
        "deployable_count": facts["deployable_count"],
        "internal_packages": facts["internal_packages"].as_array().expect("internal").iter().map(|p| json!({
            "name": p["name"], "code_lines": p["code_lines"], "used_by": p["used_by"],
        })).collect::<Vec<_>>(),
        "esb": facts["esb"].as_array().map(|a| a.len()),
        "datastores": facts["datastores"].as_array().expect("stores").iter().map(|d| json!(format!("{} {}", d["deployable"].as_str().unwrap_or(""), d["technology"].as_str().unwrap_or("")))).collect::<Vec<_>>(),
        "unreadable": facts["unreadable"],
    })
}

/// A monorepo whose three services all build on one large internal framework.
fn shared_framework(root: &Path) {
    write(
        root,
        "libs/framework/package.json",
        "{\n  \"name\": \"@acme/framework\",\n  \"version\": \"1.0.0\"\n}\n",
    );
    write(root, "libs/framework/src/index.js", &js_lines(21_000));
    for (svc, store) in [("cart", "ioredis"), ("orders", "pg"), ("users", "mongodb")] {
        write(
            root,
            &format!("services/{svc}/Dockerfile"),
            "FROM node:20\n",
        );
        write(
            root,
            &format!("services/{svc}/package.json"),
            &format!(
                "{{\n  \"name\": \"{svc}\",\n  \"dependencies\": {{\n    \"@acme/framework\": \"1.0.0\",\n    \"{store}\": \"^5\"\n  }},\n  \"devDependencies\": {{\n    \"jest\": \"29\"\n  }}\n}}\n"
            ),
        );
        write(
            root,
            &format!("services/{svc}/index.js"),
            "const f = require('@acme/framework');\n\nmodule.exports = f;\n",
        );
        write(
            root,
            &format!("services/{svc}/dist/bundle.js"),
            &js_lines(50),
        );
        write(
            root,
            &format!("services/{svc}/node_modules/x/index.js"),
            &js_lines(10),
        );
    }
}

/// A Cargo workspace of two services and two tiny utility crates.
fn tiny_utils(root: &Path) {
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"services/*\", \"utils/*\"]\n",
    );
    for util in ["strutil", "timeutil"] {
        write(
            root,
            &format!("utils/{util}/Cargo.toml"),
            &format!("[package]\nname = \"{util}\"\nversion = \"0.1.0\"\n"),
        );
        write(
            root,
            &format!("utils/{util}/src/lib.rs"),
            "/// Doc.\npub fn f() -> u32 {\n    1\n}\n",
        );
    }
    for svc in ["api", "worker"] {
        write(root, &format!("services/{svc}/Dockerfile"), "FROM rust:1\n");
        write(
            root,
            &format!("services/{svc}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{svc}\"\nversion = \"0.1.0\"\n\n[dependencies]\nstrutil = {{ path = \"../../utils/strutil\" }}\ntokio-postgres = \"0.7\"\n\n[dev-dependencies]\ntimeutil = {{ path = \"../../utils/timeutil\" }}\n"
            ),
        );
        write(
            root,
            &format!("services/{svc}/src/main.rs"),
            "fn main() {\n    // run\n    println!(\"hi\");\n}\n",
        );
        write(
            root,
            &format!("services/{svc}/src/gen.rs"),
            "// @generated by a tool\nfn x() {}\n",
        );
    }
}

/// One repository per other ecosystem: Go, Python, .NET, Maven (with an ESB), Gradle.
fn polyglot(root: &Path) {
    write(root, "checkout/Dockerfile", "FROM golang:1.22\n");
    write(
        root,
        "checkout/go.mod",
        "module github.com/acme/checkout\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n\tgithub.com/acme/shared/log v0.1.0\n)\n",
    );
    write(
        root,
        "checkout/main.go",
        "package main\n\n// main runs.\nfunc main() {\n}\n",
    );
    write(
        root,
        "checkout/api.pb.go",
        "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage main\n",
    );
    write(root, "recs/Dockerfile", "FROM python:3.12\n");
    write(
        root,
        "recs/requirements.txt",
        "# deps\nredis==5.0.1\ngrpcio>=1.60 ; python_version > '3.8'\n",
    );
    write(
        root,
        "recs/app.py",
        "import redis\n\n\ndef main():\n    return 1\n",
    );
    write(
        root,
        "cart/Dockerfile",
        "FROM mcr.microsoft.com/dotnet/sdk:8.0\n",
    );
    write(
        root,
        "cart/cart.csproj",
        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"StackExchange.Redis\" Version=\"2.7.10\" />\n    <PackageReference Include=\"Grpc.AspNetCore\" Version=\"2.60.0\" />\n  </ItemGroup>\n</Project>\n",
    );
    write(
        root,
        "cart/Program.cs",
        "// entry\nclass P {\n    static void Main() {}\n}\n",
    );
    write(root, "bus/Dockerfile", "FROM eclipse-temurin:21\n");
    write(
        root,
        "bus/pom.xml",
        "<project>\n  <groupId>com.acme</groupId>\n  <artifactId>bus</artifactId>\n  <dependencies>\n    <dependency>\n      <groupId>org.mule.runtime</groupId>\n      <artifactId>mule-core</artifactId>\n      <version>4.6.0</version>\n    </dependency>\n  </dependencies>\n</project>\n",
    );
    write(root, "ads/Dockerfile", "FROM eclipse-temurin:21\n");
    write(
        root,
        "ads/build.gradle",
        "dependencies {\n    implementation 'org.postgresql:postgresql:42.7.1'\n    testImplementation 'junit:junit:4.13.2'\n}\n",
    );
    write(root, "ads/src/main/java/Ads.java", "class Ads {\n}\n");
}

#[test]
fn a_shared_framework_used_by_every_service_is_found_with_its_size() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("shop");
    shared_framework(&root);
    let (facts, sources, _) = run(std::slice::from_ref(&root), &SourceCodeConfig::default());
    assert_eq!(sources[0].status, SourceStatus::Ok);
    let framework = &facts["internal_packages"][0];
    assert_eq!(framework["name"], "@acme/framework");
    assert_eq!(framework["used_by"].as_array().map(Vec::len), Some(3));
    // 21,000 lines of JavaScript; its package.json is data, not code.
    assert_eq!(framework["code_lines"], 21_000);
    insta::assert_json_snapshot!("shared_framework", summary(&facts));
}

#[test]
fn tiny_utility_crates_and_dev_only_use() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("tools");
    tiny_utils(&root);
    let (facts, _, evidence) = run(std::slice::from_ref(&root), &SourceCodeConfig::default());
    let internal = facts["internal_packages"].as_array().expect("internal");
    let strutil = internal
        .iter()
        .find(|p| p["name"] == "strutil")
        .expect("strutil");
    // 3 lines of Rust; its Cargo.toml is data, not code.
    assert_eq!(strutil["code_lines"], 3);
    assert_eq!(strutil["used_by"].as_array().map(Vec::len), Some(2));
    // timeutil is used by tests only: internal, but relied on by nobody.
    let timeutil = internal
        .iter()
        .find(|p| p["name"] == "timeutil")
        .expect("timeutil");
    assert_eq!(timeutil["used_by"], json!([]));
    // Each dependency cites its manifest line, with the line as excerpt.
    let dep = &facts["repos"]["tools"]["deployables"][0]["dependencies"][0];
    let cited = evidence
        .iter()
        .find(|e| e.id == dep["evidence"].as_str().unwrap_or(""))
        .expect("evidence");
    assert_eq!(
        cited.excerpt,
        "strutil = { path = \"../../utils/strutil\" }"
    );
    insta::assert_json_snapshot!("tiny_utils", summary(&facts));
}

#[test]
fn every_other_ecosystem_with_esb_and_datastores() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("estate");
    polyglot(&root);
    let config = SourceCodeConfig {
        internal_prefixes: vec!["github.com/acme/".to_owned()],
    };
    let (facts, _, _) = run(std::slice::from_ref(&root), &config);
    assert_eq!(facts["esb"][0]["product"], "MuleSoft");
    assert_eq!(facts["esb"][0]["deployable"], "estate/bus");
    insta::assert_json_snapshot!("polyglot", summary(&facts));
}

#[test]
fn bad_input_is_listed_as_unreadable_and_nothing_else_is_lost() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("bad");
    write(&root, "a/Dockerfile", "FROM x\n");
    write(
        &root,
        "a/package.json",
        "{\n  \"name\": \"a\",\n  \"dependencies\": {\"b\": \"1\"}\n}\n",
    );
    write(&root, "b/Dockerfile", "FROM x\n");
    // a and b depend on each other: a cycle is two edges, nothing is walked forever.
    write(
        &root,
        "b/package.json",
        "{\n  \"name\": \"b\",\n  \"dependencies\": {\"a\": \"1\"}\n}\n",
    );
    write(&root, "c/Dockerfile", "FROM x\n");
    write(&root, "c/package.json", "{ \"name\": \"c\", ");
    // A 200 MB lock file, sparse on disk: its size is seen, its bytes never read.
    fs::create_dir_all(root.join("d")).expect("mkdir");
    let lock = fs::File::create(root.join("d/package-lock.json")).expect("create");
    lock.set_len(200 * 1024 * 1024).expect("grow");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", root.join("a/passwd.js")).expect("symlink");
    let (facts, sources, evidence) = run(std::slice::from_ref(&root), &SourceCodeConfig::default());
    let unread: Vec<String> = sources[0]
        .incomplete
        .iter()
        .map(|u| format!("{}: {}", u.location, u.reason))
        .collect();
    assert_eq!(unread.len(), 2, "{unread:?}");
    assert!(
        unread[0].starts_with("bad:c/package.json: does not parse as a npm manifest"),
        "{unread:?}"
    );
    assert_eq!(
        unread[1],
        "bad:d/package-lock.json: skipped: 200.0 MB is over the 64 MB limit"
    );
    let internal = facts["internal_packages"].as_array().expect("internal");
    let used: Vec<String> = internal
        .iter()
        .map(|p| format!("{} <- {}", p["name"].as_str().unwrap_or(""), p["used_by"]))
        .collect();
    assert_eq!(used, vec!["a <- [\"bad/b\"]", "b <- [\"bad/a\"]"]);
    assert!(
        evidence.iter().all(|e| !e.excerpt.contains("root:")),
        "a symlink was followed"
    );
    assert_eq!(
        facts["repos"]["bad"]["notes"],
        json!(["1 symlink(s) not followed"])
    );
}

#[test]
fn a_missing_repository_is_an_error_source() {
    let (_, sources, _) = run(
        &[PathBuf::from("/nonexistent/repo")],
        &SourceCodeConfig::default(),
    );
    assert_eq!(sources[0].status, SourceStatus::Error);
}
