"""Local fakes of Gemini, BFL, Stability and fal for the window's image operations
(issue 15), on the wire formats the Rust contract tests hold the clients to
(src-tauri/crates/cli/tests/operations/fake.rs, providers/src/*.rs). Each answers *from
the request it received* and records what it carried (input images and their sizes, the
mask, the margins, the factor) and the usage it reported, so a test can hold the
window's estimate lines against it:

- Gemini `POST /google/v1beta/models/{model}:generateContent`: inline image parts in,
  one inline PNG out; `usageMetadata` counts each inline image at the model's published
  tokens per image (IMAGE prompt tokens).
- BFL `POST /bfl/v1/{model}` → `{id, polling_url, cost, input_mp, output_mp}` (credits;
  FLUX.2 by its published megapixel formula, Kontext and the FLUX.1 tools flat), then
  `GET polling_url` → Ready with a sample URL.
- Stability `POST /stability/v2beta/stable-image/{generate,edit,upscale}/…` (multipart,
  image bytes back); the creative upscale answers `{id}` and `GET …/v2beta/results/{id}`
  is 202 once, then the image. The credits each call costs (Stability's published
  table; its API reports none) are recorded.
- OpenAI `POST /openai/v1/images/generations` (JSON) and `/openai/v1/images/edits`
  (multipart `image[]`, `mask`): usage counts each input image at GPT Image's published
  ≈135 tokens per 1024² at low fidelity (≈3,050 at high), scaled by area and rounded up.
- fal `POST /fal/{app…}` → queue URLs; status IN_QUEUE once, then COMPLETED; the result
  `images: [...]` (or one `image` for an upscaler) with `x-fal-billable-units`.
Answers are served at `/files/{id}.png` from the same host; an upscale or expand keeps its
subject's colours and an edit half of them, so a before/after shows the relation."""

import base64
import email
import email.policy
import json
import struct
import threading
import zlib
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from fake_providers import FakeServer, png

# Gemini IMAGE tokens per inline input image, and per 1K output image (Google's pricing
# and token docs; the same figures the catalog prices with).
GEMINI_TOKENS = {
    "gemini-2.5-flash-image": (1290, 1290),
    "gemini-nano-banana-2.1": (1120, 1120),
    "gemini-3-pro-image": (560, 1120),
    "gemini-3.1-flash-lite-image": (1120, 1120),
}
# BFL credits (1 credit = $0.01): FLUX.2 (first output MP, each further output MP and
# each input MP); flat Kontext and FLUX.1 tools; FLUX.1 text-to-image.
FLUX2 = {"flux-2-pro": (Decimal(3), Decimal("1.5")), "flux-2-max": (Decimal(7), Decimal(3)),
         "flux-2-flex": (Decimal(5), Decimal(5)), "flux-2-klein-4b": (Decimal("1.4"), Decimal("0.1")),
         "flux-2-klein-9b": (Decimal("1.5"), Decimal("0.2"))}
BFL_FLAT = {"flux-kontext-pro": 4, "flux-kontext-max": 8, "flux-pro-1.0-fill": 5,
            "flux-pro-1.0-expand": 5, "flux-dev": Decimal("2.5"), "flux-pro-1.1": 4}
# Stability credits per call (platform.stability.ai/pricing).
STABILITY_CREDITS = {"generate/core": 3, "generate/ultra": 8, "edit/inpaint": 5, "edit/outpaint": 4,
                     "edit/erase": 5, "edit/search-and-replace": 5, "edit/remove-background": 5,
                     "upscale/fast": 2, "upscale/conservative": 40, "upscale/creative": 60}
FAL_UPSCALERS = ("fal-ai/seedvr/upscale/image",)
# fal apps billed per output megapixel (2^20 px, rounded up); the others per image.
FAL_PER_MP = FAL_UPSCALERS + ("fal-ai/flux/schnell", "fal-ai/flux/dev")


def dims(b: bytes):
    """(width, height) of a PNG, or None."""
    return struct.unpack(">II", b[16:24]) if b[:8] == b"\x89PNG\r\n\x1a\n" else None


def colours(b: bytes):
    """(top, bottom) RGB of a gradient PNG these fakes made (8-bit RGB, filter 0), or None."""
    if dims(b) is None or b[24:26] != b"\x08\x02":
        return None
    try:
        w, _ = dims(b)
        at, idat = 8, b""
        while at < len(b):
            n, kind = struct.unpack(">I", b[at:at + 4])[0], b[at + 4:at + 8]
            if kind == b"IDAT":
                idat += b[at + 8:at + 8 + n]
            at += 12 + n
        raw = zlib.decompress(idat)
        return raw[1:4], raw[-3 * w:-3 * w + 3]
    except (zlib.error, struct.error, ValueError):
        return None


def gradient(w: int, h: int, top: bytes, bottom: bytes) -> bytes:
    """A PNG from `top` to `bottom`, like fake_providers.png."""
    raw = bytearray()
    for y in range(h):
        t = y / max(1, h - 1)
        raw += b"\x00" + bytes(int(a + (c - a) * t) for a, c in zip(top, bottom)) * w
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


def made_from(subject: bytes | None, w: int, h: int, seed: str, keep: bool) -> bytes:
    """The answer to an operation on `subject`: its colours when `keep` (an upscale, an
    expand), half its colours and half the seed's for an edit; a fresh image without one."""
    c = colours(subject) if subject else None
    if c is None:
        return png(w, h, seed)
    if keep:
        return gradient(w, h, *c)
    other = colours(png(2, 2, seed))
    mix = [bytes((a + b) // 2 for a, b in zip(x, y)) for x, y in zip(c, other)]
    return gradient(w, h, *mix)


def mp(size) -> Decimal:
    return Decimal(size[0] * size[1]) / Decimal(1_000_000)


def data_uri(uri: str) -> bytes:
    return base64.b64decode(uri.split(";base64,", 1)[1]) if ";base64," in uri else b""


def multipart(headers, raw: bytes) -> dict[str, bytes]:
    msg = email.message_from_bytes(f"content-type: {headers.get('content-type')}\r\n\r\n".encode() + raw,
                                   policy=email.policy.HTTP)
    if not msg.is_multipart():
        return {}
    return {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) or b""
            for p in msg.iter_parts()}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        # One dict per call, oldest first: provider, model (or endpoint), images (count),
        # image_sizes, mask (its size or None), margins, factor, prompt, usage reported.
        self.calls: list[dict] = []
        self.polls: dict[str, int] = {}
        # Answers kept for a later GET (BFL's sample, fal's files, Stability's creative job).
        self.files: dict[str, bytes] = {}

    def record(self, **call) -> dict:
        with self.lock:
            self.calls.append(call)
        return call

    def of(self, provider: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["provider"] == provider]

    def poll(self, key: str) -> int:
        """How many times `key` was polled before this one."""
        with self.lock:
            n = self.polls.get(key, 0)
            self.polls[key] = n + 1
            return n


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):
        pass

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _raw(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length", "0")))

    def do_GET(self):
        url = urlparse(self.path)
        p, q = url.path, parse_qs(url.query)
        if p.startswith("/files/"):
            data = self.state.files.get(p[len("/files/"):])
            return self._send(200, data, "image/png") if data else self._json(404, {"error": "no such file"})
        if p == "/bfl/v1/get_result":
            tid = q.get("id", [""])[0]
            return self._json(200, {"id": tid, "status": "Ready", "result": {
                "sample": f"{self.base}/files/{tid}.png", "seed": 7}})
        if p.startswith("/stability/v2beta/results/"):
            jid = p.rsplit("/", 1)[1]
            if self.state.poll(jid) == 0:
                return self._json(202, {"id": jid, "status": "in-progress"})
            return self._send(200, self.state.files[jid], "image/png", {"finish-reason": "SUCCESS", "seed": "42"})
        if p.startswith("/fal/") and "/requests/" in p:
            return self._fal_poll(p)
        self._json(404, {"error": "not found"})

    def do_POST(self):
        p = urlparse(self.path).path
        if p.startswith("/google/v1beta/models/") and p.endswith(":generateContent"):
            return self._gemini(p.split("/models/", 1)[1].split(":")[0])
        if p.startswith("/bfl/v1/"):
            return self._bfl(p[len("/bfl/v1/"):])
        if p.startswith("/stability/v2beta/stable-image/"):
            return self._stability(p[len("/stability/v2beta/stable-image/"):])
        if p.startswith("/fal/"):
            return self._fal_submit(p[len("/fal/"):])
        if p == "/openai/v1/moderations":
            return self._json(200, {"id": "modr-e2e", "results": [{"flagged": False, "categories": {}}]})
        if p in ("/openai/v1/images/generations", "/openai/v1/images/edits"):
            return self._openai(p.endswith("/edits"))
        self._json(404, {"error": "not found"})

    # ------------------------------------------------------------ OpenAI
    def _openai(self, edit: bool):
        if not self.headers.get("authorization", "").startswith("Bearer "):
            return self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        raw = self._raw()
        if edit:
            msg = email.message_from_bytes(
                b"content-type: " + self.headers["content-type"].encode() + b"\r\n\r\n" + raw,
                policy=email.policy.HTTP)
            fields: dict[str, list[bytes]] = {}
            for part in msg.iter_parts():
                fields.setdefault(part.get_param("name", header="content-disposition"), []).append(
                    part.get_payload(decode=True) or b"")
            images = fields.get("image[]", []) + fields.get("image", [])
            mask = fields.get("mask", [None])[0]
            model = fields.get("model", [b""])[0].decode()
            prompt = fields.get("prompt", [b""])[0].decode()
            high = fields.get("input_fidelity", [b"low"])[0].decode() == "high"
        else:
            body = json.loads(raw or b"{}")
            images, mask, model, prompt, high = [], None, body.get("model", ""), body.get("prompt", ""), False
        sizes = [dims(i) or (0, 0) for i in images]
        per = 3050 if high else 135
        image_in = sum(-(-per * w * h // (1024 * 1024)) for w, h in sizes)
        text_in = max(1, len(prompt) // 4)
        usage = {"input_tokens": text_in + image_in, "output_tokens": 272, "total_tokens": text_in + image_in + 272,
                 "input_tokens_details": {"text_tokens": text_in, "image_tokens": image_in}}
        self.state.record(provider="openai", model=model, images=len(images), image_sizes=[list(x) for x in sizes],
                          mask=list(dims(mask) or (0, 0)) if mask else None, prompt=prompt, usage=usage,
                          image_in_tokens=image_in)
        w, h = sizes[0] if sizes else (1024, 1024)
        out = made_from(images[0] if images else None, w, h, f"openai/{model}/{prompt}", keep=False)
        self._json(200, {"created": 1_700_000_000, "data": [{"b64_json": base64.b64encode(out).decode()}],
                         "usage": usage})

    # ------------------------------------------------------------ Gemini
    def _gemini(self, model: str):
        if not self.headers.get("x-goog-api-key"):
            return self._json(403, {"error": {"code": 403, "message": "API key missing", "status": "PERMISSION_DENIED"}})
        body = json.loads(self._raw() or b"{}")
        parts = body.get("contents", [{}])[0].get("parts", [])
        images = [base64.b64decode(x["inlineData"]["data"]) for x in parts if "inlineData" in x]
        text = " ".join(x.get("text", "") for x in parts if "text" in x)
        per_in, per_out = GEMINI_TOKENS.get(model, (1120, 1120))
        text_in = max(1, len(text) // 4)
        image_in = per_in * len(images)
        usage = {"promptTokenCount": text_in + image_in, "candidatesTokenCount": per_out,
                 "totalTokenCount": text_in + image_in + per_out,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": text_in},
                                         {"modality": "IMAGE", "tokenCount": image_in}],
                 "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": per_out}]}
        size = dims(images[0]) if images else (1024, 1024)
        self.state.record(provider="google", model=model, images=len(images),
                          image_sizes=[list(dims(i) or (0, 0)) for i in images], mask=None, prompt=text,
                          usage=usage, image_in_tokens=image_in)
        out = base64.b64encode(made_from(images[0] if images else None, *size, f"gemini/{model}/{text}",
                                         keep=False)).decode()
        self._json(200, {"candidates": [{"content": {"role": "model", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": out}}]}, "finishReason": "STOP"}],
            "usageMetadata": usage, "modelVersion": model})

    # ------------------------------------------------------------ BFL
    def _bfl(self, model: str):
        if not self.headers.get("x-key"):
            return self._json(403, {"detail": "Not authenticated - Invalid Authentication"})
        v = json.loads(self._raw() or b"{}")
        keys = ["input_image"] + [f"input_image_{i}" for i in range(2, 9)]
        inputs = [base64.b64decode(v[k]) for k in keys if isinstance(v.get(k), str)]
        subject = base64.b64decode(v["image"]) if isinstance(v.get("image"), str) else None
        mask = base64.b64decode(v["mask"]) if isinstance(v.get("mask"), str) else None
        margins = {k: int(v.get(k, 0)) for k in ("left", "top", "right", "bottom")}
        sizes = [dims(b) or (0, 0) for b in (inputs or ([subject] if subject else []))]
        if "width" in v and "height" in v:
            out = (int(v["width"]), int(v["height"]))
        elif sizes:
            w, h = sizes[0]
            out = (w + margins["left"] + margins["right"], h + margins["top"] + margins["bottom"])
        else:
            out = (1024, 1024)
        in_mp = sum((mp(s) for s in sizes), Decimal(0)) if model.startswith("flux-2") else Decimal(0)
        if model in FLUX2:
            first, rate = FLUX2[model]
            input_credits = in_mp * rate
            cost = first + max(mp(out) - 1, Decimal(0)) * rate + input_credits
        else:
            input_credits = Decimal(0)
            cost = Decimal(BFL_FLAT.get(model, 5))
        with self.state.lock:
            tid = f"task-{len(self.state.calls)}"
        self.state.record(provider="bfl", model=model, images=len(sizes), image_sizes=[list(s) for s in sizes],
                          mask=list(dims(mask)) if mask else None, margins=margins, prompt=v.get("prompt"),
                          cost=cost, input_credits=input_credits, out=list(out))
        self.state.files[f"{tid}.png"] = made_from(subject or (inputs[0] if inputs else None), *out,
                                                   f"bfl/{model}/{v.get('prompt')}", keep="expand" in model)
        self._json(200, {"id": tid, "cost": float(cost), "input_mp": float(in_mp), "output_mp": float(mp(out)),
                         "polling_url": f"{self.base}/bfl/v1/get_result?id={tid}&w={out[0]}&h={out[1]}"})

    # ------------------------------------------------------------ Stability
    def _stability(self, endpoint: str):
        if not self.headers.get("authorization", "").startswith("Bearer "):
            return self._json(401, {"name": "unauthorized", "errors": ["missing authorization header"]})
        f = multipart(self.headers, self._raw())
        subject = f.get("image")
        mask = f.get("mask")
        size = dims(subject) if subject else (1024, 1024)
        margins = {k: int(f[k]) for k in ("left", "up", "right", "down") if k in f}
        w, h = size
        w += margins.get("left", 0) + margins.get("right", 0)
        h += margins.get("up", 0) + margins.get("down", 0)
        factor = None
        if endpoint == "upscale/fast":
            factor = 4  # always 4x
        elif endpoint.startswith("upscale/"):
            # Conservative and creative answer about 4 MP whatever the input's size.
            factor = max(1, int((4 * 1024 * 1024 / (w * h)) ** 0.5))
        if factor:
            w, h = w * factor, h * factor
        call = self.state.record(provider="stability", model=endpoint, images=1 if subject else 0,
                                 image_sizes=[list(size)] if subject else [], mask=list(dims(mask)) if mask else None,
                                 margins=margins, factor=factor,
                                 prompt=f.get("prompt", b"").decode("utf-8", "replace") or None,
                                 credits=STABILITY_CREDITS.get(endpoint), out=[w, h])
        keep = endpoint.startswith("upscale/") or endpoint == "edit/outpaint"
        image = made_from(subject, w, h, f"stability/{endpoint}/{call['prompt']}", keep)
        if endpoint == "upscale/creative":
            jid = f"creative-{len(self.state.calls)}"
            self.state.files[jid] = image
            return self._json(200, {"id": jid})
        self._send(200, image, "image/png", {"finish-reason": "SUCCESS", "seed": "42"})

    # ------------------------------------------------------------ fal
    def _fal_submit(self, model: str):
        if not self.headers.get("authorization", "").startswith("Key "):
            return self._json(401, {"detail": "No user found for Key ID and Secret"})
        v = json.loads(self._raw() or b"{}")
        uris = v.get("image_urls") or ([v["image_url"]] if v.get("image_url") else [])
        images = [data_uri(u) for u in uris]
        sizes = [dims(b) or (0, 0) for b in images]
        factor = v.get("upscale_factor") if model in FAL_UPSCALERS else None
        if factor:
            out = (sizes[0][0] * int(factor), sizes[0][1] * int(factor))
        else:
            sz = v.get("image_size")
            out = tuple(sizes[0]) if sizes else ((sz["width"], sz["height"]) if isinstance(sz, dict) else (1024, 1024))
        units = -(-out[0] * out[1] // (1 << 20)) if model in FAL_PER_MP else int(v.get("num_images", 1))
        app = "/".join(model.split("/")[:2])
        with self.state.lock:
            rid = f"r{len(self.state.calls)}"
        self.state.record(provider="fal", model=model, images=len(images), image_sizes=[list(s) for s in sizes],
                          mask=None, factor=factor, prompt=v.get("prompt"), units=units, out=list(out),
                          request_id=rid, single=bool(factor))
        self.state.files[f"{rid}.png"] = made_from(images[0] if images else None, *out, f"fal/{model}/{v.get('prompt')}",
                                                   keep=bool(factor))
        url = f"{self.base}/fal/{app}/requests/{rid}"
        self._json(200, {"request_id": rid, "status_url": f"{url}/status", "response_url": url,
                         "cancel_url": f"{url}/cancel", "queue_position": 0})

    def _fal_poll(self, p: str):
        rid = p.split("/requests/", 1)[1].split("/")[0]
        call = next((c for c in self.state.of("fal") if c["request_id"] == rid), None)
        if call is None:
            return self._json(404, {"detail": "Request not found"})
        if p.endswith("/status"):
            if self.state.poll(rid) == 0:
                return self._json(200, {"status": "IN_QUEUE", "queue_position": 0})
            return self._json(200, {"status": "COMPLETED", "metrics": {"inference_time": 1.2}})
        w, h = call["out"]
        img = {"url": f"{self.base}/files/{rid}.png", "width": w, "height": h, "content_type": "image/png"}
        body = {"image": img, "seed": 3} if call["single"] else {"images": [img], "seed": 3, "description": ""}
        self._json(200, body, {"x-fal-billable-units": str(call["units"])})


def serve(port: int = 0) -> tuple[ThreadingHTTPServer, State]:
    state = State()
    handler = type("BoundImageHandler", (Handler,), {"state": state})
    server = FakeServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


def env_for(base: str) -> dict[str, str]:
    """Base URLs and keys the app honours (PROOFSHEET_<ID>_BASE_URL / _API_KEY)."""
    return {"PROOFSHEET_OPENAI_BASE_URL": f"{base}/openai/v1", "PROOFSHEET_OPENAI_API_KEY": "sk-e2e-FAKEKEY-4242",
            "PROOFSHEET_GOOGLE_BASE_URL": f"{base}/google/v1beta", "PROOFSHEET_GOOGLE_API_KEY": "gm-e2e-FAKEKEY-4242",
            "PROOFSHEET_BFL_BASE_URL": f"{base}/bfl", "PROOFSHEET_BFL_API_KEY": "bfl-e2e-FAKEKEY-4242",
            "PROOFSHEET_STABILITY_BASE_URL": f"{base}/stability", "PROOFSHEET_STABILITY_API_KEY": "sk-e2e-FAKEKEY-4242",
            "PROOFSHEET_FAL_BASE_URL": f"{base}/fal", "PROOFSHEET_FAL_API_KEY": "fal-e2e-FAKEKEY:4242"}
