#!/usr/bin/env bash
# shellcheck disable=SC2317  # the check_* functions are called indirectly
# Benchmark: ksecret (release build) against the real sops 3.11.0 on the same files and key.
#
# Inputs come from scripts/gen_bench_yaml.py (seeded): a 20,000-leaf YAML and a 30-line secrets
# file, both encrypted by the real sops to a throwaway age key. Cases and targets (ksecret/sops):
#   decrypt big     wall <= 0.10x, peak RSS <= 0.5x
#   encrypt big     wall <= 0.10x
#   decrypt small   wall <= 0.50x
# Security reviews (ksecret alone; sops has no such commands): `audit` over 1,000 encrypted files in
# a git repository, without --verify, target under 1 s; `rotate --all` over 200 of them, reported in
# files per second (no target). The 1,000 files are encrypted by ksecret itself, each with its own
# data key, and checked by the real sops after the rotations.
# Wall time is the median of BENCH_RUNS runs (BENCH_HELM_RUNS, four times as many, for the helm
# renders). Where ksecret is compared (with sops, or a secrets://
# render with a plain one), the two commands' runs alternate (wall_set, below); single figures
# (audit, rotate) use hyperfine when installed, else a Python loop. Peak RSS is the median of 3
# runs of /usr/bin/time. A case whose ksecret command fails, or whose
# output sops does not agree with, is reported as such. Pass/fail is printed, never the exit code:
# the script exits 0 once it could measure, and non-zero only when its own setup fails.
# Results also go to bench-out/bench.txt.
#
# Environment: KSECRET (default .build/release/ksecret), SOPS (default .tools/bin/sops, else PATH),
# BENCH_RUNS (default 15), BENCH_SEED (default 20260311), BENCH_TIMER (hyperfine or python, for single figures).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

KSECRET="${KSECRET:-$ROOT/.build/release/ksecret}"
SOPS="${SOPS:-$ROOT/.tools/bin/sops}"
[[ -x "$SOPS" ]] || SOPS="$(command -v sops || true)"
RUNS="${BENCH_RUNS:-15}"
# The helm renders are short (about 50 ms) and their ratio is small: four times the runs, so that
# the median of a render does not move with the host's drift over a few seconds.
HELM_RUNS="${BENCH_HELM_RUNS:-$((RUNS * 4))}"
SEED="${BENCH_SEED:-20260311}"
OUT="$ROOT/bench-out"

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[[ -x "$KSECRET" ]] || die "$KSECRET is missing: run 'make build-release'"
[[ -n "$SOPS" && -x "$SOPS" ]] || die "the real sops is missing: run 'make peers'"
command -v age-keygen >/dev/null || die "age-keygen is missing: run 'make deps'"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run 'make deps' (Debian package time)"

work="$(mktemp -d)"   # 0700: plaintext inputs and decrypted outputs stay private
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"
# Run from the scratch directory: the repository's own .sops.yaml must not apply to bench files.
cd "$work"

python3 "$ROOT/scripts/gen_bench_yaml.py" "$work" --seed "$SEED"
age-keygen -o "$work/key.txt" 2>/dev/null
export SOPS_AGE_KEY_FILE="$work/key.txt"
recipient="$(age-keygen -y "$work/key.txt")"
for f in big small; do
    "$SOPS" encrypt --age "$recipient" "$work/$f.yaml" >"$work/$f.enc.yaml"
done

timer="${BENCH_TIMER:-}"
if [[ -z "$timer" ]]; then
    if command -v hyperfine >/dev/null; then timer=hyperfine; else timer=python; fi
fi
echo "bench: sops $("$SOPS" --version --disable-version-check 2>/dev/null | head -n 1 | awk '{print $2}'), ksecret $KSECRET"
echo "bench: $(wc -l <"$work/big.yaml") + $(wc -l <"$work/small.yaml") lines, $RUNS runs per command, wall time by $timer"

# wall_median CMD...: median wall time in seconds over $RUNS runs (after one warm-up), output discarded.
wall_median() {
    if [[ "$timer" == hyperfine ]]; then
        local cmd json="$work/hyperfine.json"
        cmd="$(printf '%q ' "$@")"
        if ! hyperfine --shell=none --warmup 1 --runs "$RUNS" --style none --export-json "$json" "$cmd" \
            >/dev/null 2>"$work/hyperfine.err"; then
            cat "$work/hyperfine.err" >&2
            return 1
        fi
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
    else
        python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
PY
    fi
}

# wall_set CMD_A... -- CMD_B... [-- CMD_C...]: the median wall time in seconds of each command, over
# $RUNS runs each (after one warm-up of each), printed as "A B [C]". The runs alternate, each round
# starting one command later (A B C, then B C A, ...), so that a host whose speed drifts during the
# benchmark (a shared or throttled machine) slows all alike and the ratios stay fair; run one after
# the other, a drift lands on one side only. Processes are started with posix_spawn, output
# discarded, and must exit 0; a command name without a slash is looked up in PATH.
wall_set() {
    python3 - "$RUNS" "$@" <<'PY'
import os, statistics, sys, time
runs, args = int(sys.argv[1]), sys.argv[2:]
cmds, cur = [], []
for a in args:
    if a == "--":
        cmds.append(cur)
        cur = []
    else:
        cur.append(a)
cmds.append(cur)
devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
def once(cmd):
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=devnull)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {cmd[0]} exited with status {os.waitstatus_to_exitcode(status)}")
    return elapsed
times = [[] for _ in cmds]
for c in range(len(cmds)):
    once(cmds[c])
for i in range(runs):
    for k in range(len(cmds)):
        c = (i + k) % len(cmds)
        times[c].append(once(cmds[c]))
print(*(statistics.median(t) for t in times))
PY
}

# rss_median CMD...: median peak resident set size in KiB over 3 runs.
rss_median() {
    local _
    for _ in 1 2 3; do
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
        cat "$work/rss"
    done | sort -n | sed -n 2p
}

# Result rows, '|'-separated: case | sops wall | ksecret wall | ratio | target | sops RSS | ksecret RSS | ratio | target | result
rows=()

# bench_case NAME WALL_TARGET RSS_TARGET(or -) CHECK -- SOPS_ARGS... -- KSECRET_ARGS...
# CHECK names a function that gets ksecret's output file and says whether it is right.
bench_case() {
    local name="$1" wall_target="$2" rss_target="$3" check="$4"
    shift 4
    local sops_args=() ks_args=()
    shift # --
    while [[ "$1" != -- ]]; do sops_args+=("$1"); shift; done
    shift
    ks_args=("$@")

    echo "bench: $name" >&2
    local wall_t="<= ${wall_target}x" rss_t="-"
    [[ "$rss_target" == - ]] || rss_t="<= ${rss_target}x"
    local s_wall s_rss="-" k_wall k_rss="-" w_ratio m_ratio="-" verdict=PASS err
    [[ "$rss_target" == - ]] || s_rss="$(rss_median "$SOPS" "${sops_args[@]}")"
    local sops_cols="-" sops_rss_col
    sops_rss_col="$(fmt_kb "$s_rss")"

    if ! "$KSECRET" "${ks_args[@]}" >"$work/ks.out" 2>"$work/ks.err"; then
        err="$(head -n 1 "$work/ks.err" | cut -c1-70)"
        rows+=("$name|$sops_cols|-|-|$wall_t|$sops_rss_col|-|-|$rss_t|ksecret failed: ${err:-non-zero exit}")
        return
    fi
    if ! "$check" "$work/ks.out"; then
        rows+=("$name|$sops_cols|-|-|$wall_t|$sops_rss_col|-|-|$rss_t|wrong output ($check)")
        return
    fi
    read -r s_wall k_wall < <(wall_set "$SOPS" "${sops_args[@]}" -- "$KSECRET" "${ks_args[@]}")
    [[ -n "$k_wall" ]] || die "timing $name failed"
    sops_cols="$(fmt_s "$s_wall")"
    w_ratio="$(ratio "$k_wall" "$s_wall")"
    within "$w_ratio" "$wall_target" || verdict=FAIL
    if [[ "$rss_target" != - ]]; then
        k_rss="$(rss_median "$KSECRET" "${ks_args[@]}")"
        m_ratio="$(ratio "$k_rss" "$s_rss")"
        within "$m_ratio" "$rss_target" || verdict=FAIL
        m_ratio="${m_ratio}x"
    fi
    rows+=("$name|$sops_cols|$(fmt_s "$k_wall")|${w_ratio}x|$wall_t|$sops_rss_col|$(fmt_kb "$k_rss")|$m_ratio|$rss_t|$verdict")
}

ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.3f}")' "$1" "$2"; }
within() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }
fmt_s() { python3 -c 'import sys; v = sys.argv[1]; print("-" if v == "-" else f"{float(v) * 1000:.1f} ms")' "$1"; }
fmt_kb() { python3 -c 'import sys; v = sys.argv[1]; print("-" if v == "-" else f"{int(v) / 1024:.1f} MiB")' "$1"; }

# Output checks: a decryption must equal what sops decrypts; an encryption must decrypt, with the
# real sops, to the original plaintext (compared after sops's own formatting of it).
# They are called by name from bench_case (hence the SC2317 exception at the top).
sops_decrypt_to() { "$SOPS" decrypt "$1" >"$2"; }
sops_decrypt_to "$work/big.enc.yaml" "$work/big.sops.yaml"
sops_decrypt_to "$work/small.enc.yaml" "$work/small.sops.yaml"
check_big_decrypt() { cmp -s "$1" "$work/big.sops.yaml"; }
check_small_decrypt() { cmp -s "$1" "$work/small.sops.yaml"; }
check_big_encrypt() {
    cp "$1" "$work/big.ks.enc.yaml" # sops picks the format from the file name
    "$SOPS" decrypt "$work/big.ks.enc.yaml" 2>/dev/null | cmp -s - "$work/big.sops.yaml"
}

bench_case "decrypt big" 0.10 0.5 check_big_decrypt \
    -- decrypt "$work/big.enc.yaml" -- decrypt "$work/big.enc.yaml"
bench_case "encrypt big" 0.10 - check_big_encrypt \
    -- encrypt --age "$recipient" "$work/big.yaml" -- encrypt --age "$recipient" "$work/big.yaml"
bench_case "decrypt small" 0.50 - check_small_decrypt \
    -- decrypt "$work/small.enc.yaml" -- decrypt "$work/small.enc.yaml"

{
    echo
    printf '%s\n' "case|sops wall|ksecret wall|wall ratio|target|sops RSS|ksecret RSS|RSS ratio|target|result" \
        "${rows[@]}" | python3 -c '
import sys
rows = [line.rstrip("\n").split("|") for line in sys.stdin]
widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows:
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
'
    echo
    echo "ratio = ksecret / sops; wall = median of $RUNS runs each, sops and ksecret alternating; RSS = median of 3 runs (KiB from /usr/bin/time)"
} | tee "$OUT/bench.txt"

# The chart pipeline: helm template of charts/django-app with its secrets decrypted by the
# secrets:// downloader, against the same render with the values already in plain text.
HELM="$ROOT/.tools/bin/helm3"
if [[ -x "$HELM" ]]; then
    export HELM_DATA_HOME="$work/helm/data" HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache"
    "$KSECRET" helm install-plugins --helm "$HELM" 2>/dev/null
    chart="$ROOT/charts/django-app"
    cp "$ROOT/keys-example/chart-secrets.yaml" "$work/chart-secrets.yaml"
    cp "$work/chart-secrets.yaml" "$work/chart-secrets.enc.yaml"
    "$KSECRET" encrypt -i --age "$recipient" "$work/chart-secrets.enc.yaml"
    # What helm itself adds for any downloader: the same render through a C program that only
    # copies the file named by the URL (plugin lookup, fork and exec, reading a pipe). ksecret's
    # share is the rest; the downloader is also timed alone, against that C program.
    floor_home="$work/helm-floor/data"
    mkdir -p "$floor_home/plugins/pass-through/bin"
    printf 'name: "pass-through"\nversion: "1.0.0"\nusage: "bench floor"\ndescription: "copies the file"\ndownloaders:\n  - command: "bin/pass-through"\n    protocols:\n      - "secrets"\n' \
        >"$floor_home/plugins/pass-through/plugin.yaml"
    cat >"$work/pass-through.c" <<'C'
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *url = argv[argc - 1], *path = strstr(url, "://");
    char buffer[65536];
    ssize_t n;
    int fd = open(path ? path + 3 : url, O_RDONLY);
    if (fd < 0) return 1;
    while ((n = read(fd, buffer, sizeof buffer)) > 0)
        if (write(1, buffer, (size_t)n) != n) return 1;
    return n < 0;
}
C
    floor=""
    for compiler in "${CC:-}" cc clang gcc; do
        [[ -n "$compiler" ]] && command -v "$compiler" >/dev/null || continue
        if "$compiler" -O2 -o "$floor_home/plugins/pass-through/bin/pass-through" "$work/pass-through.c" 2>/dev/null; then
            floor=1
            break
        fi
    done
    render=("$HELM" template t "$chart" -f "$work/chart-secrets.yaml" -f "$chart/ci/test-values.yaml")
    secret_render=("$HELM" template t "$chart" -f "secrets://$work/chart-secrets.enc.yaml" -f "$chart/ci/test-values.yaml")
    if [[ -n "$floor" ]]; then
        read -r plain_t enc_t floor_t < <(RUNS="$HELM_RUNS" wall_set "${render[@]}" -- "${secret_render[@]}" \
            -- env HELM_DATA_HOME="$floor_home" "$HELM" template t "$chart" -f "secrets://$work/chart-secrets.yaml" -f "$chart/ci/test-values.yaml")
        # env(1) starts the third render: time it alone to take it off.
        env_t="$(wall_median env true)"
        read -r pass_t dl_t < <(RUNS="$HELM_RUNS" wall_set "$floor_home/plugins/pass-through/bin/pass-through" "" "" "" "secrets://$work/chart-secrets.yaml" \
            -- "$KSECRET" helm downloader "" "" "" "secrets://$work/chart-secrets.enc.yaml")
    else
        read -r plain_t enc_t < <(RUNS="$HELM_RUNS" wall_set "${render[@]}" -- "${secret_render[@]}")
    fi
    r="$(ratio "$enc_t" "$plain_t")"
    verdict=PASS
    within "$r" 1.10 || verdict=FAIL
    printf '\nhelm template, secrets:// vs plain values: %s vs %s = %sx (target <= 1.10x) %s (medians of %s runs)\n' \
        "$(fmt_s "$enc_t")" "$(fmt_s "$plain_t")" "$r" "$verdict" "$HELM_RUNS" | tee -a "$OUT/bench.txt"
    if [[ -n "$floor" ]]; then
        floor_t="$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$floor_t" "$env_t")"
        printf '  helm with a C downloader that only copies the file: %s = %sx (what any downloader costs)\n' \
            "$(fmt_s "$floor_t")" "$(ratio "$floor_t" "$plain_t")" | tee -a "$OUT/bench.txt"
        printf '  the downloader alone: ksecret (decrypting) %s, the C copy %s\n' \
            "$(fmt_s "$dl_t")" "$(fmt_s "$pass_t")" | tee -a "$OUT/bench.txt"
    else
        echo "  (no C compiler: the floor of any downloader was not measured)" | tee -a "$OUT/bench.txt"
    fi
fi

# Security reviews: audit over 1,000 encrypted files, rotate --all over 200.
review="$work/review"
mkdir -p "$review/audit" "$review/rotate"
git -C "$review/audit" init -q
git -C "$review/rotate" init -q
printf 'creation_rules:\n  - path_regex: \\.yaml$\n    age: %s\n' "$recipient" >"$review/audit/.sops.yaml"
cp "$review/audit/.sops.yaml" "$review/rotate/.sops.yaml"
for i in $(seq 0 999); do
    d="$review/audit/team$((i / 50))"
    mkdir -p "$d"
    printf 'db:\n    password: pw-%d\n    port: %d\napi_token: tok-%d\nnote_unencrypted: n%d\n' "$i" "$((5000 + i))" "$i" "$i" >"$d/s$i.yaml"
done
echo "bench: encrypting 1,000 files with ksecret for the audit and rotate --all cases" >&2
(cd "$review/audit" && find . -name 's*.yaml' -print0 | xargs -0 -P "$(nproc)" -n 50 sh -c 'for f; do "$0" encrypt -i "$f" || exit 1; done' "$KSECRET")
for i in $(seq 0 199); do
    mkdir -p "$review/rotate/team$((i / 50))"
    cp "$review/audit/team$((i / 50))/s$i.yaml" "$review/rotate/team$((i / 50))/s$i.yaml"
done
git -C "$review/audit" add -A
git -C "$review/rotate" add -A
audit_files="$("$KSECRET" audit --json --fail-on none "$review/audit" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')"
audit_t="$(wall_median "$KSECRET" audit --fail-on none "$review/audit")"
verdict=PASS
within "$audit_t" 1.0 || verdict=FAIL
[[ "$audit_files" == 1000 ]] || verdict="FAIL (saw $audit_files encrypted files)"
printf '\naudit, 1,000 encrypted files in a git repository, no --verify: %s (target < 1 s) %s\n' \
    "$(fmt_s "$audit_t")" "$verdict" | tee -a "$OUT/bench.txt"
mac_before="$(grep '^    mac:' "$review/rotate/team3/s199.yaml")"
rotate_t="$(wall_median "$KSECRET" rotate --all --state "$review/rotate.journal" "$review/rotate")"
check="sops decrypts the result"
"$SOPS" decrypt "$review/rotate/team3/s199.yaml" 2>/dev/null | grep -qx '    password: pw-199' || check="FAIL: sops cannot decrypt the result"
[[ "$(grep '^    mac:' "$review/rotate/team3/s199.yaml")" != "$mac_before" ]] || check="FAIL: the file was not rotated"
printf 'rotate --all, 200 files, %s jobs: %s = %s files/s (%s)\n' "$(nproc)" "$(fmt_s "$rotate_t")" \
    "$(python3 -c 'import sys; print(f"{200 / float(sys.argv[1]):.0f}")' "$rotate_t")" "$check" | tee -a "$OUT/bench.txt"
exit 0
