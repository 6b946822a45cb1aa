import { describe, expect, it } from 'vitest';
import { createFakeBackend } from './index';
import { MaskBitmap } from '../../inputs/mask';

describe('fake image inputs (recorded from the engine)', () => {
  const subject = { role: 'subject' as const, source: { kind: 'blob' as const, sha256: 'a'.repeat(64) } };
  const params = { prompt: 'a lighthouse at dusk', width: 1024, height: 1024, n: 1 };

  it('prices an edit from the recorded edit estimates, with their input lines and refusals', async () => {
    const b = createFakeBackend();
    const r = await b.pricingEstimate({ params: { ...params, operation: 'edit', inputs: [subject] }, project: null, tier: 'all', offers: [] });
    expect(r.estimates.some((e) => e.supported && e.lines.some((l) => /image to edit/.test(l)))).toBe(true);
    expect(r.estimates.some((e) => !e.supported && e.reason)).toBe(true);
  });

  it('refuses an inpaint without a mask and a non-image import in the engine’s words', async () => {
    const b = createFakeBackend();
    await expect(b.pricingEstimate({ params: { ...params, operation: 'inpaint', inputs: [subject] }, project: null, tier: 'all', offers: [] })).rejects.toThrow(/needs a mask/);
    await expect(b.inputImport(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a PNG, JPEG or WebP/);
    const png = await new MaskBitmap(32, 16).toPng({ compress: false });
    const imp = await b.inputImport(png);
    expect([imp.width, imp.height, imp.mime, imp.sha256.length]).toEqual([32, 16, 'image/png', 64]);
  });
});
