//! Embeds the built-in models and Rego rules, so the binary needs no files beside it.

use std::fmt::Write as _;
use std::path::Path;

/// Writes `include_str!` calls relative to `CARGO_MANIFEST_DIR` as the compiler sees it,
/// not absolute paths: a target directory shared by two checkouts (a CI cache restored
/// under another path) then never compiles in the other checkout's files.
fn embed(root: &Path, sub: &str, ext: &str, out: &mut String, name: &str) -> std::io::Result<()> {
    let dir = root.join(sub);
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
                files.push(path);
            }
        }
    }
    files.sort();
    let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
    for f in files {
        let rel = f
            .strip_prefix(&dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let from_root = format!("/{sub}/{rel}");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {from_root:?}))),"
        );
    }
    let _ = writeln!(out, "];");
    Ok(())
}

fn main() -> std::io::Result<()> {
    // Read at run time: a build script compiled in another checkout (a shared target
    // directory) would otherwise read that checkout's rules, or fail once it is gone.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?;
    let root = Path::new(&manifest);
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=rules");
    let mut out = String::new();
    embed(root, "models", "yaml", &mut out, "MODELS")?;
    embed(root, "rules", "rego", &mut out, "RULES")?;
    let dest =
        Path::new(&std::env::var("OUT_DIR").map_err(std::io::Error::other)?).join("builtin.rs");
    std::fs::write(dest, out)
}
