#!/usr/bin/env bash
# Demo: encrypt keys-example/demo-secrets.yaml with ksecret, show the ciphertext, decrypt it again,
# and (when the real sops is in .tools/bin) show that sops decrypts ksecret's file to the same text.
# Uses the sops-compatible CLI: `ksecret encrypt --age RECIPIENT FILE`, `ksecret decrypt FILE`.
# The key is the throwaway one in keys-example/age.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

KSECRET="${KSECRET:-$ROOT/.build/debug/ksecret}"
PLAIN="keys-example/demo-secrets.yaml"
export SOPS_AGE_KEY_FILE="$ROOT/keys-example/age.txt"
export PATH="$ROOT/.tools/bin:$PATH"

[[ -x "$KSECRET" ]] || { echo "demo: $KSECRET is missing: run 'make build'" >&2; exit 1; }
recipient="$(sed -n 's/^# public key: //p' "$SOPS_AGE_KEY_FILE" | head -n 1)"

work="$(mktemp -d)"          # 0700: the decrypted copies never sit anywhere readable by others
trap 'rm -rf "$work"' EXIT
cp "$PLAIN" "$work/secrets.yaml"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "cat $PLAIN"
cat "$PLAIN"

step "ksecret encrypt --age $recipient $PLAIN"
"$KSECRET" encrypt --age "$recipient" "$work/secrets.yaml" >"$work/secrets.enc.yaml"
cat "$work/secrets.enc.yaml"

step "ksecret decrypt secrets.enc.yaml"
"$KSECRET" decrypt "$work/secrets.enc.yaml" | tee "$work/roundtrip.yaml"
if cmp -s "$PLAIN" "$work/roundtrip.yaml"; then
    echo "demo: ksecret round trip gives back the original bytes"
else
    echo "demo: ksecret round trip differs from the original:" >&2
    diff -u "$PLAIN" "$work/roundtrip.yaml" >&2 || true
    exit 1
fi

if command -v sops >/dev/null 2>&1; then
    # sops re-formats YAML (4-space indentation, comments moved), so compare with sops's own rendering
    # of the same plaintext rather than with the author's bytes.
    step "sops decrypt secrets.enc.yaml   # the real $(sops --version --disable-version-check 2>/dev/null | head -n 1)"
    # From the scratch directory: the repository's .sops.yaml has no rule for the demo copy.
    (cd "$work" && sops encrypt --age "$recipient" secrets.yaml) >"$work/by-sops.enc.yaml"
    sops decrypt "$work/by-sops.enc.yaml" >"$work/reference.yaml"
    if sops decrypt "$work/secrets.enc.yaml" >"$work/by-sops.yaml" && cmp -s "$work/reference.yaml" "$work/by-sops.yaml"; then
        cat "$work/by-sops.yaml"
        echo "demo: sops decrypts ksecret's file to the same data as its own encryption of the plaintext"
    else
        echo "demo: sops did not read ksecret's file as expected" >&2
        diff -u "$work/reference.yaml" "$work/by-sops.yaml" >&2 || true
        exit 1
    fi
fi

# Helm: install ksecret's secrets plugins into a private helm home under the demo's temp dir and
# render charts/django-app with the encrypted chart secrets read through secrets:// (decrypted in
# memory by ksecret, no plaintext file). Uses the helm on PATH (.tools/bin/helm after `make peers`).
if command -v helm >/dev/null 2>&1; then
    export HELM_DATA_HOME="$work/helm/data" HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache"
    unset HELM_PLUGINS
    cp keys-example/chart-secrets.yaml "$work/chart-secrets.yaml"
    "$KSECRET" encrypt --age "$recipient" "$work/chart-secrets.yaml" >"$work/chart-secrets.enc.yaml"
    rm "$work/chart-secrets.yaml"

    step "ksecret helm install-plugins   # $(helm version --short)"
    "$KSECRET" helm install-plugins
    helm plugin list

    step "helm template demo charts/django-app -f secrets://\$work/chart-secrets.enc.yaml --show-only templates/db-connect.yaml"
    helm template demo charts/django-app -f "secrets://$work/chart-secrets.enc.yaml" --show-only templates/db-connect.yaml \
        | tee "$work/secret-db.yaml"
    url="$(sed -n 's/^  DATABASE_URL: "\(.*\)"$/\1/p' "$work/secret-db.yaml" | base64 -d)"
    if [[ "$url" == postgres://django_app:p%40ss%3Aw%2Frd* ]]; then
        echo "demo: the rendered db-connect Secret holds the decrypted DATABASE_URL (base64 above)"
    else
        echo "demo: the rendered db-connect Secret does not hold the expected DATABASE_URL" >&2
        exit 1
    fi
else
    echo "demo: no helm on PATH (run 'make peers'); skipping the helm part"
fi
