"""A signed catalog feed for the e2e suite: a throwaway ed25519 key (RFC 8032, pure
Python: the suite needs no crypto package), the bundled catalog made one version newer
with a few changes, and a tiny HTTP server for `catalog.json` and `catalog.json.sig`.

The app trusts the throwaway key through PROOFSHEET_CATALOG_FEED_KEY, which only debug
builds (dev, e2e) read; release builds verify with the key built into them.

Run standalone for manual testing:  python tests/e2e/fake_feed.py 9778
(prints the public key to export as PROOFSHEET_CATALOG_FEED_KEY).
"""

import base64
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "src-tauri" / "crates" / "pricing" / "catalog" / "catalog.json"

# ---- ed25519 (RFC 8032 §5.1, reference arithmetic; fine for signing one test file) ----
_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(pt):
    zinv = pow(pt[2], _P - 2, _P)
    x, y = pt[0] * zinv % _P, pt[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _expand(seed: bytes):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed: bytes) -> bytes:
    return _compress(_mul(_expand(seed)[0], _G))


def sign(seed: bytes, msg: bytes) -> bytes:
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, _G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % _Q
    rs = _compress(_mul(r, _G))
    h = int.from_bytes(hashlib.sha512(rs + pub + msg).digest(), "little") % _Q
    return rs + int.to_bytes((r + h * a) % _Q, 32, "little")


# ---- the feed ----
NEW_VERSION = "2026.12.01-1"


def newer_catalog() -> bytes:
    """The bundled catalog, one version newer: FLUX 1.1 [pro] 4 → 5 credits (+25 %),
    GPT Image 2 gets a shutdown date, one new offer, one offer gone."""
    doc = json.loads(BUNDLED.read_text())
    doc["version"] = NEW_VERSION
    doc["published"] = "2026-12-01"
    offers = doc["offers"]
    by_id = {o["id"]: o for o in offers}
    by_id["bfl:flux-pro-1.1"]["formula"]["credits"]["price"] = "5"
    by_id["openai:gpt-image-2"]["shutdown_on"] = "2027-06-01"
    extra = json.loads(json.dumps(by_id["bfl:flux-dev"]))
    extra["id"] = "bfl:flux-dev-2"
    extra["display_name"] = "FLUX dev 2"
    offers.append(extra)
    doc["offers"] = [o for o in offers if o["id"] != "stability:sd3.5-medium"]
    return json.dumps(doc, indent=1).encode()


class Feed:
    def __init__(self):
        self.seed = os.urandom(32)
        self.body = newer_catalog()
        self.sig = base64.b64encode(sign(self.seed, self.body)) + b"\n"
        self.hits = 0

    @property
    def public_hex(self) -> str:
        return public_key(self.seed).hex()


def serve(port: int = 0):
    """Starts the feed server; returns (server, feed). URL: http://127.0.0.1:PORT/catalog.json"""
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def do_GET(self):  # noqa: N802 (http.server's name)
            files = {"/catalog.json": feed.body, "/catalog.json.sig": feed.sig}
            data = files.get(self.path)
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            feed.hits += 1
            self.send_response(200)
            self.send_header("content-type", "application/json" if self.path.endswith(".json") else "text/plain")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, feed


if __name__ == "__main__":
    srv, f = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 9778)
    print(f"feed: http://127.0.0.1:{srv.server_address[1]}/catalog.json")
    print(f"PROOFSHEET_CATALOG_FEED_KEY={f.public_hex}")
    threading.Event().wait()
