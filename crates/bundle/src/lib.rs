//! Signed evidence bundles: one `.tar.gz` an auditor can keep, check and trust.
//!
//! A bundle holds the scan result, the HTML report, every evidence record's excerpt as
//! its own file, a manifest of sha256 digests, and an in-toto Statement v1 whose
//! subjects are all those files, signed with ed25519 in a DSSE envelope. Verification
//! recomputes every digest and checks the signature, and names exactly what differs:
//! a changed, missing or added file, or a signature the given key did not make.
//!
//! Keys are PKCS#8 (private) and SubjectPublicKeyInfo (public) PEM, so they work with
//! common tooling (`openssl pkey -in key.pem -pubout`).

mod dsse;

pub use dsse::pae;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use evident_core::{ScanResult, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

/// in-toto Statement type this bundle writes.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type: what the statement asserts about its subjects.
pub const PREDICATE_TYPE: &str = "https://evident.invalid/attestation/evidence-bundle/v1";
/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// File name of the signed envelope inside the bundle.
pub const ENVELOPE_FILE: &str = "statement.dsse.json";
/// File name of the manifest inside the bundle.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Largest total of uncompressed bytes `verify` reads, against decompression bombs.
pub const MAX_UNPACKED: u64 = 1 << 30;

/// Why a bundle could not be made, or a key read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The report could not be rendered.
    #[error(transparent)]
    Render(#[from] evident_report::RenderError),
    /// Writing the archive failed.
    #[error("could not write the bundle: {0}")]
    Io(#[from] std::io::Error),
    /// JSON serialisation failed.
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A key file is not what was expected.
    #[error("{0}")]
    Key(String),
    /// The operating system gave no randomness for a key.
    #[error("no randomness available for a new key: {0}")]
    Random(String),
}

/// A new ed25519 key pair as (private PKCS#8 PEM, public SPKI PEM).
pub fn generate_key() -> Result<(String, String), BundleError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| BundleError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    // PKCS#8 v1 (the private key alone): OpenSSL 3 reads it (`openssl pkey -in KEY`),
    // where the v2 form with the public key attached is refused.
    let private = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(Default::default())
    .map_err(|e| BundleError::Key(format!("could not encode the private key: {e}")))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(Default::default())
        .map_err(|e| BundleError::Key(format!("could not encode the public key: {e}")))?;
    Ok((private.to_string(), public))
}

/// Reads a private key written by [`generate_key`].
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, BundleError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| {
        BundleError::Key(format!(
            "not an ed25519 private key in PKCS#8 PEM ({e}); make one with `evident keygen`"
        ))
    })
}

/// Reads a public key written by [`generate_key`].
pub fn verifying_key_from_pem(pem: &str) -> Result<VerifyingKey, BundleError> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| {
        BundleError::Key(format!(
            "not an ed25519 public key in PEM ({e}); use the .pub file `evident keygen` wrote"
        ))
    })
}

/// Identifies a public key in signatures: hex sha256 of its 32 raw bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    sha256_hex(key.as_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestEntry {
    path: String,
    sha256: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    schema: String,
    scan_id: String,
    files: Vec<ManifestEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EnvelopeSignature {
    #[serde(default)]
    keyid: String,
    sig: String,
}

/// Builds the bundle (gzip-compressed tar). Same result and key, same bytes: entries are
/// sorted and carry fixed times and modes.
pub fn create_bundle(result: &ScanResult, key: &SigningKey) -> Result<Vec<u8>, BundleError> {
    create_bundle_of(result, None, key)
}

/// Builds the bundle of a saved result file: `scan_bytes` are that file's bytes, kept as
/// they are as `scan.json` (its sha256 in the manifest is the given file's; serialising
/// the parsed result again would change floats in their last digits), unless redaction
/// has something to remove from the result, in which case the redacted result is written.
pub fn create_bundle_of(
    result: &ScanResult,
    scan_bytes: Option<&[u8]>,
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    create_bundle_with(result, scan_bytes, &[], key)
}

/// Where the files of a scan's snapshot go inside a bundle.
pub const SNAPSHOT_DIR: &str = "snapshot/";

/// As [`create_bundle_of`], and also carries `extra` files `(path inside the bundle,
/// bytes)`, kept byte for byte and signed like every other file: the run of a snapshot
/// (`snapshot/runs/<run>/...`, `snapshot/blobs/...`), so a verifier can replay the scan.
/// They are not redacted again: a snapshot is redacted when recorded, and its blobs are
/// named by their digests.
pub fn create_bundle_with(
    result: &ScanResult,
    scan_bytes: Option<&[u8]>,
    extra: &[(String, Vec<u8>)],
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    // A bundle travels furthest of all outputs; a result saved by an older version or
    // edited by hand still loses every token shape, URL password and private key.
    let redactor = evident_core::Redactor::new();
    let clean = !redactor.finds_anything_in(result)?;
    let result = &redactor.redact_serde(result.clone())?;
    let scan_json = match scan_bytes {
        Some(bytes) if clean => bytes.to_vec(),
        _ => evident_report::render_json(result)?.into_bytes(),
    };
    let mut files: Vec<(String, Vec<u8>, Option<String>)> = vec![
        ("scan.json".into(), scan_json, None),
        (
            "report.html".into(),
            evident_report::render_html(result)?.into_bytes(),
            None,
        ),
    ];
    let width = result.evidence.len().to_string().len().max(4);
    for (n, (id, e)) in result.evidence.iter().enumerate() {
        files.push((
            format!("evidence/{:0width$}.txt", n + 1),
            e.excerpt.clone().into_bytes(),
            Some(id.clone()),
        ));
    }
    for (path, bytes) in extra {
        files.push((path.clone(), bytes.clone(), None));
    }
    let manifest = Manifest {
        schema: "evident/bundle-manifest/v1".into(),
        scan_id: result.scan.id.clone(),
        files: files
            .iter()
            .map(|(path, bytes, id)| ManifestEntry {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
                evidence_id: id.clone(),
            })
            .collect(),
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    manifest_bytes.push(b'\n');
    files.push((MANIFEST_FILE.into(), manifest_bytes, None));

    let statement = json!({
        "_type": STATEMENT_TYPE,
        "subject": files.iter().map(|(path, bytes, _)| json!({
            "name": path,
            "digest": { "sha256": sha256_hex(bytes) }
        })).collect::<Vec<_>>(),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "scan_id": result.scan.id,
            "tool": { "name": result.scan.tool.name, "version": result.scan.tool.version },
            "targets": result.scan.targets,
            "started_at": result.scan.started_at,
            "finished_at": result.scan.finished_at,
            "manifest": MANIFEST_FILE,
        }
    });
    let payload = serde_json::to_vec(&statement)?;
    let signature = key.sign(&pae(PAYLOAD_TYPE, &payload));
    let envelope = Envelope {
        payload: B64.encode(&payload),
        payload_type: PAYLOAD_TYPE.into(),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: B64.encode(signature.to_bytes()),
        }],
    };
    let mut envelope_bytes = serde_json::to_vec_pretty(&envelope)?;
    envelope_bytes.push(b'\n');
    files.push((ENVELOPE_FILE.into(), envelope_bytes, None));

    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(encoder);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes, _) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, bytes.as_slice())?;
    }
    Ok(tar.into_inner()?.finish()?)
}

/// One thing verification found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The archive itself could not be read (truncated, not gzip, not tar, too large).
    Unreadable(String),
    /// A signed file's bytes differ from its signed digest.
    Changed {
        /// Path inside the bundle.
        path: String,
        /// Digest the statement signed.
        expected: String,
        /// Digest of the bytes found.
        found: String,
    },
    /// A signed file is not in the bundle.
    Missing(String),
    /// A file is in the bundle but not in the signed statement.
    Added(String),
    /// A path occurs twice in the archive.
    Duplicate(String),
    /// No signature on the statement verifies with the given key.
    BadSignature(String),
    /// The envelope or statement is malformed or of the wrong type.
    Malformed(String),
    /// The manifest disagrees with the signed statement.
    ManifestMismatch(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(why) => write!(f, "unreadable bundle: {why}"),
            Self::Changed {
                path,
                expected,
                found,
            } => write!(
                f,
                "changed: {path} (signed sha256 {expected}, found {found})"
            ),
            Self::Missing(path) => write!(f, "missing: {path} is signed but not in the bundle"),
            Self::Added(path) => write!(f, "added: {path} is in the bundle but was not signed"),
            Self::Duplicate(path) => write!(f, "duplicate: {path} occurs more than once"),
            Self::BadSignature(why) => write!(f, "bad signature: {why}"),
            Self::Malformed(why) => write!(f, "malformed: {why}"),
            Self::ManifestMismatch(why) => write!(f, "manifest mismatch: {why}"),
        }
    }
}

/// What verification found.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Files whose digest matched the signed statement.
    pub verified_files: usize,
    /// Scan id from the signed predicate, when it could be read.
    pub scan_id: Option<String>,
    /// Everything wrong; empty means the bundle is intact and signed by the key.
    pub problems: Vec<Problem>,
}

impl Verification {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn unpack(bytes: &[u8], problems: &mut Vec<Problem>) -> Option<BTreeMap<String, Vec<u8>>> {
    let decoder = flate2::read::GzDecoder::new(bytes).take(MAX_UNPACKED);
    let mut archive = tar::Archive::new(decoder);
    let mut files = BTreeMap::new();
    {
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::Unreadable(e.to_string()));
                return None;
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Problem::Unreadable(e.to_string()));
                    return None;
                }
            };
            // `tar -C dir .` names entries `./scan.json`: the same file as `scan.json`.
            let path = match entry.path() {
                Ok(p) => {
                    let p = p.to_string_lossy();
                    p.strip_prefix("./").unwrap_or(&p).to_owned()
                }
                Err(e) => {
                    problems.push(Problem::Unreadable(format!("bad entry name: {e}")));
                    return None;
                }
            };
            // A directory entry (`tar` writes `evidence/` when re-packing) carries no
            // content: it is neither a file nor an addition.
            if entry.header().entry_type().is_dir() {
                continue;
            }
            if !entry.header().entry_type().is_file() {
                problems.push(Problem::Added(format!("{path} (not a regular file)")));
                continue;
            }
            let mut data = Vec::new();
            if let Err(e) = entry.read_to_end(&mut data) {
                problems.push(Problem::Unreadable(format!("{path}: {e}")));
                return None;
            }
            if files.insert(path.clone(), data).is_some() {
                problems.push(Problem::Duplicate(path));
            }
        }
    }
    // Read the rest of the stream: gzip checks its CRC only at the end, and anything
    // after the tar's end marker other than zero padding was put there.
    let mut rest = Vec::new();
    match archive.into_inner().read_to_end(&mut rest) {
        Ok(_) if rest.iter().any(|b| *b != 0) => problems.push(Problem::Unreadable(
            "data after the end of the archive".into(),
        )),
        Ok(_) => {}
        Err(e) => problems.push(Problem::Unreadable(e.to_string())),
    }
    Some(files)
}

/// Every regular file of a bundle by its path, as [`verify_bundle`] reads them (for
/// `verify --replay`, which replays the snapshot the bundle carries); the problems when
/// the archive cannot be read.
pub fn bundle_files(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Vec<Problem>> {
    let mut problems = Vec::new();
    match unpack(bytes, &mut problems) {
        Some(files) => Ok(files),
        None => Err(problems),
    }
}

/// Checks a bundle against a public key: every digest, the signature, and that the
/// archive holds exactly the signed files.
pub fn verify_bundle(bytes: &[u8], key: &VerifyingKey) -> Verification {
    let mut v = Verification::default();
    let Some(files) = unpack(bytes, &mut v.problems) else {
        return v;
    };
    let Some(envelope_bytes) = files.get(ENVELOPE_FILE) else {
        v.problems.push(Problem::Missing(ENVELOPE_FILE.into()));
        return v;
    };
    let envelope: Envelope = match serde_json::from_slice(envelope_bytes) {
        Ok(e) => e,
        Err(e) => {
            v.problems
                .push(Problem::Malformed(format!("{ENVELOPE_FILE}: {e}")));
            return v;
        }
    };
    // The envelope must be byte-for-byte what evident writes, so that no byte of it
    // (whitespace, an unsigned field such as keyid) can change unnoticed.
    let canonical = serde_json::to_vec_pretty(&envelope).map(|mut b| {
        b.push(b'\n');
        b
    });
    if canonical.as_deref().ok() != Some(envelope_bytes.as_slice()) {
        v.problems.push(Problem::Changed {
            path: ENVELOPE_FILE.into(),
            expected: "the canonical form evident writes".into(),
            found: format!("other bytes (sha256 {})", sha256_hex(envelope_bytes)),
        });
    }
    if envelope.payload_type != PAYLOAD_TYPE {
        v.problems.push(Problem::Malformed(format!(
            "payloadType is {:?}, expected {PAYLOAD_TYPE}",
            envelope.payload_type
        )));
    }
    let payload = match B64.decode(envelope.payload.as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            v.problems
                .push(Problem::Malformed(format!("payload is not base64: {e}")));
            return v;
        }
    };
    let message = pae(&envelope.payload_type, &payload);
    let wanted = key_id(key);
    let signed = envelope.signatures.iter().any(|s| {
        s.keyid == wanted
            && B64
                .decode(s.sig.as_bytes())
                .ok()
                .and_then(|raw| Signature::from_slice(&raw).ok())
                .is_some_and(|sig| key.verify(&message, &sig).is_ok())
    });
    if !signed {
        let ids: Vec<&str> = envelope
            .signatures
            .iter()
            .map(|s| s.keyid.as_str())
            .collect();
        let why = if envelope.signatures.is_empty() {
            "the envelope has no signature".to_owned()
        } else if ids.contains(&wanted.as_str()) {
            "the signed statement was altered after signing".to_owned()
        } else {
            format!(
                "signed by key {} but the given key is {wanted}",
                ids.join(", ")
            )
        };
        v.problems.push(Problem::BadSignature(why));
    }
    let statement: Value = match serde_json::from_slice(&payload) {
        Ok(s) => s,
        Err(e) => {
            v.problems
                .push(Problem::Malformed(format!("statement is not JSON: {e}")));
            return v;
        }
    };
    if statement["_type"] != STATEMENT_TYPE {
        v.problems.push(Problem::Malformed(format!(
            "statement _type is {}, expected {STATEMENT_TYPE}",
            statement["_type"]
        )));
    }
    if statement["predicateType"] != PREDICATE_TYPE {
        v.problems.push(Problem::Malformed(format!(
            "predicateType is {}, expected {PREDICATE_TYPE}",
            statement["predicateType"]
        )));
    }
    v.scan_id = statement["predicate"]["scan_id"]
        .as_str()
        .map(str::to_owned);
    let mut signed_files: BTreeMap<String, String> = BTreeMap::new();
    for s in statement["subject"].as_array().into_iter().flatten() {
        match (s["name"].as_str(), s["digest"]["sha256"].as_str()) {
            (Some(name), Some(digest)) => {
                signed_files.insert(name.to_owned(), digest.to_owned());
            }
            _ => v.problems.push(Problem::Malformed(format!(
                "subject without name or sha256: {s}"
            ))),
        }
    }
    for (path, expected) in &signed_files {
        match files.get(path) {
            None => v.problems.push(Problem::Missing(path.clone())),
            Some(bytes) => {
                let found = sha256_hex(bytes);
                if &found == expected {
                    v.verified_files += 1;
                } else {
                    v.problems.push(Problem::Changed {
                        path: path.clone(),
                        expected: expected.clone(),
                        found,
                    });
                }
            }
        }
    }
    for path in files.keys() {
        if path != ENVELOPE_FILE && !signed_files.contains_key(path) {
            v.problems.push(Problem::Added(path.clone()));
        }
    }
    // The manifest is signed as a file; it must also agree with the statement.
    if let Some(bytes) = files.get(MANIFEST_FILE) {
        match serde_json::from_slice::<Manifest>(bytes) {
            Ok(m) => {
                for entry in &m.files {
                    match signed_files.get(&entry.path) {
                        Some(d) if *d == entry.sha256 => {}
                        Some(_) => v.problems.push(Problem::ManifestMismatch(format!(
                            "{} has a different digest in the manifest",
                            entry.path
                        ))),
                        None => v.problems.push(Problem::ManifestMismatch(format!(
                            "{} is in the manifest but not signed",
                            entry.path
                        ))),
                    }
                }
            }
            Err(e) => v
                .problems
                .push(Problem::Malformed(format!("{MANIFEST_FILE}: {e}"))),
        }
    }
    v
}
