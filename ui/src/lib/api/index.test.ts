import { describe, expect, it } from 'vitest';
import { backend, initBackend } from '.';

describe('backend choice', () => {
  it('a plain browser (no Tauri) gets the fake, loaded on demand before the app starts', async () => {
    expect(() => backend()).toThrow(/initBackend/);
    const b = await initBackend();
    expect(b.name).toBe('fake');
    expect(backend()).toBe(b);
    expect((await b.pricingOffers()).some((o) => o.offer_id === 'bfl:flux-pro-1.1')).toBe(true);
  });
});
