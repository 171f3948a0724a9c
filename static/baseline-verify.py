# verify.py MANIFEST SIGNATURE_JSON PUBLIC_KEY_BASE64 — run in the directory holding the files
import base64
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

manifest = pathlib.Path(sys.argv[1]).read_bytes()
signature = json.loads(pathlib.Path(sys.argv[2]).read_text())["signature"]
key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sys.argv[3]))
key.verify(base64.b64decode(signature), manifest)  # raises InvalidSignature if anything changed
for entry in json.loads(manifest)["files"]:
    path = pathlib.Path(entry["name"])
    if path.exists():  # files of feeds you are not entitled to are skipped
        data = path.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"]), path
        print("ok", path)
print("manifest signature verified")
