//! The built binary reads the code of a real git repository made by the test: three
//! services on one large internal framework (the smell), and the same estate with the
//! framework small (no smell). Verdicts cite manifest lines; a broken manifest is listed
//! and makes the "absent" verdicts unknown, never met.

mod support;

use serde_json::Value;
use support::*;

fn shop(framework_lines: usize, broken: bool) -> Repo {
    let repo = Repo::new("shop");
    let mut code = String::new();
    for i in 0..framework_lines {
        code.push_str(&format!("export const v{i} = {i};\n"));
    }
    repo.write(
        "libs/framework/package.json",
        "{\n  \"name\": \"@acme/framework\"\n}\n",
    );
    repo.write("libs/framework/index.js", code);
    for svc in ["cart", "orders", "users"] {
        repo.write(&format!("services/{svc}/Dockerfile"), "FROM node:20\n");
        repo.write(
            &format!("services/{svc}/package.json"),
            format!("{{\n  \"name\": \"{svc}\",\n  \"dependencies\": {{\n    \"@acme/framework\": \"1.0.0\",\n    \"pg\": \"8\"\n  }}\n}}\n"),
        );
        repo.write(&format!("services/{svc}/index.js"), "module.exports = 1;\n");
    }
    if broken {
        repo.write("services/users/package.json", "{ \"name\": ");
    }
    repo.commit("shop");
    repo
}

fn row<'a>(result: &'a Value, criterion: &str) -> &'a Value {
    result["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["criterion"] == criterion)
        .unwrap_or_else(|| panic!("no result for {criterion}"))
}

#[test]
fn a_large_framework_used_by_every_service_is_the_smell_and_cites_its_lines() {
    let repo = shop(21_000, false);
    let result = scan_json(&repo.path());
    let text = result.to_string();
    assert_eq!(
        row(&result, "ds.arch.tiny-libs")["status"],
        "not_met",
        "{text}"
    );
    assert!(
        text.contains(
            "@acme/framework (npm) is declared by 3 of 3 deployables and holds 21000 lines"
        ),
        "{text}"
    );
    assert_eq!(
        row(&result, "ds.smell.predefined-frameworks")["status"],
        "not_met"
    );
    let source = result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["probe"] == "source_code")
        .expect("source_code source");
    assert_eq!(source["status"], "ok");
    // A dependency line is cited with its text.
    let cited = result["evidence"]
        .as_object()
        .expect("evidence")
        .values()
        .find(|e| e["locator"] == "services/cart/package.json#L4")
        .expect("the framework's dependency line is evidence");
    assert_eq!(cited["excerpt"], "\"@acme/framework\": \"1.0.0\",");
}

#[test]
fn small_shared_code_is_no_smell_and_a_broken_manifest_makes_absence_unknown() {
    let repo = shop(100, false);
    let result = scan_json(&repo.path());
    assert_eq!(
        row(&result, "ds.arch.tiny-libs")["status"],
        "met",
        "{result}"
    );
    assert_eq!(
        row(&result, "ds.smell.predefined-frameworks")["status"],
        "met"
    );
    let repo = shop(100, true);
    let result = scan_json(&repo.path());
    let tiny = row(&result, "ds.arch.tiny-libs");
    assert_eq!(tiny["status"], "unknown", "{result}");
    assert_eq!(tiny["reason"], "partial");
    assert!(
        result
            .to_string()
            .contains("shop:services/users/package.json: does not parse as a npm manifest")
    );
}
