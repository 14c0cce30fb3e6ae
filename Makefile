# ksecret: build, test against the real peers, demo, benchmark, install.
#
#   make deps           Debian packages the build and the tests need (apt-get; a no-op when all present)
#   make peers          real sops, helm 3/4, helmfile, kubectl, OpenBao, kubernetes-validate into .tools/
#   make build          debug build            make build-release   release build
#   make test           deps + peers, builds the tests and the release build once, a fuzz smoke run, the
#                       interop tests on the release binary, then all tests (.tools/bin first on PATH)
#   make fuzz           every libFuzzer target of Fuzz/ for FUZZ_SECONDS (default 60) each, niced
#   make fuzz-long      every target to 10 million executions: no ASan, 2 jobs, inputs up to 4 KiB
#   make tamper         the tamper-mutation harness at full size (KSECRET_HARNESS_SCALE=1)
#   make crash          the SIGKILL crash-safety harness at full size (KSECRET_HARNESS_SCALE=1)
#   make demo           encrypt and decrypt keys-example/demo-secrets.yaml with the debug build
#   make bench          ksecret against sops on big and small files (release build)
#   make install        .build/release/ksecret and ksecret-net (its network helper) into $(PREFIX)/bin
#   make clean          removes .build/ (make distclean also removes .tools/)
#
# CI runs `.ci/run`, which is `make test` on a clean clone.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

PREFIX ?= /usr/local
SWIFT ?= swift
TOOLS := $(CURDIR)/.tools
# Peers to install: all by default; e.g. `make test PEERS=sops,age` for a quicker first run.
PEERS ?=
# The project's shared/ folder (fixtures, vectors, spec) sits beside the clone in CI and in worktrees.
KSECRET_SHARED_DIR ?= $(wildcard $(abspath $(CURDIR)/../shared))

# Debian packages: C libraries (via pkg-config) for the build, libcurl and libxml2 too (the release
# build links Foundation statically into ksecret-net, whose FoundationNetworking and FoundationXML
# then need them on the link line); age, gnupg, strace, script (bsdutils), postgresql (a throwaway server
# per test, never the system cluster), curl and python3 (the chart's DDNS scripts and the Namecheap
# stand-in) for the tests; openssl for the TLS test server's certificates; ssh-keygen
# (openssh-client) for the ssh recipient tests; attr and acl (setfattr, setfacl) for the test that
# in-place writes keep extended attributes; hyperfine and time for `make bench`; unzip for
# unpacking the peers' wheels.
DEPS_PACKAGES := libssl-dev libyaml-dev libgpgme-dev libpq-dev zlib1g-dev pkg-config libcurl4-openssl-dev libxml2-dev \
	age gnupg openssh-client strace attr acl hyperfine time unzip git bsdutils postgresql curl python3 openssl

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

export KSECRET_TOOLS := $(TOOLS)
export PATH := $(TOOLS)/bin:$(PATH)
ifneq ($(KSECRET_SHARED_DIR),)
export KSECRET_SHARED_DIR
endif

# Harness sizes: `make test` runs the tamper, crash and no-plaintext harnesses short.
KSECRET_HARNESS_SCALE ?= 0.1
export KSECRET_HARNESS_SCALE
FUZZ_SECONDS ?= 60
# Fuzzing knobs (scripts/fuzz.sh --help): stop at FUZZ_RUNS executions (-1: no limit), FUZZ_JOBS
# fork-mode jobs at a time (0: one process, stops at the first crash), FUZZ_MAX_LEN the longest
# input, FUZZ_ASAN=0 to build without AddressSanitizer (Documentation/Robustness.md says when).
FUZZ_RUNS ?= -1
FUZZ_JOBS ?= 0
FUZZ_MAX_LEN ?= 65536
FUZZ_ASAN ?= 1
FUZZ_ENV = FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_MAX_LEN=$(FUZZ_MAX_LEN) FUZZ_ASAN=$(FUZZ_ASAN)

.PHONY: deps peers build build-release test fuzz fuzz-long tamper crash demo bench install clean distclean

deps:
	@missing=(); \
	for p in $(DEPS_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}' "$$p" 2>/dev/null | grep -qx installed || missing+=("$$p"); \
	done; \
	if (( $${#missing[@]} == 0 )); then echo "deps: all $(words $(DEPS_PACKAGES)) packages present"; exit 0; fi; \
	echo "deps: installing $${missing[*]}"; \
	$(SUDO) apt-get update -qq; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}"

peers: deps
	@scripts/install-peers.sh $(if $(PEERS),--only $(PEERS))

build: deps
	$(SWIFT) build -c debug

# Release builds link the Swift runtime and Foundation statically: a third of the start-up time of a
# small decrypt (run at every helm render) is the dynamic loader resolving them. ksecret itself
# links FoundationEssentials only, not Foundation with ICU (Sources/KSecretSystem/Exports.swift). Builds both
# executables: ksecret, and ksecret-net (db, ddns), the only one linking libpq and libcurl.
# ksecret also links its C libraries (libcrypto, GPGME, libyaml, libstdc++) from their archives,
# another 1.9 ms of every start (scripts/static-c-libs.sh says why and what it costs): rebuild after
# a security update of those packages, or build with STATIC_C_LIBS=0 to link the shared libraries.
# ksecret-net keeps the shared ones: libpq and libcurl bring libcrypto.so anyway.
STATIC_C_LIBS ?= 1
STATIC_C_LIBS_DIR := $(CURDIR)/.build/static-c-libs
# No $ORIGIN run path either: the executables load no library of the build's own, and the loader
# would try a dozen directories beside them for each shared library first.
RELEASE_BUILD := $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath
build-release: deps
ifeq ($(STATIC_C_LIBS),1)
	scripts/static-c-libs.sh "$(STATIC_C_LIBS_DIR)"
	PKG_CONFIG_PATH="$(STATIC_C_LIBS_DIR)/pkgconfig$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}" $(RELEASE_BUILD)
	@if readelf -d .build/release/ksecret | grep -E 'NEEDED.*lib(crypto|gpgme|assuan|gpg-error|yaml|stdc\+\+)'; then \
		echo "build-release: ksecret still loads the shared libraries above: the archives were not linked" >&2; exit 1; fi
else
	$(RELEASE_BUILD)
endif

# The fuzz smoke run (about a minute, its own build in .build/fuzz) and the interop suite against the
# release build (the binary `make install` ships, linked differently: static C libraries) go first,
# so that the test runner's summary of the whole suite on the debug build is the last thing printed.
test: deps peers
	$(SWIFT) build --build-tests
	$(MAKE) build-release
	scripts/fuzz.sh --smoke
	KSECRET_BIN="$(CURDIR)/.build/release/ksecret" $(SWIFT) test --skip-build --filter InteropTests
	$(SWIFT) test --skip-build

fuzz: deps
	$(FUZZ_ENV) scripts/fuzz.sh

# The long run of Documentation/Robustness.md: each target to 10 million executions (or 2 hours).
fuzz-long: deps
	$(MAKE) fuzz FUZZ_SECONDS=7200 FUZZ_RUNS=10000000 FUZZ_JOBS=2 FUZZ_MAX_LEN=4096 FUZZ_ASAN=0

tamper: deps peers
	$(SWIFT) build --build-tests
	KSECRET_HARNESS_SCALE=1 $(SWIFT) test --skip-build --filter TamperMutationTests

crash: deps
	$(SWIFT) build --build-tests
	KSECRET_HARNESS_SCALE=1 $(SWIFT) test --skip-build --filter 'CrashSafetyTests|WriteFailureTests'

demo: build
	scripts/demo.sh

bench: deps peers build-release
	scripts/bench.sh

install: build-release
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 .build/release/ksecret "$(DESTDIR)$(PREFIX)/bin/ksecret"
	install -m 0755 .build/release/ksecret-net "$(DESTDIR)$(PREFIX)/bin/ksecret-net"

clean:
	rm -rf .build bench-out

distclean: clean
	rm -rf .tools
