"""A fast fake OpenAI Images server for the side-by-side benchmark (issue 17).

The answer is built once (a 16x16 PNG as b64_json, with the token usage gpt-image models
report), so a request costs only the HTTP round trip: whatever a contender adds on top is
its own overhead. Run: python3 fake_images.py PORT (prints "ready PORT").
"""

import base64
import json
import struct
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def png16() -> bytes:
    # Each scanline: filter byte 0, then RGB per pixel.
    raw = b"".join(b"\x00" + bytes(v for x in range(16) for v in (x * 16, y * 16, 90)) for y in range(16))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


ANSWER = json.dumps({
    "created": 1764400000,
    "data": [{"b64_json": base64.b64encode(png16()).decode()}],
    "usage": {"input_tokens": 12, "output_tokens": 272, "total_tokens": 284,
              "input_tokens_details": {"text_tokens": 12, "image_tokens": 0}},
}).encode()
MODELS = json.dumps({"object": "list", "data": [
    {"id": m, "object": "model", "owned_by": "openai"} for m in ("gpt-image-1", "gpt-image-2")]}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as every real client expects

    def log_message(self, *_args):
        pass

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(MODELS)

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        self._send(ANSWER)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"ready {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
