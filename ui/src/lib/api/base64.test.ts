import { describe, expect, it } from 'vitest';
import { toBase64 } from './base64';

describe('toBase64', () => {
  it('matches the standard padded alphabet, including bytes past 127', () => {
    expect(toBase64(new Uint8Array([]))).toBe('');
    expect(toBase64(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe('iVBORw==');
    expect(toBase64(new Uint8Array([255, 254, 0]))).toBe('//4A');
  });

  it('encodes an image larger than one chunk, and atob gives the bytes back', () => {
    const bytes = new Uint8Array(200_003).map((_, i) => (i * 31 + 7) % 256);
    const text = toBase64(bytes);
    expect(text).toHaveLength(Math.ceil(bytes.length / 3) * 4);
    const back = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    expect(back.length).toBe(bytes.length);
    expect(back.every((b, i) => b === bytes[i])).toBe(true);
  });
});
