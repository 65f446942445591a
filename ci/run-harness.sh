#!/usr/bin/env bash
# ci/run-harness.sh: the one entry point every CI recipe in ci/ calls (ci/README.md).
# Waits for the target to answer, runs `scim-harness run` with every report format
# (which writes summary.md beside them), appends summary.md to $GITHUB_STEP_SUMMARY when set,
# and exits with the harness's exit code (README "Exit codes"; 3 also when the target
# never answered within the wait timeout).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: ci/run-harness.sh [OPTIONS] [-- EXTRA SCIM-HARNESS RUN ARGS]

Every option has an environment variable; a flag wins over its variable.
  --profile FILE        SCIM_HARNESS_CI_PROFILE    target profile (TOML); none: the embedded reference target
  --target-url URL      SCIM_HARNESS_TARGET_URL    the target's base URL (needs a profile)
  --token-env NAME      SCIM_HARNESS_CI_TOKEN_ENV  the variable holding the target's token (default SCIM_HARNESS_TOKEN)
  --persona ID          SCIM_HARNESS_CI_PERSONAS   only these personas (flag repeatable; variable: space separated)
  --config NAME         SCIM_HARNESS_CI_CONFIGS    only these configurations (likewise)
  --include GLOB        SCIM_HARNESS_CI_INCLUDE    only case ids matching a glob (likewise)
  --exclude GLOB        SCIM_HARNESS_CI_EXCLUDE    leave out case ids matching a glob (likewise)
  --partition K/N       SCIM_HARNESS_CI_PARTITION  the K-th of N parts of the selected cases
  --baseline FILE       SCIM_HARNESS_CI_BASELINE   expected failures, each with a reason
  --seed N              SCIM_HARNESS_CI_SEED       seed of the names cases create
  --out DIR             SCIM_HARNESS_CI_OUT        reports folder (default scim-harness-report)
  --scenarios DIR       SCIM_HARNESS_CI_SCENARIOS  the scenario catalogue (default: the harness's default)
  --idp-keys DIR        SCIM_HARNESS_CI_IDP_KEYS   the IdP test keys (default: the harness's default)
  --wait-url URL        SCIM_HARNESS_CI_WAIT_URL   URL that must answer before the run (default: the target URL)
  --wait-timeout SECS   SCIM_HARNESS_CI_WAIT_TIMEOUT  how long to wait for it (default 120)
  --bin PATH            SCIM_HARNESS_CI_BIN        the scim-harness binary (default scim-harness on PATH)
  -- ARGS               SCIM_HARNESS_CI_EXTRA_ARGS more `scim-harness run` arguments (variable: space separated)
Exit: the harness's code; 2 for a usage error here; 3 when the target did not answer in time.
EOF
}

die_usage() {
    echo "run-harness: error: $*" >&2
    echo "run-harness: see ci/run-harness.sh --help" >&2
    exit 2
}

# Space-separated lists from the environment; flags append to them.
split_words() {
    local -a words=()
    read -r -a words <<<"$1" || true
    if [ ${#words[@]} -gt 0 ]; then
        printf '%s\n' "${words[@]}"
    fi
}
mapfile -t personas < <(split_words "${SCIM_HARNESS_CI_PERSONAS:-}")
mapfile -t configs < <(split_words "${SCIM_HARNESS_CI_CONFIGS:-}")
mapfile -t includes < <(split_words "${SCIM_HARNESS_CI_INCLUDE:-}")
mapfile -t excludes < <(split_words "${SCIM_HARNESS_CI_EXCLUDE:-}")
mapfile -t extra < <(split_words "${SCIM_HARNESS_CI_EXTRA_ARGS:-}")

profile=${SCIM_HARNESS_CI_PROFILE:-}
target_url=${SCIM_HARNESS_TARGET_URL:-}
token_env=${SCIM_HARNESS_CI_TOKEN_ENV:-SCIM_HARNESS_TOKEN}
partition=${SCIM_HARNESS_CI_PARTITION:-}
baseline=${SCIM_HARNESS_CI_BASELINE:-}
seed=${SCIM_HARNESS_CI_SEED:-}
out=${SCIM_HARNESS_CI_OUT:-scim-harness-report}
scenarios=${SCIM_HARNESS_CI_SCENARIOS:-}
idp_keys=${SCIM_HARNESS_CI_IDP_KEYS:-}
wait_url=${SCIM_HARNESS_CI_WAIT_URL:-}
wait_timeout=${SCIM_HARNESS_CI_WAIT_TIMEOUT:-120}
bin=${SCIM_HARNESS_CI_BIN:-scim-harness}

while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --) shift; extra+=("$@"); break ;;
        --profile | --target-url | --token-env | --persona | --config | --include | --exclude | \
            --partition | --baseline | --seed | --out | --scenarios | --idp-keys | --wait-url | \
            --wait-timeout | --bin)
            [ $# -ge 2 ] || die_usage "$1 needs a value"
            case $1 in
                --profile) profile=$2 ;;
                --target-url) target_url=$2 ;;
                --token-env) token_env=$2 ;;
                --persona) personas+=("$2") ;;
                --config) configs+=("$2") ;;
                --include) includes+=("$2") ;;
                --exclude) excludes+=("$2") ;;
                --partition) partition=$2 ;;
                --baseline) baseline=$2 ;;
                --seed) seed=$2 ;;
                --out) out=$2 ;;
                --scenarios) scenarios=$2 ;;
                --idp-keys) idp_keys=$2 ;;
                --wait-url) wait_url=$2 ;;
                --wait-timeout) wait_timeout=$2 ;;
                --bin) bin=$2 ;;
            esac
            shift 2
            ;;
        *) die_usage "unknown argument \`$1\`" ;;
    esac
done

# Checks before anything runs: each names the input at fault.
if [ -n "$target_url" ] && [ -z "$profile" ]; then
    die_usage "a target URL ($target_url) needs a profile (--profile or SCIM_HARNESS_CI_PROFILE); without one the run would go to the embedded reference target"
fi
if [ -n "$profile" ] && [ ! -f "$profile" ]; then
    die_usage "profile $profile: no such file"
fi
if [ -n "$baseline" ] && [ ! -f "$baseline" ]; then
    die_usage "baseline $baseline: no such file"
fi
case $wait_timeout in
    '' | *[!0-9]*) die_usage "wait timeout \`$wait_timeout\` is not a whole number of seconds" ;;
esac
case $token_env in
    '' | [0-9]* | *[!A-Za-z0-9_]*) die_usage "token variable name \`$token_env\` is not a variable name" ;;
esac
if ! command -v "$bin" >/dev/null 2>&1; then
    die_usage "the scim-harness binary \`$bin\` was not found (install it: ci/install-harness.sh)"
fi

# The token goes to the harness in the variable the profiles read; it is never printed.
if [ "$token_env" != SCIM_HARNESS_TOKEN ]; then
    SCIM_HARNESS_TOKEN=${!token_env:-}
    export SCIM_HARNESS_TOKEN
fi
if [ -n "$profile" ] && [ -z "${SCIM_HARNESS_TOKEN:-}" ]; then
    echo "run-harness: warning: \$$token_env is empty; the target will see no token unless the profile names another" >&2
fi

# Wait until the target answers HTTP at all (any status: this only asks whether it is up).
if [ -z "$wait_url" ]; then
    wait_url=$target_url
fi
if [ -n "$wait_url" ]; then
    if ! command -v curl >/dev/null 2>&1; then
        die_usage "curl is needed to wait for $wait_url (Debian: apt-get install curl)"
    fi
    echo "run-harness: waiting up to ${wait_timeout}s for $wait_url to answer" >&2
    deadline=$((SECONDS + wait_timeout))
    while :; do
        # -k: this probe sends nothing secret and only asks whether something answers.
        status=$(curl -ks -o /dev/null -w '%{http_code}' --max-time 5 "$wait_url" || true)
        if [ -n "$status" ] && [ "$status" != 000 ]; then
            echo "run-harness: $wait_url answered $status" >&2
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "run-harness: error: the target did not answer at $wait_url within ${wait_timeout}s (is the service started? see its log)" >&2
            exit 3
        fi
        sleep 1
    done
fi

args=(run --format human --format json --format junit --format html --out "$out")
if [ -n "$profile" ]; then
    args+=(--target "$profile")
fi
if [ -n "$target_url" ]; then
    args+=(--target-url "$target_url")
fi
for p in "${personas[@]+"${personas[@]}"}"; do args+=(--persona "$p"); done
for c in "${configs[@]+"${configs[@]}"}"; do args+=(--config "$c"); done
for g in "${includes[@]+"${includes[@]}"}"; do args+=(--include "$g"); done
for g in "${excludes[@]+"${excludes[@]}"}"; do args+=(--exclude "$g"); done
if [ -n "$partition" ]; then args+=(--partition "$partition"); fi
if [ -n "$baseline" ]; then args+=(--baseline "$baseline"); fi
if [ -n "$seed" ]; then args+=(--seed "$seed"); fi
if [ -n "$scenarios" ]; then args+=(--scenarios "$scenarios"); fi
if [ -n "$idp_keys" ]; then args+=(--idp-keys "$idp_keys"); fi
args+=("${extra[@]+"${extra[@]}"}")

mkdir -p "$out"
# No report of an earlier run may pass for this one's.
rm -f "$out/report.json" "$out/junit.xml" "$out/report.html" "$out/summary.md"
echo "run-harness: $bin ${args[*]}" >&2
set +e
"$bin" "${args[@]}"
code=$?
set -e

# summary.md: the harness writes it beside its reports (verdict, counts, MUST failures,
# SHOULD warnings, skipped cases by reason); a run that ended before writing reports (a
# usage error, an unreachable target) gets a short one here.
summary=$out/summary.md
if [ ! -f "$summary" ]; then
    {
        echo "## scim-harness: no report (exit $code)"
        echo
        echo "The run wrote no reports; its standard error says why (exit codes: README \"Exit codes\")."
    } >"$summary"
fi
echo "run-harness: summary in $summary" >&2
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
