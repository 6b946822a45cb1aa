"""A local fake of the providers the e2e suite needs, following their documented wire
formats (../shared/reference/providers.md): OpenAI Images (+ /models, /moderations)
under /openai/v1, AUTOMATIC1111 under /a1111. Images are real PNGs (a gradient whose
colours come from the prompt), sized as requested; usage mirrors OpenAI's token counts.

Run standalone for manual testing:  python tests/e2e/fake_providers.py 9777
"""

import base64
import hashlib
import json
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# gpt-image-1 output image tokens per (quality, pixels) — providers.md §1.
IMAGE_TOKENS = {"low": (272, 408), "medium": (1056, 1584), "high": (4160, 6240)}


def png(width: int, height: int, seed_text: str) -> bytes:
    digest = hashlib.sha256(seed_text.encode()).digest()
    top, bottom = digest[0:3], digest[3:6]
    raw = bytearray()
    for y in range(height):
        t = y / max(1, height - 1)
        colour = bytes(int(a + (b - a) * t) for a, b in zip(top, bottom))
        raw += b"\x00" + colour * width
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def hit(self, key: str) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *_args):  # keep pytest output clean
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("content-length", "0"))
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return {}

    def do_GET(self):
        self.state.hit(f"GET {self.path}")
        if self.path == "/_stats":
            return self._json(200, self.state.counts)
        if self.path == "/openai/v1/models":
            return self._json(200, {"object": "list", "data": [{"id": "gpt-image-1", "object": "model"}]})
        self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        self.state.hit(f"POST {self.path}")
        body = self._body()
        if self.path == "/openai/v1/images/generations":
            return self._openai_images(body)
        if self.path == "/openai/v1/moderations":
            text = json.dumps(body.get("input", ""))
            return self._json(200, {"id": "modr-1", "model": "omni-moderation-latest",
                                    "results": [{"flagged": "FLAGME" in text, "categories": {}, "category_scores": {}}]})
        if self.path == "/a1111/sdapi/v1/txt2img":
            if "SLOWME" in str(body.get("prompt", "")):
                time.sleep(5)
            w, h = int(body.get("width", 512)), int(body.get("height", 512))
            seed = body.get("seed", -1)
            seed = 1234 if seed in (-1, None) else seed
            images = [base64.b64encode(png(w, h, f"{body.get('prompt')}/{i}")).decode()
                      for i in range(int(body.get("batch_size", 1)))]
            return self._json(200, {"images": images, "parameters": body,
                                    "info": json.dumps({"seed": seed, "all_seeds": [seed] * len(images)})})
        self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def _openai_images(self, body: dict):
        prompt = str(body.get("prompt", ""))
        if "SLOWME" in prompt:  # a slow provider: a job that is still running while you edit
            time.sleep(5)
        if "BLOCKME" in prompt:
            return self._json(400, {"error": {"message": "Your request was rejected by the safety system.",
                                              "type": "image_generation_user_error", "param": None,
                                              "code": "moderation_blocked"}})
        size = str(body.get("size", "1024x1024"))
        try:
            w, h = (int(v) for v in size.split("x"))
        except ValueError:
            w, h = 1024, 1024
        quality = body.get("quality", "medium")
        if quality not in IMAGE_TOKENS:
            quality = "medium"
        n = int(body.get("n", 1))
        per_image = IMAGE_TOKENS[quality][0 if w == h else 1]
        if "DRIFTME" in prompt:  # bills above the published table: drift from real bills
            per_image = per_image * 3
        text_tokens = max(1, len(prompt) // 4)
        data = [{"b64_json": base64.b64encode(png(w, h, f"{prompt}/{i}")).decode()} for i in range(n)]
        self._json(200, {
            "created": 1700000000, "data": data, "size": size, "quality": quality, "output_format": "png",
            "usage": {"input_tokens": text_tokens,
                      "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
                      "output_tokens": per_image * n,
                      "output_tokens_details": {"image_tokens": per_image * n, "text_tokens": 0},
                      "total_tokens": text_tokens + per_image * n}})


def serve(port: int = 0) -> tuple[ThreadingHTTPServer, State]:
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


if __name__ == "__main__":
    srv, _ = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 9777)
    print(f"fake providers on http://127.0.0.1:{srv.server_address[1]}")
    threading.Event().wait()
