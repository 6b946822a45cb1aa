import { describe, expect, it } from 'vitest';
import type { OfferEstimate, OfferProvider } from '../api';
import { laterChoice, laterLabel, laterText } from './later';

function est(offer_id: string, expected: string, later: string | null, over: Partial<OfferEstimate> = {}): OfferEstimate {
  return {
    offer_id, provider: offer_id.split(':')[0] as OfferProvider, model: offer_id.split(':')[1], display_name: offer_id, tier: 'draft', billing: 'tokens',
    expected_usd: expected, worst_case_usd: expected, per_image_usd: expected, supported: true, reason: null, notes: [], lines: [],
    confidence: 'published', price_source: 'published', calibration_samples: null, price_known: true, lifecycle: null, replacement: null,
    dedup_hit: false, has_key: true, availability: 'ready', fit: 0, cooling_down: null,
    deferred: later ? { expected_usd: later, worst_case_usd: later, within_hours: 24, saving_pct: '50', mode: 'batch', source: null } : null,
    ...over,
  };
}

describe('later', () => {
  const all = [est('stability:core', '0.03', null), est('openai:gpt-image-1-mini', '0.006', '0.003'), est('google:gemini', '0.0387', '0.01935')];

  it('picks the first offer of the chain that has a later tier', () => {
    const c = laterChoice(all, ['stability:core', 'google:gemini', 'openai:gpt-image-1-mini']);
    expect(c?.e.offer_id).toBe('google:gemini');
    expect(c?.d.expected_usd).toBe('0.01935');
  });

  it('without a chain, picks the cheapest later price', () => {
    expect(laterChoice(all, [])?.e.offer_id).toBe('openai:gpt-image-1-mini');
  });

  it('offers nothing when no usable offer can wait (no key, unsupported, no tier)', () => {
    expect(laterChoice([est('google:gemini', '0.0387', '0.01935', { has_key: false })], [])).toBeNull();
    expect(laterChoice([est('google:gemini', '0.0387', '0.01935', { supported: false })], [])).toBeNull();
    expect(laterChoice([est('stability:core', '0.03', null)], ['stability:core'])).toBeNull();
    expect(laterChoice(null, [])).toBeNull();
  });

  it('says now and later, and the saving', () => {
    const e = all[2];
    const text = laterText(e, e.deferred!, (u) => `$${u}`);
    expect(text).toBe('now $0.0387 / later $0.01935 (within 24 h)');
    expect(laterLabel(e.deferred!)).toBe('Later (−50 %)');
  });
});
