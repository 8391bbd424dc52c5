use super::*;

fn parsed(text: &str) -> Result<Estate, EstateError> {
    parse(Path::new("/tmp/estate.yaml"), text)
}

fn error(text: &str) -> String {
    match parsed(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_minimal_file_parses_with_defaults() {
    let estate = parsed("version: 1\nsources:\n  repositories: [shop, ../cart]\n").unwrap();
    assert_eq!(
        estate.repositories(),
        [PathBuf::from("/tmp/shop"), PathBuf::from("/tmp/../cart")]
    );
    assert_eq!(estate.file.rules, Rules::default());
    assert!(estate.file.schedule.is_none());
}

#[test]
fn an_unknown_key_is_an_error_naming_it_and_its_line() {
    let e = error("version: 1\nsources:\n  repositories: []\n  prometeus: []\n");
    assert!(e.starts_with("/tmp/estate.yaml: line 4: "), "{e}");
    assert!(e.contains("unknown field `prometeus`"), "{e}");
}

#[test]
fn an_inline_token_is_refused_by_key_and_line_without_its_value() {
    let e =
        error("version: 1\nsources:\n  github:\n    orgs: [acme]\n    token: ghp_s3cr3tvalue\n");
    assert!(e.contains("line 5") && e.contains("`token`"), "{e}");
    assert!(e.contains("token_env"), "{e}");
    assert!(!e.contains("ghp_s3cr3tvalue"), "{e}");
    let e = error("version: 1\nsources:\n  grafana:\n    url: https://g\n    password: hunter2\n");
    assert!(e.contains("line 5") && !e.contains("hunter2"), "{e}");
}

#[test]
fn a_url_with_user_and_password_is_refused_without_them() {
    let e =
        error("version: 1\nsources:\n  prometheus:\n    - url: http://bob:pa55word@prom:9090\n");
    assert!(e.contains("line 4") && e.contains("user:password@"), "{e}");
    assert!(!e.contains("pa55word") && !e.contains("bob"), "{e}");
}

#[test]
fn a_value_of_the_wrong_type_is_not_echoed() {
    let e = error("version: 1\nrules:\n  max_team_size: sekr1t-looking\n");
    assert!(e.contains("line 3"), "{e}");
    assert!(!e.contains("sekr1t-looking"), "{e}");
}

#[test]
fn an_env_value_that_is_not_a_variable_name_is_refused_unshown() {
    let e =
        error("version: 1\nsources:\n  github:\n    orgs: [acme]\n    token_env: ghp_abc123xyz\n");
    assert!(
        e.contains("line 5") && e.contains("environment variable"),
        "{e}"
    );
    assert!(!e.contains("ghp_abc123xyz"), "{e}");
}

#[test]
fn a_bad_schedule_and_a_bad_version_name_their_lines() {
    let e = error("version: 1\nschedule: \"every night\"\n");
    assert!(e.contains("line 2") && e.contains("cron"), "{e}");
    assert!(parsed("version: 1\nschedule: \"0 3 * * *\"\n").is_ok());
    let e = error("version: 2\n");
    assert!(e.contains("line 1") && e.contains("version 2"), "{e}");
}

#[test]
fn a_missing_secret_names_the_key_not_a_value() {
    let estate = parsed(
        "version: 1\nsources:\n  github:\n    orgs: [acme]\n    token_env: EVIDENT_TEST_SURELY_UNSET_VAR\n",
    )
    .unwrap();
    let e = estate
        .secret("token", Some("EVIDENT_TEST_SURELY_UNSET_VAR"), None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("line 5") && e.contains("not set"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tok"), "file-secret\n").unwrap();
    let config = dir.path().join("estate.yaml");
    let estate = parse(&config, "version: 1\n").unwrap();
    let got = estate
        .secret("token", None, Some(Path::new("tok")))
        .unwrap();
    assert_eq!(got.as_deref(), Some("file-secret"));
}

#[test]
fn conflicting_credentials_are_refused() {
    let e = error(
        "version: 1\nsources:\n  grafana:\n    url: https://g\n    token_env: A\n    token_file: b\n",
    );
    assert!(e.contains("both"), "{e}");
    let e = error(
        "version: 1\nsources:\n  prometheus:\n    - url: https://a\n      token_env: A\n    - url: https://b\n",
    );
    assert!(e.contains("same credential"), "{e}");
}
