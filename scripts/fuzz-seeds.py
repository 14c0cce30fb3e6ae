#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora from the test fixtures into a build folder (never into git).

usage: fuzz-seeds.py SHARED_DIR REPO_DIR OUT_DIR

One folder per fuzz target under OUT_DIR, each file one seed. Sources: the sops fixtures
(SHARED_DIR/fixtures/sops), the CCTV age vectors (SHARED_DIR/vectors/age) and the YAML corpus
(REPO_DIR/Tests/KSecretTests/Corpus). The decrypt targets take one leading byte that picks the
format (0 yaml, 1 json, 2 dotenv, 3 ini, 4 binary), as in Fuzz/Sources/FuzzDecrypt.
"""
import base64, hashlib, os, re, sys, zlib

shared, repo, out = sys.argv[1:4]
fixtures = os.path.join(shared, "fixtures", "sops")
vectors = os.path.join(shared, "vectors", "age")
corpus = os.path.join(repo, "Tests", "KSecretTests", "Corpus")
FORMAT_BYTE = {".yaml": 0, ".yml": 0, ".json": 1, ".env": 2, ".ini": 3, ".bin": 4}

def files(root):
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            yield os.path.join(dirpath, name)

def add(target, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

ARMOR = re.compile(rb"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----\n?", re.S)

for path in list(files(fixtures)) + list(files(corpus)):
    data = open(path, "rb").read()
    name = os.path.basename(path)
    ext = os.path.splitext(name)[1]
    if name == ".sops.yaml":
        add("FuzzSopsConfig", data)
        continue
    if ext in (".yaml", ".yml"): add("FuzzYAMLStore", data)
    if ext == ".json": add("FuzzJSONStore", data)
    if ext == ".env": add("FuzzDotenvStore", data)
    if ext == ".ini": add("FuzzINIStore", data)
    if ext in FORMAT_BYTE:
        target = "FuzzDecrypt" if b"sops" in data else "FuzzEncryptDecrypt"
        add(target, bytes([FORMAT_BYTE[ext]]) + data)
    for value in set(re.findall(rb"ENC\[[^\]\n]*\]", data)):
        add("FuzzValueCodec", value)
    # sops keeps each age-wrapped data key as an armored age file, with JSON or YAML escapes.
    text = data.replace(b"\\n", b"\n")
    for block in set(ARMOR.findall(text)):
        add("FuzzAgeArmor", block)
        body = b"".join(block.splitlines()[1:-1])
        try: add("FuzzAgeHeader", base64.b64decode(body))
        except ValueError: pass
    for key in set(re.findall(rb"(?:age1|AGE-SECRET-KEY-1)[0-9A-Za-z]+", data)):
        add("FuzzBech32", key)

for path in files(vectors):
    if "." in os.path.basename(path):
        continue
    raw = open(path, "rb").read()
    head, _, body = raw.partition(b"\n\n")
    fields = dict(line.split(b": ", 1) for line in head.split(b"\n") if b": " in line)
    if fields.get(b"compressed") == b"zlib":
        body = zlib.decompress(body)
    add("FuzzAgeArmor" if fields.get(b"armored") == b"yes" else "FuzzAgeHeader", body)
    if b"identity" in fields: add("FuzzBech32", fields[b"identity"])

# Small hand-made seeds where the fixtures have none.
for value in [b"42", b"-7", b"3.25", b"1e300", b"NaN", b"+Inf", b"True", b"false", b"2024-01-02T03:04:05Z", b"\xff\xfe"]:
    add("FuzzValueCodec", value)
add("FuzzSopsConfig", b"creation_rules:\n  - path_regex: \\.yaml$\n    age: age1x\n    encrypted_regex: ^(data|stringData)$\nstores:\n  yaml:\n    indent: 4\n")
for target in ["FuzzINIStore", "FuzzDotenvStore", "FuzzJSONStore", "FuzzYAMLStore"]:
    add(target, b"")
for name in ["plain.yaml", "plain.json", "plain.env", "plain.ini", "plain.bin"]:
    path = os.path.join(fixtures, name)
    if os.path.exists(path):
        add("FuzzEncryptDecrypt", bytes([FORMAT_BYTE[os.path.splitext(name)[1]]]) + open(path, "rb").read())

for target in sorted(os.listdir(out)):
    print(f"seeds {target}: {len(os.listdir(os.path.join(out, target)))}")
