#!/usr/bin/env python3
"""Writes the benchmark inputs for scripts/bench.sh (standard library only, seeded, so every run
and every machine gets the same bytes).

  big.yaml    20,000 leaves: 2,000 top-level maps of 10 keys, each value 24 random letters
  small.yaml  a 30-line secrets file shaped like a helm values file

Usage: gen_bench_yaml.py OUTDIR [--seed N] [--maps N] [--keys N]
"""

import argparse
import os
import random
import string


def random_letters(rng: random.Random, n: int = 24) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(n))


def big_yaml(rng: random.Random, maps: int, keys: int) -> str:
    lines = []
    for i in range(maps):
        lines.append(f"service{i:05d}:")
        for k in range(keys):
            lines.append(f"    key{k:02d}: {random_letters(rng)}")
    return "\n".join(lines) + "\n"


def small_yaml(rng: random.Random) -> str:
    r = lambda n=24: random_letters(rng, n)  # noqa: E731
    lines = [
        "# Secrets for the bench chart (generated, protect nothing).",
        "database:",
        "    host: db.internal.invalid",
        "    port: 5432",
        "    user: app",
        f"    password: {r()}",
        "    sslmode: require",
        "redis:",
        f"    password: {r()}",
        "    db: 3",
        "api:",
        f"    token: {r(40)}",
        f"    signingKey: {r(32)}",
        "    allowedOrigins:",
        "        - https://app.example.invalid",
        "        - https://admin.example.invalid",
        "smtp:",
        "    host: smtp.example.invalid",
        "    port: 587",
        "    user: mailer",
        f"    password: {r()}",
        "oauth:",
        "    clientId: bench-client",
        f"    clientSecret: {r(48)}",
        "featureFlags:",
        "    newBilling: true",
        "    betaSearch: false",
        "tls:",
        f"    key: {r(64)}",
        "replicas: 3",
    ]
    assert len(lines) == 30, len(lines)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--seed", type=int, default=20260311)
    parser.add_argument("--maps", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=10)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    for name, text in (("big.yaml", big_yaml(rng, args.maps, args.keys)), ("small.yaml", small_yaml(rng))):
        with open(os.path.join(args.outdir, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
