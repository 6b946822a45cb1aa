import { describe, expect, it } from 'vitest';
import { toBase64 } from './base64';

describe('toBase64', () => {
  it('encodes small and chunk-crossing inputs', () => {
    expect(toBase64(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe('iVBORw==');
    const big = new Uint8Array(0x8000 * 2 + 3).map((_, i) => i % 251);
    expect(atob(toBase64(big)).length).toBe(big.length);
    expect(atob(toBase64(big)).charCodeAt(0x8000 + 1)).toBe((0x8000 + 1) % 251);
  });
});
