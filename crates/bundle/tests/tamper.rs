//! A bundle verifies with its key, and every kind of tampering is detected and named.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Signer;
use evident_bundle::{
    ENVELOPE_FILE, MANIFEST_FILE, PAYLOAD_TYPE, Problem, SNAPSHOT_DIR, bundle_files, create_bundle,
    create_bundle_with, generate_key, key_id, pae, signing_key_from_pem, verify_bundle,
    verifying_key_from_pem,
};
use evident_core::{ScanResult, sha256_hex};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

fn fixture() -> ScanResult {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan-results/all-statuses.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("parse")
}

fn keys() -> (ed25519_dalek::SigningKey, ed25519_dalek::VerifyingKey) {
    let (private, public) = generate_key().expect("keygen");
    (
        signing_key_from_pem(&private).expect("private"),
        verifying_key_from_pem(&public).expect("public"),
    )
}

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
fn an_intact_bundle_verifies_and_holds_every_part() {
    let (sk, pk) = keys();
    let result = fixture();
    let bundle = create_bundle(&result, &sk).expect("bundle");
    let v = verify_bundle(&bundle, &pk);
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.scan_id.as_deref(), Some(result.scan.id.as_str()));
    let files = unpack(&bundle);
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(names.contains(&"scan.json"));
    assert!(names.contains(&"report.html"));
    assert!(names.contains(&MANIFEST_FILE));
    assert!(names.contains(&ENVELOPE_FILE));
    let excerpts = names.iter().filter(|n| n.starts_with("evidence/")).count();
    assert_eq!(excerpts, result.evidence.len());
    assert_eq!(v.verified_files, files.len() - 1);
    // The envelope carries an in-toto Statement v1 about every other file.
    let envelope: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|(p, _)| p == ENVELOPE_FILE)
            .expect("env")
            .1,
    )
    .expect("json");
    assert_eq!(envelope["payloadType"], PAYLOAD_TYPE);
    let statement: Value = serde_json::from_slice(
        &B64.decode(envelope["payload"].as_str().expect("payload"))
            .expect("b64"),
    )
    .expect("statement");
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["subject"].as_array().expect("subjects").len(),
        files.len() - 1
    );
    // Same input and key, same bytes.
    assert_eq!(bundle, create_bundle(&result, &sk).expect("again"));
}

#[test]
fn any_single_byte_change_in_any_file_is_detected() {
    let (sk, pk) = keys();
    let files = unpack(&create_bundle(&fixture(), &sk).expect("bundle"));
    for (i, (path, data)) in files.iter().enumerate() {
        // First, last, and a spread of bytes in between (every byte of small files).
        let step = (data.len() / 64).max(1);
        let positions: Vec<usize> = (0..data.len())
            .step_by(step)
            .chain(data.len().checked_sub(1))
            .collect();
        for pos in positions {
            let mut altered = files.clone();
            altered[i].1[pos] ^= 0x01;
            let v = verify_bundle(&pack(&altered), &pk);
            assert!(!v.ok(), "byte {pos} of {path} changed undetected");
            // The envelope may no longer parse at all; every other file is named.
            if path != ENVELOPE_FILE {
                assert!(
                    v.problems
                        .iter()
                        .any(|p| matches!(p, Problem::Changed { path: p, .. } if p == path)),
                    "{path}: {:?}",
                    v.problems
                );
            }
        }
    }
}

#[test]
fn a_removed_file_is_detected_and_named() {
    let (sk, pk) = keys();
    let files = unpack(&create_bundle(&fixture(), &sk).expect("bundle"));
    for i in 0..files.len() {
        let mut fewer = files.clone();
        let (path, _) = fewer.remove(i);
        let v = verify_bundle(&pack(&fewer), &pk);
        assert!(
            v.problems.contains(&Problem::Missing(path.clone())),
            "{path}: {:?}",
            v.problems
        );
    }
}

#[test]
fn an_added_file_is_detected_and_named() {
    let (sk, pk) = keys();
    let mut files = unpack(&create_bundle(&fixture(), &sk).expect("bundle"));
    files.push(("evidence/9999.txt".into(), b"planted".to_vec()));
    let v = verify_bundle(&pack(&files), &pk);
    assert_eq!(v.problems, vec![Problem::Added("evidence/9999.txt".into())]);
}

#[test]
fn a_manifest_resigned_with_another_key_is_rejected() {
    let (sk, pk) = keys();
    let (other, _) = keys();
    let mut files = unpack(&create_bundle(&fixture(), &sk).expect("bundle"));
    // The forger changes an excerpt, fixes the manifest and the statement, and signs
    // with their own key.
    let excerpt = files
        .iter_mut()
        .find(|(p, _)| p.starts_with("evidence/"))
        .expect("excerpt");
    excerpt.1 = b"forged".to_vec();
    let (excerpt_path, excerpt_digest) = (excerpt.0.clone(), sha256_hex(&excerpt.1));
    let manifest = files
        .iter_mut()
        .find(|(p, _)| p == MANIFEST_FILE)
        .expect("manifest");
    let mut m: Value = serde_json::from_slice(&manifest.1).expect("manifest json");
    for f in m["files"].as_array_mut().expect("files") {
        if f["path"] == excerpt_path.as_str() {
            f["sha256"] = excerpt_digest.clone().into();
        }
    }
    manifest.1 = serde_json::to_vec_pretty(&m).expect("json");
    let manifest_digest = sha256_hex(&manifest.1);
    let env_file = files
        .iter_mut()
        .find(|(p, _)| p == ENVELOPE_FILE)
        .expect("envelope");
    let mut env: Value = serde_json::from_slice(&env_file.1).expect("env json");
    let mut statement: Value = serde_json::from_slice(
        &B64.decode(env["payload"].as_str().expect("p"))
            .expect("b64"),
    )
    .expect("statement");
    for s in statement["subject"].as_array_mut().expect("subjects") {
        if s["name"] == excerpt_path.as_str() {
            s["digest"]["sha256"] = excerpt_digest.clone().into();
        }
        if s["name"] == MANIFEST_FILE {
            s["digest"]["sha256"] = manifest_digest.clone().into();
        }
    }
    let payload = serde_json::to_vec(&statement).expect("json");
    let sig = other.sign(&pae(PAYLOAD_TYPE, &payload));
    env["payload"] = B64.encode(&payload).into();
    env["signatures"] = serde_json::json!([{
        "keyid": key_id(&other.verifying_key()),
        "sig": B64.encode(sig.to_bytes())
    }]);
    env_file.1 = serde_json::to_vec_pretty(&env).expect("json");
    env_file.1.push(b'\n');

    let v = verify_bundle(&pack(&files), &pk);
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    match &v.problems[0] {
        Problem::BadSignature(why) => assert!(
            why.contains(&key_id(&pk)) && why.contains(&key_id(&other.verifying_key())),
            "{why}"
        ),
        other => panic!("expected a bad signature, got {other:?}"),
    }
    // With the forger's key it would verify: the check really is the key.
    assert!(verify_bundle(&pack(&files), &other.verifying_key()).ok());
}

#[test]
fn a_corrupted_archive_fails_verification() {
    let (sk, pk) = keys();
    let bundle = create_bundle(&fixture(), &sk).expect("bundle");
    for pos in [10, bundle.len() / 2, bundle.len() - 5] {
        let mut bad = bundle.clone();
        bad[pos] ^= 0xff;
        assert!(!verify_bundle(&bad, &pk).ok(), "byte {pos} of the archive");
    }
    assert!(!verify_bundle(&bundle[..bundle.len() / 2], &pk).ok());
}

/// Snapshot files ride along as signed subjects, byte for byte; an altered one is a
/// changed file like any other.
#[test]
fn snapshot_files_are_signed_subjects_and_an_altered_one_is_named() {
    let (sk, pk) = keys();
    let result = fixture();
    let blob = format!("{SNAPSHOT_DIR}blobs/sha256/ab/cdef");
    let extra = vec![
        (format!("{SNAPSHOT_DIR}runs/r1/run.json"), b"{}\n".to_vec()),
        (blob.clone(), b"a body [redacted]".to_vec()),
    ];
    let bundle = create_bundle_with(&result, None, &extra, &sk).expect("bundle");
    let v = verify_bundle(&bundle, &pk);
    assert!(v.ok(), "{:?}", v.problems);
    let files = bundle_files(&bundle).expect("files");
    assert_eq!(
        files.get(&blob).map(Vec::as_slice),
        Some(&b"a body [redacted]"[..])
    );
    let mut altered = unpack(&bundle);
    for (path, data) in &mut altered {
        if *path == blob {
            *data = b"another body".to_vec();
        }
    }
    let v = verify_bundle(&pack(&altered), &pk);
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::Changed { path, .. } if *path == blob)),
        "{:?}",
        v.problems
    );
}
