import { describe, expect, it } from 'vitest';
import { routeReadiness } from './readiness';
import type { OfferEstimate } from '../api';

function est(id: string, extra: Partial<OfferEstimate> = {}): OfferEstimate {
  return {
    offer_id: id, provider: 'openai', model: id, display_name: id.toUpperCase(), tier: 'draft', billing: 'per_image', expected_usd: '0.01',
    worst_case_usd: '0.01', per_image_usd: '0.01', supported: true, reason: null, notes: [], lines: [], confidence: 'published',
    dedup_hit: false, has_key: true, price_source: 'published', calibration_samples: null, price_known: true,
    lifecycle: null, replacement: null, deferred: null, ...extra,
  };
}

describe('route readiness', () => {
  it('is ready when a chain offer can run', () => {
    expect(routeReadiness([est('a', { supported: false, reason: 'x' }), est('b')], ['a', 'b'], 'draft').ok).toBe(true);
  });
  it('names each chain offer and the fix when none can make the request', () => {
    const r = routeReadiness([est('a', { supported: false, reason: 'cannot make 1920×1080' }), est('b', { supported: false, reason: 'max 1024' })], ['a', 'b'], 'draft');
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('A: cannot make 1920×1080');
    expect(r.reason).toContain('edit the chain');
  });
  it('asks for a key when the chain could run but has none', () => {
    const r = routeReadiness([est('a', { has_key: false })], ['a'], 'final');
    expect(r.reason).toMatch(/^Final chain/);
    expect(r.reason).toContain('add a key');
  });
  it('without a chain, looks at the whole tier', () => {
    expect(routeReadiness([est('a', { has_key: false })], [], 'draft').reason).toContain('add an API key');
    expect(routeReadiness([est('a', { tier: 'final', has_key: false })], [], 'draft').ok).toBe(true);
    expect(routeReadiness(null, [], 'draft').ok).toBe(true);
  });
});
