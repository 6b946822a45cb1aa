import { describe, expect, it } from 'vitest';
import { MaskBitmap, toSubject } from './mask';
import { crc32 } from './png';
import { imageHead } from './imageSize';

/** Decodes our own PNG (RGBA 8-bit, filter 0) back to pixels, checking every chunk's CRC. */
async function decode(png: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8Array; type: number }> {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let o = 8;
  let width = 0, height = 0, type = -1;
  const idat: Uint8Array[] = [];
  while (o < png.length) {
    const len = dv.getUint32(o);
    const name = new TextDecoder().decode(png.subarray(o + 4, o + 8));
    const data = png.subarray(o + 8, o + 8 + len);
    expect(dv.getUint32(o + 8 + len)).toBe((crc32(png.subarray(o + 4, o + 8 + len)) ^ 0xffffffff) >>> 0);
    if (name === 'IHDR') { width = dv.getUint32(o + 8); height = dv.getUint32(o + 12); type = png[o + 8 + 9]; }
    if (name === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const joined = new Uint8Array(idat.reduce((n, p) => n + p.length, 0));
  idat.reduce((o, p) => (joined.set(p, o), o + p.length), 0);
  const raw = new Uint8Array(await new Response(new Response(joined).body!.pipeThrough(new DecompressionStream('deflate'))).arrayBuffer());
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba, type };
}

describe('mask painter output', () => {
  it('is an RGBA PNG at the subject size with alpha 0 exactly where painted', async () => {
    const m = new MaskBitmap(64, 48);
    m.dab(10.5, 10.5, 3, 1);
    for (const compress of [true, false]) {
      const png = await m.toPng({ compress });
      if (compress) expect(png.length).toBeLessThan(1000); // deflated, not 64·48·4 bytes stored
      expect(imageHead(png)).toEqual({ mime: 'image/png', width: 64, height: 48 });
      const d = await decode(png);
      expect(d.type).toBe(6);
      expect([d.width, d.height]).toEqual([64, 48]);
      expect(d.rgba[(10 * 64 + 10) * 4 + 3]).toBe(0); // centre of the dab: edit
      expect(d.rgba[(10 * 64 + 14) * 4 + 3]).toBe(255); // 4 px away, radius 3: kept
      expect(d.rgba[(40 * 64 + 60) * 4 + 3]).toBe(255);
      const transparent = Array.from({ length: 64 * 48 }, (_, i) => d.rgba[i * 4 + 3]).filter((a) => a === 0).length;
      expect(transparent).toBe(m.count());
      expect(transparent).toBeGreaterThan(20);
      expect(transparent).toBeLessThan(40); // π·3² ≈ 28
    }
  });

  it('paints a stroke without gaps, erases, inverts, clears and undoes', () => {
    const m = new MaskBitmap(100, 20);
    m.checkpoint();
    m.line(5, 10, 95, 10, 2, 1);
    for (let x = 5; x < 95; x++) expect(m.data[10 * 100 + x]).toBe(1);
    const painted = m.count();
    m.checkpoint();
    m.dab(50, 10, 4, 0);
    expect(m.data[10 * 100 + 50]).toBe(0);
    expect(m.count()).toBeLessThan(painted);
    m.checkpoint();
    m.invert();
    expect(m.data[10 * 100 + 50]).toBe(1);
    expect(m.data[0]).toBe(1);
    m.checkpoint();
    m.clear();
    expect(m.isEmpty()).toBe(true);
    expect(m.undo()).toBe(true); // back to inverted
    expect(m.data[0]).toBe(1);
    expect(m.undo()).toBe(true); // before invert
    expect(m.count()).toBeLessThan(painted);
    expect(m.undo()).toBe(true); // before erase
    expect(m.count()).toBe(painted);
    expect(m.undo()).toBe(true);
    expect(m.isEmpty()).toBe(true);
    expect(m.undo()).toBe(false);
  });

  it('keeps paint inside the image at the edges', () => {
    const m = new MaskBitmap(10, 10);
    m.dab(0, 0, 5, 1);
    m.dab(12, 12, 5, 1);
    expect(m.data[0]).toBe(1);
    expect(m.data[99]).toBe(1);
  });

  it('maps a pointer on the scaled image to subject pixels', () => {
    expect(toSubject(100, 50, { width: 200, height: 100 }, { width: 1024, height: 512 })).toEqual([512, 256]);
  });
});

describe('image head', () => {
  it('reads a JPEG SOF and rejects junk', () => {
    const jpg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x02, 0x00, 0x03, 0x00, 3, 0, 0, 0, 0]);
    expect(imageHead(jpg)).toEqual({ mime: 'image/jpeg', width: 768, height: 512 });
    expect(imageHead(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});
