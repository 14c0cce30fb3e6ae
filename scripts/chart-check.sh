#!/usr/bin/env bash
# Offline checks of charts/django-app with the real helm 3 and helm 4 (no cluster, no network).
#
# Usage: scripts/chart-check.sh VALUES_FILE [VALUES_FILE...]
#   The values files must supply the plaintext secrets (db:, namecheap:), e.g.
#   keys-example/chart-secrets.yaml. They are passed to helm with -f, in order.
#
# Checks (every one must pass; exit 1 otherwise, 2 on usage/setup errors):
#   1. helm lint --strict on helm 3 and helm 4
#   2. helm template on helm 3 and helm 4, identical output
#   3. the rendered manifests: valid YAML, no duplicate keys, kind/apiVersion/metadata.name set
#   4. kubernetes-validate --strict against Kubernetes $KUBE_VERSION, except the cert-manager.io
#      kinds (ClusterIssuer: a CRD, no schema offline) which are listed and skipped explicitly;
#      any other kind without a schema is a failure
#   5. DATABASE_URL: percent-decoding user, password and database name gives back the values
#      given, host/port/sslmode match, userinfo holds only unreserved characters and %XX; the
#      same round trip with a built-in nasty password (@:/?#[]%+ &= spaces, non-ASCII) on both helms
#   6. the schema rejects a bad sslmode and an out-of-range port on both helms
#
# Environment: KSECRET_TOOLS (default <repo>/.tools; `make peers` fills it), KUBE_VERSION
# (default 1.30.0), CHART (default <repo>/charts/django-app), KEEP_RENDERED=1 keeps the temp dir.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${KSECRET_TOOLS:-$ROOT/.tools}"
CHART="${CHART:-$ROOT/charts/django-app}"
KUBE_VERSION="${KUBE_VERSION:-1.30.0}"
HELM3="$TOOLS/bin/helm3"
HELM4="$TOOLS/bin/helm4"
KV="$TOOLS/bin/kubernetes-validate"
PY="$TOOLS/venv/bin/python"          # kubernetes-validate's venv: has PyYAML

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
die() { printf 'chart-check: error: %s\n' "$*" >&2; exit 2; }

(($# >= 1)) || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
values=()
for f in "$@"; do
    [[ -f "$f" ]] || die "values file not found: $f"
    values+=(-f "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done
for tool in "$HELM3" "$HELM4" "$KV" "$PY"; do
    [[ -x "$tool" ]] || die "$tool is missing (run: make peers)"
done
[[ -f "$CHART/Chart.yaml" ]] || die "no chart at $CHART"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chart-check.XXXXXX")"
cleanup() { if [[ "${KEEP_RENDERED:-0}" == 1 ]]; then echo "chart-check: kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
# Private helm state for every helm command: nothing read from or written to the user's dirs.
export HELM_DATA_HOME="$WORK/helm/data" HELM_CONFIG_HOME="$WORK/helm/config" HELM_CACHE_HOME="$WORK/helm/cache"
unset HELM_PLUGINS HELM_REPOSITORY_CONFIG HELM_REPOSITORY_CACHE HELM_REGISTRY_CONFIG
mkdir -p "$HELM_DATA_HOME" "$HELM_CONFIG_HOME" "$HELM_CACHE_HOME"

failures=0
pass() { printf 'chart-check: ok    %s\n' "$*"; }
fail() { printf 'chart-check: FAIL  %s\n' "$*" >&2; failures=$((failures + 1)); }

# run LOGNAME CMD...: runs CMD with output in $WORK/LOGNAME.log; shows the log on failure.
run() {
    local log="$WORK/$1.log"
    shift
    if "$@" >"$log" 2>&1; then
        return 0
    fi
    sed 's/^/    | /' "$log" >&2
    return 1
}

# 1. lint
for h in helm3 helm4; do
    bin="$TOOLS/bin/$h"
    if run "lint-$h" "$bin" lint --strict "$CHART" "${values[@]}" --kube-version "$KUBE_VERSION"; then
        pass "$h lint --strict"
    else
        fail "$h lint --strict"
    fi
done

# 2. template
rendered_ok=1
for h in helm3 helm4; do
    bin="$TOOLS/bin/$h"
    if "$bin" template chart-check "$CHART" "${values[@]}" --namespace chart-check \
        --kube-version "$KUBE_VERSION" >"$WORK/rendered-$h.yaml" 2>"$WORK/template-$h.log"; then
        pass "$h template ($(grep -c '^kind: ' "$WORK/rendered-$h.yaml") resources)"
    else
        sed 's/^/    | /' "$WORK/template-$h.log" >&2
        fail "$h template"
        rendered_ok=0
    fi
done
if ((rendered_ok)); then
    if cmp -s "$WORK/rendered-helm3.yaml" "$WORK/rendered-helm4.yaml"; then
        pass "helm3 and helm4 render identical manifests"
    else
        diff -u "$WORK/rendered-helm3.yaml" "$WORK/rendered-helm4.yaml" | head -40 | sed 's/^/    | /' >&2
        fail "helm3 and helm4 render different manifests"
    fi
fi

# 3.-5. structure, kubernetes-validate, DATABASE_URL (on the helm 3 rendering; identical on 4)
if ((rendered_ok)); then
    if "$PY" - "$WORK/rendered-helm3.yaml" "$WORK/validate.yaml" "$WORK/db-expected.json" "$@" <<'PY'
import base64, json, re, sys, urllib.parse
import yaml

rendered, out_path, expected_path, *value_files = sys.argv[1:]

class StrictLoader(yaml.SafeLoader):
    pass

def no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)

StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)

errors = []
try:
    docs = [d for d in yaml.load_all(open(rendered, encoding="utf-8"), Loader=StrictLoader) if d]
except yaml.YAMLError as e:
    print(f"rendered manifests are not valid YAML: {e}", file=sys.stderr)
    sys.exit(1)

keep, skipped = [], []
for d in docs:
    ident = f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"
    if not d.get("apiVersion") or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
        errors.append(f"resource without apiVersion/kind/metadata.name: {ident}")
    # cert-manager kinds are CRDs: kubernetes-validate has no schema for them offline.
    if str(d.get("apiVersion", "")).startswith("cert-manager.io/"):
        skipped.append(ident)
    else:
        keep.append(d)
with open(out_path, "w", encoding="utf-8") as f:
    yaml.safe_dump_all(keep, f, allow_unicode=True, sort_keys=False)
print(f"structure: {len(docs)} resources; skipped for kubernetes-validate (cert-manager CRDs): {', '.join(skipped) or 'none'}")

# Expected db values: the values files merged in order (later files win per key).
db = {"port": 5432, "sslmode": "require"}          # the chart's defaults
for path in value_files:
    doc = yaml.safe_load(open(path, encoding="utf-8")) or {}
    db.update(doc.get("db") or {})
json.dump(db, open(expected_path, "w"))

secrets = [d for d in docs if d.get("kind") == "Secret" and "DATABASE_URL" in (d.get("data") or {})]
if len(secrets) != 1:
    errors.append(f"expected one Secret with DATABASE_URL, found {len(secrets)}")
else:
    url = base64.b64decode(secrets[0]["data"]["DATABASE_URL"]).decode("utf-8")
    parts = urllib.parse.urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    if not re.fullmatch(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+:(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+", userinfo):
        errors.append("userinfo of DATABASE_URL is not strictly percent-encoded")
    checks = {
        "user": (urllib.parse.unquote(parts.username or ""), str(db.get("user"))),
        "password": (urllib.parse.unquote(parts.password or ""), str(db.get("password"))),
        "name": (urllib.parse.unquote(parts.path[1:]), str(db.get("name"))),
        "host": (parts.hostname, str(db.get("host")).strip("[]").lower()),
        "port": (parts.port, int(db.get("port"))),
        "sslmode": (urllib.parse.parse_qs(parts.query).get("sslmode"), [str(db.get("sslmode"))]),
    }
    for field, (got, want) in checks.items():
        if got != want:
            # never print the password itself
            shown = "<hidden>" if field == "password" else f"{got!r} != {want!r}"
            errors.append(f"DATABASE_URL {field} does not decode to the given value: {shown}")
    if not any(e.startswith("DATABASE_URL") or e.startswith("userinfo") for e in errors):
        print(f"DATABASE_URL decodes back to the given db values ({secrets[0]['metadata']['name']})")

for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
    then
        pass "manifest structure and DATABASE_URL round trip"
    else
        fail "manifest structure / DATABASE_URL round trip"
    fi

    if [[ -s "$WORK/validate.yaml" ]]; then
        if "$KV" -k "$KUBE_VERSION" --strict "$WORK/validate.yaml" >"$WORK/kv.log" 2>&1; then
            if grep -q "Couldn't find schema" "$WORK/kv.log"; then
                grep "Couldn't find schema" "$WORK/kv.log" | sed 's/^/    | /' >&2
                fail "kubernetes-validate: kinds without schema (only cert-manager.io kinds may be skipped)"
            else
                pass "kubernetes-validate --strict -k $KUBE_VERSION ($(grep -c ' passed for resource ' "$WORK/kv.log") resources)"
            fi
        else
            sed 's/^/    | /' "$WORK/kv.log" >&2
            fail "kubernetes-validate -k $KUBE_VERSION"
        fi
    else
        fail "nothing to validate"
    fi
fi

# 5b. built-in nasty password / user / name round trip on both helms
nasty="$WORK/nasty.yaml"
"$PY" - "$nasty" <<'PY'
import sys, yaml
yaml.safe_dump({"db": {"user": "us@er:name+1 x", "password": " p@ss:w/rd?#[]%+ &=€ ünï 日本 ~-._!$'()*,; ",
                       "name": "my db/%x", "host": "db.internal", "port": 6543, "sslmode": "verify-full"}},
               open(sys.argv[1], "w", encoding="utf-8"), allow_unicode=True)
PY
for h in helm3 helm4; do
    bin="$TOOLS/bin/$h"
    if "$bin" template chart-check "$CHART" "${values[@]}" -f "$nasty" -s templates/db-connect.yaml \
        >"$WORK/nasty-$h.yaml" 2>"$WORK/nasty-$h.log" &&
        "$PY" - "$WORK/nasty-$h.yaml" "$nasty" <<'PY'
import base64, sys, urllib.parse, yaml
secret = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
db = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))["db"]
u = urllib.parse.urlsplit(base64.b64decode(secret["data"]["DATABASE_URL"]).decode())
ok = (urllib.parse.unquote(u.username) == db["user"] and urllib.parse.unquote(u.password) == db["password"]
      and urllib.parse.unquote(u.path[1:]) == db["name"] and u.hostname == db["host"] and u.port == db["port"]
      and urllib.parse.parse_qs(u.query) == {"sslmode": [db["sslmode"]]} and "+" not in u.netloc and " " not in u.geturl())
sys.exit(0 if ok else 1)
PY
    then
        pass "$h DATABASE_URL round trip with a nasty user/password/name"
    else
        sed 's/^/    | /' "$WORK/nasty-$h.log" >&2
        fail "$h DATABASE_URL round trip with a nasty user/password/name"
    fi
done

# 6. the schema rejects wrong values
for h in helm3 helm4; do
    bin="$TOOLS/bin/$h"
    for bad in "db.sslmode=required" "db.port=70000"; do
        if "$bin" template chart-check "$CHART" "${values[@]}" --set "$bad" >/dev/null 2>"$WORK/bad.log"; then
            fail "$h accepted --set $bad"
        elif grep -q "values don't meet the specifications of the schema" "$WORK/bad.log"; then
            pass "$h schema rejects --set $bad"
        else
            sed 's/^/    | /' "$WORK/bad.log" >&2
            fail "$h rejected --set $bad, but not through the schema"
        fi
    done
done

if ((failures)); then
    printf 'chart-check: %d check(s) failed\n' "$failures" >&2
    exit 1
fi
echo "chart-check: all checks passed"
