"""A local fake of the providers the e2e suite needs, following their documented wire
formats (../shared/reference/providers.md): OpenAI Images (+ /models, /moderations)
under /openai/v1, AUTOMATIC1111 under /a1111, and a gateway (LiteLLM-style, OpenAI
Images dialect) under /gw/v1 that wants a Bearer key and records the headers it got,
and OpenAI's Batch API (files upload, batches create/retrieve, file content) for
/v1/images/generations: a batch stays in_progress until the test sets
`state.complete_batches`, then answers completed with an output file.
Images are real PNGs (a gradient whose colours come from the prompt), sized as requested;
usage mirrors OpenAI's token counts.

Run standalone for manual testing:  python tests/e2e/fake_providers.py 9777
"""

import base64
import email
import email.policy
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
        # Headers of each request to the fake gateway (/gw/v1), oldest first.
        self.gateway_headers: list[dict[str, str]] = []
        # (headers, body) of each OpenAI Images call (/openai/v1), oldest first: what a
        # real gateway in front of this server sent upstream.
        self.openai_calls: list[tuple[dict[str, str], dict]] = []
        # OpenAI Batch: uploaded files (id → JSONL bytes) and batches (id → Batch object).
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.complete_batches = False
        # What each /v1/images/edits call carried (images, their sizes, mask, fields).
        self.edit_calls: list[dict] = []

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
            return self._json(200, {"object": "list", "data": [{"id": m, "object": "model"}
                                                             for m in ("gpt-image-1", "gpt-image-2")]})
        if self.path.startswith("/openai/v1/batches/"):
            return self._batch_retrieve(self.path.rsplit("/", 1)[1])
        if self.path.startswith("/openai/v1/files/") and self.path.endswith("/content"):
            data = self.state.files.get(self.path.split("/")[-2])
            if data is None:
                return self._json(404, {"error": {"message": "No such File object", "type": "invalid_request_error"}})
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.path == "/gw/v1/models":
            if not self._gateway_authorised():
                return
            # OpenAI's list shape: {"object": "list", "data": [{"id", "object", "created", "owned_by"}]}
            return self._json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 1700000000, "owned_by": "openai"}
                for m in ("gpt-image-2", "gpt-image-1", "dall-e-3")]})
        self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        self.state.hit(f"POST {self.path}")
        if self.path == "/openai/v1/files":
            return self._file_upload()
        if self.path == "/openai/v1/images/edits":
            return self._openai_edits()
        body = self._body()
        if self.path == "/openai/v1/batches":
            return self._batch_create(body)
        if self.path == "/openai/v1/images/generations":
            with self.state.lock:
                self.state.openai_calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
            return self._openai_images(body)
        if self.path == "/gw/v1/images/generations":
            if not self._gateway_authorised():
                return
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

    def _gateway_authorised(self) -> bool:
        """Records the headers; refuses a request without a Bearer key, as LiteLLM does."""
        with self.state.lock:
            self.state.gateway_headers.append({k.lower(): v for k, v in self.headers.items()})
        if not self.headers.get("authorization", "").startswith("Bearer "):
            self._json(401, {"error": {"message": "No api key passed in.", "type": "auth_error"}})
            return False
        return True

    def _file_upload(self):
        """POST /v1/files, multipart: `purpose=batch` and the JSONL `file`."""
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        msg = email.message_from_bytes(
            f"content-type: {self.headers.get('content-type')}\r\n\r\n".encode() + raw,
            policy=email.policy.HTTP)
        fields = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True)
                  for p in msg.iter_parts()} if msg.is_multipart() else {}
        if fields.get("purpose") != b"batch" or not fields.get("file"):
            return self._json(400, {"error": {"message": "purpose 'batch' and a file are required",
                                              "type": "invalid_request_error"}})
        with self.state.lock:
            fid = f"file-in{len(self.state.files) + 1}"
            self.state.files[fid] = fields["file"]
        self._json(200, {"id": fid, "object": "file", "bytes": len(fields["file"]), "created_at": 1700000000,
                         "filename": "proofsheet-batch.jsonl", "purpose": "batch"})

    def _openai_edits(self):
        """POST /v1/images/edits, multipart: `image[]` (or `image`) files, optional `mask`
        (PNG, the first image's size, alpha 0 = edit), `prompt`, `size`, `quality`, `n`,
        `input_fidelity`. Records what it got (state.edit_calls); usage counts the input
        images' tokens (≈135 low / ≈3,050 high per image, image-inputs.md I1)."""
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        msg = email.message_from_bytes(
            f"content-type: {self.headers.get('content-type')}\r\n\r\n".encode() + raw,
            policy=email.policy.HTTP)
        if not msg.is_multipart():
            return self._json(400, {"error": {"message": "Invalid content type: expected multipart/form-data",
                                              "type": "invalid_request_error"}})
        images, fields, mask = [], {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if name in ("image", "image[]"):
                images.append(data)
            elif name == "mask":
                mask = data
            else:
                fields[name] = data.decode("utf-8", "replace")
        if not images:
            return self._json(400, {"error": {"message": "image is required", "type": "invalid_request_error",
                                              "param": "image"}})
        def dims(b: bytes):
            return struct.unpack(">II", b[16:24]) if b[:8] == b"\x89PNG\r\n\x1a\n" else None
        mask_info = None
        if mask is not None:
            if dims(mask) is None or mask[25] not in (4, 6):
                return self._json(400, {"error": {"message": "Invalid mask: must be a PNG with an alpha channel",
                                                  "type": "invalid_request_error", "param": "mask"}})
            if dims(images[0]) is not None and dims(mask) != dims(images[0]):
                return self._json(400, {"error": {"message": "Invalid mask: must be the same size as the image",
                                                  "type": "invalid_request_error", "param": "mask"}})
            mask_info = {"size": list(dims(mask)), "bytes": len(mask)}
        fidelity = fields.get("input_fidelity", "low")
        with self.state.lock:
            self.state.edit_calls.append({"images": len(images), "image_sizes": [list(dims(i) or (0, 0)) for i in images],
                                          "mask": mask_info, **fields})
        status, body = images_answer(fields)
        if status == 200:
            per_input = 3050 if fidelity == "high" else 135
            u = body["usage"]
            u["input_tokens_details"]["image_tokens"] = per_input * len(images)
            u["input_tokens"] += per_input * len(images)
            u["total_tokens"] += per_input * len(images)
        self._json(status, body)

    def _batch_create(self, body: dict):
        if body.get("input_file_id") not in self.state.files or body.get("endpoint") != "/v1/images/generations":
            return self._json(400, {"error": {"message": "bad input_file_id or endpoint",
                                              "type": "invalid_request_error"}})
        with self.state.lock:
            bid = f"batch_e2e{len(self.state.batches) + 1}"
            batch = {"id": bid, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                     "input_file_id": body["input_file_id"], "completion_window": body.get("completion_window"),
                     "status": "validating", "output_file_id": None, "error_file_id": None,
                     "created_at": int(time.time()), "request_counts": {"total": 0, "completed": 0, "failed": 0}}
            self.state.batches[bid] = batch
        self._json(200, batch)

    def _batch_retrieve(self, bid: str):
        with self.state.lock:
            batch = self.state.batches.get(bid)
            if batch is None:
                return self._json(404, {"error": {"message": "No such batch", "type": "invalid_request_error"}})
            if batch["status"] != "completed":
                batch["status"] = "in_progress"
                if self.state.complete_batches:
                    self._complete(batch)
            answer = dict(batch)
        self._json(200, answer)

    def _complete(self, batch: dict) -> None:
        """Answers each JSONL line as the Images API would, into an output file."""
        out = []
        lines = [json.loads(line) for line in self.state.files[batch["input_file_id"]].splitlines() if line.strip()]
        for i, line in enumerate(lines):
            status, body = images_answer(line.get("body", {}))
            out.append(json.dumps({"id": f"batch_req_{i}", "custom_id": line.get("custom_id"),
                                   "response": {"status_code": status, "request_id": f"req_{i}", "body": body},
                                   "error": None}))
        fid = f"file-out-{batch['id']}"
        self.state.files[fid] = ("\n".join(out) + "\n").encode()
        batch.update(status="completed", output_file_id=fid, completed_at=int(time.time()),
                     request_counts={"total": len(lines), "completed": len(lines), "failed": 0})

    def _openai_images(self, body: dict):
        if "SLOWME" in str(body.get("prompt", "")):  # a slow provider: a job still running while you edit
            time.sleep(5)
        if "WAIT2S" in str(body.get("prompt", "")):
            # A 2 s provider for the concurrency figure (measure_ui.py): a small image, so
            # encoding it here never becomes the bottleneck of 100 calls at once.
            time.sleep(2.0)
            body = {**body, "size": "16x16"}
        self._json(*images_answer(body))


def images_answer(body: dict) -> tuple[int, dict]:
    """The Images API's answer to a generations body: (HTTP status, JSON)."""
    prompt = str(body.get("prompt", ""))
    if "BLOCKME" in prompt:
        return (400, {"error": {"message": "Your request was rejected by the safety system.",
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
    return (200, {
        "created": 1700000000, "data": data, "size": size, "quality": quality, "output_format": "png",
        "usage": {"input_tokens": text_tokens,
                  "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
                  "output_tokens": per_image * n,
                  "output_tokens_details": {"image_tokens": per_image * n, "text_tokens": 0},
                  "total_tokens": text_tokens + per_image * n}})


class FakeServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of 100 connections (measure_ui's
    # 100 jobs) overflowed it and the dropped handshakes were retried by the kernel a
    # second later, which added whole seconds no real provider adds.
    request_queue_size = 256


def serve(port: int = 0) -> tuple[ThreadingHTTPServer, State]:
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = FakeServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


if __name__ == "__main__":
    srv, _ = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 9777)
    print(f"fake providers on http://127.0.0.1:{srv.server_address[1]}")
    threading.Event().wait()
