// The region to edit, painted over the subject at its own pixel size: 1 = edit. Pure data
// (no <canvas>), so the PNG sent is exactly the subject's size and the tests can read it.
import { encodePngRgba } from './png';

const UNDO_LIMIT = 20;

export class MaskBitmap {
  readonly width: number;
  readonly height: number;
  data: Uint8Array;
  private undoStack: Uint8Array[] = [];

  constructor(width: number, height: number) {
    if (!(width > 0 && height > 0)) throw new Error('a mask needs a positive size');
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height);
  }

  /** Saves the current state for undo; call once before a stroke, invert or clear. */
  checkpoint() {
    this.undoStack.push(this.data.slice());
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  undo(): boolean {
    const prev = this.undoStack.pop();
    if (!prev) return false;
    this.data = prev;
    return true;
  }

  /** A filled disc of radius `r` (subject pixels) at (cx, cy); value 1 paints, 0 erases. */
  dab(cx: number, cy: number, r: number, value: 0 | 1) {
    const rr = Math.max(0.5, r);
    const x0 = Math.max(0, Math.floor(cx - rr));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + rr));
    const y0 = Math.max(0, Math.floor(cy - rr));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + rr));
    const r2 = rr * rr;
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        if (dx * dx + dy * dy <= r2) this.data[y * this.width + x] = value;
      }
    }
  }

  /** Dabs along a segment, spaced so a fast stroke leaves no gaps. */
  line(x0: number, y0: number, x1: number, y1: number, r: number, value: 0 | 1) {
    const dist = Math.hypot(x1 - x0, y1 - y0);
    const step = Math.max(1, r / 3);
    const n = Math.max(1, Math.ceil(dist / step));
    for (let i = 0; i <= n; i++) this.dab(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, r, value);
  }

  invert() {
    for (let i = 0; i < this.data.length; i++) this.data[i] = this.data[i] ? 0 : 1;
  }

  clear() {
    this.data.fill(0);
  }

  /** Pixels marked for editing. */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.data.length; i++) n += this.data[i];
    return n;
  }

  isEmpty(): boolean {
    return this.data.every((v) => v === 0);
  }

  /** OpenAI's convention: alpha 0 where the model may paint, opaque black elsewhere. */
  toRgba(): Uint8Array {
    const out = new Uint8Array(this.data.length * 4);
    for (let i = 0; i < this.data.length; i++) out[i * 4 + 3] = this.data[i] ? 0 : 255;
    return out;
  }

  /** The overlay shown while painting: a tint where the edit goes. */
  toOverlay(rgb: [number, number, number], alpha = 140): Uint8ClampedArray {
    const out = new Uint8ClampedArray(this.data.length * 4);
    for (let i = 0; i < this.data.length; i++) {
      if (!this.data[i]) continue;
      out[i * 4] = rgb[0];
      out[i * 4 + 1] = rgb[1];
      out[i * 4 + 2] = rgb[2];
      out[i * 4 + 3] = alpha;
    }
    return out;
  }

  toPng(opts: { compress?: boolean } = {}): Promise<Uint8Array> {
    return encodePngRgba(this.width, this.height, this.toRgba(), opts);
  }
}

/** A pointer position on the shown (scaled) image → subject pixels. */
export function toSubject(px: number, py: number, shown: { width: number; height: number }, subject: { width: number; height: number }): [number, number] {
  return [(px * subject.width) / Math.max(1, shown.width), (py * subject.height) / Math.max(1, shown.height)];
}
