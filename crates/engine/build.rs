//! Embeds the built-in models and Rego rules, so the binary needs no files beside it.

use std::fmt::Write as _;
use std::path::Path;

fn embed(dir: &Path, ext: &str, out: &mut String, name: &str) -> std::io::Result<()> {
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
            .strip_prefix(dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    let _ = writeln!(out, "];");
    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=rules");
    let mut out = String::new();
    embed(&root.join("models"), "yaml", &mut out, "MODELS")?;
    embed(&root.join("rules"), "rego", &mut out, "RULES")?;
    let dest =
        Path::new(&std::env::var("OUT_DIR").map_err(std::io::Error::other)?).join("builtin.rs");
    std::fs::write(dest, out)
}
