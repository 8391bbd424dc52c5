//! The built binary renders saved results in every format, signs and verifies evidence
//! bundles, never lets a secret into any output, and produces HTML that a real browser
//! (headless Chromium) shows with every scanned value as inert text.

mod support;

use support::browser::run_chromium;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const FORMATS: [&str; 7] = ["table", "json", "html", "markdown", "csv", "sarif", "oscal"];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan-results/all-statuses.json")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn report_renders_a_saved_result_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let scan = fixture();
    for format in FORMATS {
        let file = dir.path().join(format!("out.{format}"));
        let out = evident(&[
            "report",
            scan.to_str().expect("utf-8"),
            "--format",
            format,
            "-o",
            file.to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let text = std::fs::read_to_string(&file).expect("output");
        assert!(!text.is_empty(), "{format}");
        // The same bytes on stdout.
        let out = evident(&["report", scan.to_str().expect("utf-8"), "--format", format]);
        assert_eq!(stdout(&out), text, "{format} stdout differs from -o");
    }
}

#[test]
fn report_reads_a_v1_result_and_writes_it_as_v2() {
    // Written by evident before team and estate verdicts were stored once.
    let v1 =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan-results/v1-estate.json");
    let v1 = v1.to_str().expect("utf-8");
    for format in FORMATS {
        let out = evident(&["report", v1, "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
    }
    let out = evident(&["report", v1, "--format", "json"]);
    let upgraded: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_valid(&upgraded);
    assert_eq!(upgraded["schema"], "evident/scan-result/v2");
    let shared = upgraded["scoped_results"]
        .as_array()
        .expect("scoped_results");
    let conway = shared
        .iter()
        .find(|x| x["id"] == "ds.org.conways-law@estate")
        .expect("the estate finding, once");
    assert_eq!(conway["services"].as_array().map(Vec::len), Some(6));
    let row = result_of(&upgraded, "ds.org.conways-law", "svc-00003");
    assert_eq!(row["scoped"], "ds.org.conways-law@estate");
    assert!(
        row.get("missing").is_none(),
        "no copy of the estate's gaps: {row}"
    );
}

#[test]
fn report_refuses_what_is_not_a_scan_result() {
    let dir = tempfile::tempdir().expect("tmp");
    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "hello").expect("write");
    let other = dir.path().join("y.json");
    std::fs::write(&other, r#"{"schema":"something/else"}"#).expect("write");
    for path in [not_json, other, dir.path().join("missing.json")] {
        let out = evident(&["report", path.to_str().expect("utf-8"), "--format", "html"]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        assert!(stderr(&out).contains("error:"), "{}", stderr(&out));
    }
    let out = evident(&[
        "report",
        fixture().to_str().expect("utf-8"),
        "--format",
        "pdf",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

const CANARY_WORKFLOW: &str = "name: \"<img src=x onerror=alert(1)>\"
on:
  push:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      API_TOKEN: evident-canary-7f3a9c1e
    steps:
      - run: curl -H \"Authorization: Bearer evident-canary-7f3a9c1e\" https://example.invalid
      - run: make test
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl apply -f k8s/
";

const CANARY_MANIFEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: vault
  labels:
    app: vault
    team: \"<img src=x onerror=alert(1)>\"
spec:
  selector:
    matchLabels:
      app: vault
  template:
    metadata:
      labels:
        app: vault
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/vault:1.0.0
          env:
            - name: DB_PASSWORD
              value: evident-canary-7f3a9c1e
          readinessProbe:
            httpGet: {path: /healthz, port: 8080}
";

fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let path = e.path().expect("path").to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            (path, data)
        })
        .collect()
}

fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, data) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, path, data.as_slice())
            .expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip")
}

#[test]
fn no_output_format_and_no_bundle_file_contains_a_secret() {
    let repo = Repo::new("vault");
    repo.write(".github/workflows/ci.yaml", CANARY_WORKFLOW)
        .write("k8s/app.yaml", CANARY_MANIFEST);
    repo.commit("initial");
    let path = repo.path();
    let path = path.to_str().expect("utf-8");
    let dir = tempfile::tempdir().expect("tmp");
    for format in FORMATS {
        let out = evident(&["-vvv", "scan", path, "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(
            !stdout(&out).contains(CANARY),
            "scan --format {format} leaks"
        );
        assert!(!stderr(&out).contains(CANARY), "logs of {format} leak");
        assert!(!stdout(&out).is_empty());
    }
    // The secret's name is evidence, its value is not.
    let saved = dir.path().join("scan.json");
    let out = evident(&[
        "scan",
        path,
        "--format",
        "json",
        "-o",
        saved.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json = std::fs::read_to_string(&saved).expect("saved");
    assert!(json.contains("DB_PASSWORD") || json.contains("API_TOKEN"));
    for format in FORMATS {
        let out = evident(&["report", saved.to_str().expect("p"), "--format", format]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            !stdout(&out).contains(CANARY),
            "report --format {format} leaks"
        );
    }
    let key = dir.path().join("k.pem");
    let bundle = dir.path().join("b.tar.gz");
    assert_eq!(
        evident(&["keygen", "-o", key.to_str().expect("p")])
            .status
            .code(),
        Some(0)
    );
    let out = evident(&[
        "bundle",
        saved.to_str().expect("p"),
        "--sign",
        key.to_str().expect("p"),
        "-o",
        bundle.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for (name, data) in unpack(&std::fs::read(&bundle).expect("bundle")) {
        assert!(
            !String::from_utf8_lossy(&data).contains(CANARY),
            "bundle file {name} leaks"
        );
    }
}

#[test]
fn keygen_bundle_verify_round_trip_and_tampering_is_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let out = evident(&["keygen", "-o", &p("key.pem")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(p("key.pem"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private key must be owner-only");
    }
    assert!(Path::new(&p("key.pem.pub")).exists());
    // No silent overwrite.
    assert_eq!(
        evident(&["keygen", "-o", &p("key.pem")]).status.code(),
        Some(2)
    );

    let scan = fixture();
    let out = evident(&[
        "bundle",
        scan.to_str().expect("p"),
        "--sign",
        &p("key.pem"),
        "-o",
        &p("b.tar.gz"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = evident(&["verify", &p("b.tar.gz"), "--key", &p("key.pem.pub")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).starts_with("OK:"));

    // One byte of the HTML report changed: exit 1, naming the file.
    let mut files = unpack(&std::fs::read(p("b.tar.gz")).expect("bundle"));
    let html = files
        .iter_mut()
        .find(|(n, _)| n == "report.html")
        .expect("html");
    html.1[100] ^= 0x20;
    std::fs::write(p("changed.tar.gz"), pack(&files)).expect("write");
    let out = evident(&["verify", &p("changed.tar.gz"), "--key", &p("key.pem.pub")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("changed: report.html"),
        "{}",
        stdout(&out)
    );

    // A removed excerpt and an added file.
    let mut files = unpack(&std::fs::read(p("b.tar.gz")).expect("bundle"));
    let gone = files
        .iter()
        .position(|(n, _)| n.starts_with("evidence/"))
        .expect("excerpt");
    let (gone_name, _) = files.remove(gone);
    files.push(("extra.txt".into(), b"x".to_vec()));
    std::fs::write(p("moved.tar.gz"), pack(&files)).expect("write");
    let out = evident(&["verify", &p("moved.tar.gz"), "--key", &p("key.pem.pub")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("missing: {gone_name}")),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("added: extra.txt"),
        "{}",
        stdout(&out)
    );

    // Another key: bad signature.
    assert_eq!(
        evident(&["keygen", "-o", &p("other.pem")]).status.code(),
        Some(0)
    );
    let out = evident(&["verify", &p("b.tar.gz"), "--key", &p("other.pem.pub")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("bad signature"), "{}", stdout(&out));

    // Usage errors: exit 2.
    let out = evident(&["verify", &p("b.tar.gz"), "--key", &p("missing.pub")]);
    assert_eq!(out.status.code(), Some(2));
    let out = evident(&["verify", &p("b.tar.gz"), "--key", &p("key.pem")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a private key is not a public key"
    );
    std::fs::write(p("notes.txt"), "not a bundle\n").expect("write");
    let out = evident(&["verify", &p("notes.txt"), "--key", &p("key.pem.pub")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file that is not gzip is the wrong file"
    );
    assert!(
        stderr(&out).contains("not an evidence bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn html_report_renders_in_headless_chromium_and_runs_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    // A scanned value that would change the page title if anything ran it.
    let mut result: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture()).expect("fixture")).expect("json");
    let hostile =
        "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>";
    for r in result["results"].as_array_mut().expect("results") {
        if r["status"] == "met" {
            let summary = format!("{} {hostile}", r["summary"].as_str().expect("summary"));
            r["summary"] = summary.into();
        }
    }
    let scan = dir.path().join("scan.json");
    std::fs::write(&scan, serde_json::to_string(&result).expect("json")).expect("write");
    let html = dir.path().join("report.html");
    let out = evident(&[
        "report",
        scan.to_str().expect("p"),
        "--format",
        "html",
        "-o",
        html.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let url = format!("file://{}", html.display());

    let dom = run_chromium(&["--dump-dom".to_owned()], &url);
    let title = format!(
        "<title>evident evidence report · {}</title>",
        result["scan"]["id"].as_str().expect("id")
    );
    assert!(
        dom.contains(&title),
        "title changed or missing: {}",
        &dom[..dom.len().min(600)]
    );
    assert!(!dom.contains("pwned</title>"));
    assert!(
        !dom.contains("<img"),
        "an <img> element was created from scanned text"
    );
    assert!(
        !dom.contains("<script"),
        "a <script> element is in the page"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the value shows as text"
    );
    for section in [
        "id=\"cover\"",
        "id=\"sources\"",
        "id=\"summary\"",
        "id=\"services\"",
        "id=\"criteria\"",
        "id=\"unknowns\"",
        "id=\"manual\"",
        "id=\"evidence\"",
    ] {
        assert!(
            dom.contains(section),
            "section {section} missing from the rendered DOM"
        );
    }

    let artifacts = std::env::var_os("EVIDENT_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&artifacts).expect("artifact dir");
    let shot = artifacts.join("evident-report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_owned(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 10_000, "the page rendered nearly empty");
    println!("screenshot: {}", shot.display());
}

#[test]
fn explain_shows_one_verdict_in_full_from_a_saved_scan() {
    let scan = fixture();
    let out = evident(&[
        "explain",
        "mailer",
        "ds.devops.health-checks",
        "--scan",
        scan.to_str().expect("utf-8"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("status:    not_met"), "{text}");
    // What today lives only in the JSON `missing`: which container lacks which probe.
    assert!(
        text.contains("  - Deployment/mailer container worker has no readiness probe"),
        "{text}"
    );
    // The evidence with its file and lines.
    assert!(text.contains("k8s/mailer.yaml lines 5-18"), "{text}");
    assert!(text.contains("remediation:"), "{text}");
    // A verdict the scan does not hold, and a service without --scan: usage errors.
    let out = evident(&[
        "explain",
        "nobody",
        "ds.devops.health-checks",
        "--scan",
        scan.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such service"));
    let out = evident(&["explain", "mailer", "ds.devops.health-checks"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scan FILE"));
    // explain CRITERION still explains the criterion.
    let out = evident(&["explain", "ds.devops.health-checks"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn report_details_lists_every_criterion_the_summary_leaves_out() {
    let scan = fixture();
    let path = scan.to_str().expect("utf-8");
    let summary = evident(&["report", path]);
    let details = evident(&["report", path, "--details"]);
    assert_eq!(summary.status.code(), Some(0));
    assert_eq!(details.status.code(), Some(0));
    let summary = String::from_utf8_lossy(&summary.stdout);
    let details = String::from_utf8_lossy(&details.stdout);
    assert!(
        !summary.contains("✓ met            L1 ds.process.ci-all"),
        "{summary}"
    );
    assert!(details.contains("ds.process.ci-all"), "{details}");
    assert!(summary.contains("--details"), "{summary}");
    assert!(details.lines().count() > summary.lines().count());
}

/// The exports open in the standard tools: the key in `openssl pkey`, the bundle's
/// `scan.json` byte for byte the given file, and a bundle re-packed with plain `tar`
/// (which adds an `evidence/` directory entry) still verifies.
#[test]
fn exports_open_in_openssl_and_survive_a_repack_with_tar() {
    for tool in ["openssl", "tar"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "the `{tool}` binary is missing (apt-get install -y {tool})"
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    assert_eq!(
        evident(&["keygen", "-o", &p("key.pem")]).status.code(),
        Some(0)
    );
    let out = Command::new("openssl")
        .args(["pkey", "-in", &p("key.pem"), "-noout"])
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl pkey reads the key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = fixture();
    let out = evident(&[
        "bundle",
        scan.to_str().expect("p"),
        "--sign",
        &p("key.pem"),
        "-o",
        &p("b.tar.gz"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = unpack(&std::fs::read(p("b.tar.gz")).expect("bundle"));
    let kept = files
        .iter()
        .find(|(n, _)| n == "scan.json")
        .expect("scan.json");
    assert_eq!(
        kept.1,
        std::fs::read(&scan).expect("fixture"),
        "scan.json is the given file byte for byte"
    );
    // Unpack with tar, re-pack the same tree with tar, verify.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).expect("mkdir");
    let status = Command::new("tar")
        .args(["-xzf", &p("b.tar.gz"), "-C"])
        .arg(&tree)
        .status()
        .expect("tar x");
    assert!(status.success());
    let status = Command::new("tar")
        .args(["-czf", &p("repacked.tar.gz"), "-C"])
        .arg(&tree)
        .arg(".")
        .status()
        .expect("tar c");
    assert!(status.success());
    let out = evident(&["verify", &p("repacked.tar.gz"), "--key", &p("key.pem.pub")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}
