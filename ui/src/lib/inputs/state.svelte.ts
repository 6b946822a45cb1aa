// The Canvas's input images and the operation on them. Kept in memory (bytes can be
// large); a gallery input is only a reference to a stored image.
import { imageHead } from './imageSize';
import { MaskBitmap } from './mask';
import { noMargins, type Margins } from './margins';
import { keepOperation, removeAt, roleForNew, setRole, type Fidelity, type InputRole, type Operation } from './operations';

/** Up to 16 images per request (OpenAI's edit limit, the largest of any offer). */
export const MAX_INPUTS = 16;
/** The largest input any provider takes (OpenAI: 50 MB). */
export const MAX_INPUT_BYTES = 50 * 1024 * 1024;

export type InputSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  /** `<generation_id>` or `<generation_id>#<index>`, and its stored file. */
  | { kind: 'gallery'; image: string; path: string };

export interface CanvasInput {
  key: string;
  role: InputRole;
  name: string;
  mime: string;
  width: number;
  height: number;
  /** For display: an object URL (a file) or the backend's URL of a stored image. */
  url: string;
  source: InputSource;
  /** The engine's sha256 once it imported the bytes (a file or paste). */
  sha256?: string;
}

/** The engine's import of input bytes: checked, kept in the library, named by sha256. */
export type Importer = (bytes: Uint8Array) => Promise<{ sha256: string; width: number; height: number; mime: string }>;

let seq = 0;

/** A file's bytes (FileReader where Blob.arrayBuffer is missing, as in jsdom). */
function readBytes(f: Blob): Promise<Uint8Array> {
  if (typeof f.arrayBuffer === 'function') return f.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error ?? new Error('could not read the file'));
    r.readAsArrayBuffer(f);
  });
}
const nextKey = () => `in${++seq}`;

export class InputsState {
  items = $state<CanvasInput[]>([]);
  operation = $state<Operation>('generate');
  fidelity = $state<Fidelity>('low');
  scale = $state<2 | 4>(2);
  margins = $state<Margins>(noMargins());
  /** Why the last add was refused, in words. */
  problem = $state<string | null>(null);
  /** The painted mask as sent (PNG, alpha 0 = edit), and its pixel count for the UI. */
  maskPng = $state<Uint8Array | null>(null);
  maskPixels = $state(0);
  /** The mask's sha256 once imported. */
  maskSha = $state<string | null>(null);
  /** Set by the app (the backend's input import); tests may leave it unset. */
  importer: Importer | null = null;
  /** The bitmap behind it, kept for further painting (bound to the subject's key). */
  mask: MaskBitmap | null = null;
  private maskFor: string | null = null;

  get subject(): CanvasInput | null {
    return this.items[0]?.role === 'subject' ? this.items[0] : null;
  }

  private changed(next: CanvasInput[]) {
    this.items = next;
    this.operation = keepOperation(this.operation, next);
    const s = this.subject;
    if (!s || s.key !== this.maskFor) this.resetMask();
    if (!s) this.margins = noMargins();
  }

  add(input: Omit<CanvasInput, 'key' | 'role'> & { role?: InputRole }): boolean {
    this.problem = null;
    if (this.items.length >= MAX_INPUTS) {
      this.problem = `At most ${MAX_INPUTS} input images — remove one first.`;
      return false;
    }
    const role = input.role ?? roleForNew(this.items);
    const item: CanvasInput = { ...input, key: nextKey(), role };
    const list = [...this.items, item];
    this.changed(role === 'subject' ? setRole(list, list.length - 1, 'subject') : list);
    return true;
  }

  /** Reads files (drop, paste, picker); refuses what is not a PNG, JPEG, WebP or GIF. */
  async addFiles(files: Iterable<File>): Promise<number> {
    let added = 0;
    const refused: string[] = [];
    for (const f of files) {
      if (f.size > MAX_INPUT_BYTES) {
        refused.push(`${f.name || 'the image'} is over 50 MB`);
        continue;
      }
      const bytes = await readBytes(f);
      const head = imageHead(bytes);
      if (!head) {
        refused.push(`${f.name || 'the pasted item'} is not a PNG, JPEG, WebP or GIF image`);
        continue;
      }
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: head.mime }));
      if (!this.add({ name: f.name || 'pasted image', mime: head.mime, width: head.width, height: head.height, url, source: { kind: 'bytes', bytes } })) {
        URL.revokeObjectURL(url);
        return added;
      }
      added++;
      const item = this.items.find((i) => i.url === url);
      if (item) await this.importItem(item.key, bytes);
    }
    if (refused.length) this.problem = `Not added: ${refused.join('; ')}.`;
    return added;
  }

  /** Hands the bytes to the engine; a refusal (not decodable, too large) removes the input and says why. */
  private async importItem(key: string, bytes: Uint8Array) {
    if (!this.importer) return;
    try {
      const r = await this.importer(bytes);
      this.items = this.items.map((i) => (i.key === key ? { ...i, sha256: r.sha256, width: r.width || i.width, height: r.height || i.height, mime: r.mime || i.mime } : i));
    } catch (e) {
      const at = this.items.findIndex((i) => i.key === key);
      const name = at >= 0 ? this.items[at].name : 'the image';
      if (at >= 0) this.remove(at);
      this.problem = `Not added: ${name} — ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  setRole(index: number, role: InputRole) {
    this.changed(setRole(this.items, index, role));
  }

  remove(index: number) {
    const gone = this.items[index];
    if (gone?.source.kind === 'bytes' && gone.url.startsWith('blob:')) URL.revokeObjectURL(gone.url);
    this.changed(removeAt(this.items, index));
  }

  clear() {
    for (let i = this.items.length - 1; i >= 0; i--) this.remove(i);
    this.problem = null;
  }

  /** The bitmap to paint on, created at the subject's pixel size. */
  maskBitmap(): MaskBitmap | null {
    const s = this.subject;
    if (!s) return null;
    if (!this.mask || this.maskFor !== s.key || this.mask.width !== s.width || this.mask.height !== s.height) {
      this.mask = new MaskBitmap(s.width, s.height);
      this.maskFor = s.key;
    }
    return this.mask;
  }

  async commitMask() {
    const m = this.mask;
    if (!m || m.isEmpty()) {
      this.maskPng = null;
      this.maskPixels = 0;
      return;
    }
    this.maskPixels = m.count();
    const png = await m.toPng();
    this.maskPng = png;
    this.maskSha = null;
    if (!this.importer) return;
    try {
      const r = await this.importer(png);
      if (this.maskPng === png) this.maskSha = r.sha256;
    } catch (e) {
      this.problem = `The mask could not be saved: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  resetMask() {
    this.mask = null;
    this.maskFor = null;
    this.maskPng = null;
    this.maskSha = null;
    this.maskPixels = 0;
  }
}

export const inputs = new InputsState();
