#!/usr/bin/env bash
# The shell part of the GitHub composite action (action.yml at the repository root).
#
# Scans once to JSON, then renders SARIF (for github/codeql-action/upload-sarif) and the
# Markdown summary (into $GITHUB_STEP_SUMMARY) from the saved result with `evident
# report`, so the systems are read once. Exits with the scan's code: 0, or 1 when a
# service is below EVIDENT_FAIL_UNDER (after the SARIF and the summary are written, so a
# failing gate still shows why), or the scan's error code.
#
# Kept out of action.yml so it can be run and tested without a runner
# (tests/e2e_github_action.rs). Environment, as action.yml sets it:
#   EVIDENT_BIN                the evident binary (default: evident on PATH)
#   EVIDENT_SCAN_PATH          what to scan (default: $GITHUB_WORKSPACE)
#   EVIDENT_FAIL_UNDER         level for --fail-under (empty: no gate)
#   EVIDENT_GITHUB_TOKEN       token for the GitHub source; empty: --github is not passed
#   EVIDENT_GITHUB_REPOSITORY  OWNER/REPO for --github (default: $GITHUB_REPOSITORY)
#   EVIDENT_GITHUB_API_URL     API base (default: $GITHUB_API_URL); --github-url only when
#                              it is not https://api.github.com (GitHub Enterprise Server)
#   EVIDENT_ARGS               extra scan arguments, split on whitespace
#   RUNNER_TEMP                where the result, SARIF and summary are written
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT  the runner's files (skipped when unset)
set -uo pipefail

bin="${EVIDENT_BIN:-evident}"
target="${EVIDENT_SCAN_PATH:-${GITHUB_WORKSPACE:-}}"
if [ -z "$target" ]; then
  echo "::error::evident: nothing to scan: set the path input or GITHUB_WORKSPACE" >&2
  exit 2
fi
if ! command -v "$bin" >/dev/null 2>&1; then
  echo "::error::evident: the evident binary ($bin) was not found" >&2
  exit 2
fi
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/evident"
mkdir -p "$out" || exit 2
result="$out/scan.json"
sarif="$out/evident.sarif"
summary="$out/summary.md"
rm -f "$result" "$sarif" "$summary"

args=(scan "$target" --format json --output "$result")
if [ -n "${EVIDENT_FAIL_UNDER:-}" ]; then
  args+=(--fail-under "$EVIDENT_FAIL_UNDER")
fi
repository="${EVIDENT_GITHUB_REPOSITORY:-${GITHUB_REPOSITORY:-}}"
api="${EVIDENT_GITHUB_API_URL:-${GITHUB_API_URL:-}}"
if [ -n "${EVIDENT_GITHUB_TOKEN:-}" ] && [ -n "$repository" ]; then
  # The token stays in the environment (EVIDENT_GITHUB_TOKEN, which evident reads);
  # it is never put on a command line.
  export EVIDENT_GITHUB_TOKEN
  args+=(--github "$repository")
  if [ -n "$api" ] && [ "${api%/}" != "https://api.github.com" ]; then
    args+=(--github-url "$api")
  fi
  echo "evident: reading GitHub for $repository"
else
  unset EVIDENT_GITHUB_TOKEN
  if [ -z "$repository" ]; then
    echo "evident: no repository to read from GitHub (GITHUB_REPOSITORY is empty); --github skipped, GitHub criteria stay unknown (not_configured)"
  else
    echo "evident: no github-token given; --github skipped, GitHub criteria stay unknown (not_configured)"
  fi
fi
if [ -n "${EVIDENT_ARGS:-}" ]; then
  read -r -a extra <<<"$EVIDENT_ARGS"
  args+=("${extra[@]}")
fi

"$bin" "${args[@]}"
code=$?
if [ ! -s "$result" ]; then
  echo "::error::evident scan stopped (exit $code) before writing a result" >&2
  [ "$code" -eq 0 ] && code=2
  exit "$code"
fi

"$bin" report "$result" --format sarif --output "$sarif" || {
  echo "::error::evident report could not write SARIF" >&2
  exit 2
}
"$bin" report "$result" --format markdown --output "$summary" || {
  echo "::error::evident report could not write the Markdown summary" >&2
  exit 2
}
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "result=$result"
    echo "sarif=$sarif"
    echo "summary=$summary"
    echo "exit-code=$code"
  } >>"$GITHUB_OUTPUT"
fi
if [ "$code" -eq 1 ]; then
  echo "::error::evident: a service is below --fail-under ${EVIDENT_FAIL_UNDER:-}; see the job summary" >&2
fi
exit "$code"
