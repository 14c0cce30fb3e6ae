#!/usr/bin/env bash
# Sets up the release build's static linking of its C libraries: libcrypto, GPGME (with libassuan
# and libgpg-error), libyaml and libstdc++ (which the static Swift runtime needs).
#
#   scripts/static-c-libs.sh DIR
#
# DIR/lib gets links to the Debian -dev packages' archives (libcrypto.a, ...) and nothing else, and
# DIR/pkgconfig gets a .pc file for each library whose Libs name DIR/lib first. A release build run
# with PKG_CONFIG_PATH=DIR/pkgconfig then finds the archives before the shared libraries.
#
# Why: each shared library costs every ksecret process its loading and symbol binding. libcrypto
# alone binds 3,200 symbols to itself and libstdc++ 1,700, at every start; helm starts the secrets://
# downloader once per values file at every render. The archives take the downloader from 6.8 to
# 4.9 ms (README, Speed). The price: ksecret carries its own copy of these libraries, so rebuild it
# after a security update of libssl3, libgpgme11 or libyaml (`make build-release`), or build with
# `make build-release STATIC_C_LIBS=0` to link the shared ones.
#
# Exits non-zero, naming the file, when an archive is missing; prints nothing otherwise.
set -euo pipefail

dir="${1:?usage: scripts/static-c-libs.sh DIR}"
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/pkgconfig"

archive() { # NAME LIBDIR: links LIBDIR/libNAME.a into DIR/lib
    local file="$2/lib$1.a"
    if [[ ! -f "$file" ]]; then
        echo "static-c-libs: $file is missing (its Debian -dev package ships it); or build with STATIC_C_LIBS=0" >&2
        exit 1
    fi
    ln -sfn "$file" "$dir/lib/lib$1.a"
}

for module in libcrypto gpgme yaml-0.1; do
    libdir="$(pkg-config --variable=libdir "$module")"
    libs=()
    for flag in $(pkg-config --static --libs-only-l "$module"); do
        name="${flag#-l}"
        case "$name" in
            c | m | dl | pthread | rt) continue ;; # glibc's, linked dynamically anyway
        esac
        # pkg-config may repeat a library (gpgme lists gpg-error twice); one link is enough.
        [[ -e "$dir/lib/lib$name.a" ]] || archive "$name" "$libdir"
        [[ " ${libs[*]-} " == *" -l$name "* ]] || libs+=("-l$name")
    done
    {
        echo "Name: $module"
        echo "Description: $module, linked from its archive ($libdir)"
        echo "Version: $(pkg-config --modversion "$module")"
        echo "Cflags: $(pkg-config --cflags "$module")"
        echo "Libs: -L$dir/lib ${libs[*]}"
    } >"$dir/pkgconfig/$module.pc"
done

# libstdc++: the static Swift runtime's link line names -lstdc++; the archive found first wins.
# Any of the C or C++ compilers knows where GCC's libstdc++-dev put it.
libstdcxx=""
for compiler in "${CXX:-}" c++ g++ gcc cc; do
    [[ -n "$compiler" ]] && command -v "$compiler" >/dev/null || continue
    candidate="$("$compiler" -print-file-name=libstdc++.a 2>/dev/null || true)"
    if [[ "$candidate" == /* && -f "$candidate" ]]; then
        libstdcxx="$candidate"
        break
    fi
done
if [[ -n "$libstdcxx" ]]; then
    ln -sfn "$libstdcxx" "$dir/lib/libstdc++.a"
else
    echo "static-c-libs: libstdc++.a not found (g++'s libstdc++-dev ships it); or build with STATIC_C_LIBS=0" >&2
    exit 1
fi
