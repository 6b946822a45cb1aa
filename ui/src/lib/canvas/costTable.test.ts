import { describe, expect, it } from 'vitest';
import { groupRows, sortRows } from './costTable';
import type { OfferEstimate } from '../api';

function est(id: string, expected: string, extra: Partial<OfferEstimate> = {}): OfferEstimate {
  return {
    offer_id: id, provider: 'p', model: 'm', display_name: id, tier: 'draft', billing: 'per_image', expected_usd: expected,
    worst_case_usd: expected, per_image_usd: expected, supported: true, reason: null, notes: [], lines: [], confidence: 'published',
    dedup_hit: false, has_key: true, ...extra,
  };
}

describe('cost table', () => {
  it('sorts cheapest first with exact decimals, unsupported last, dedup hits at $0', () => {
    const rows = sortRows([
      est('b', '0.04'),
      est('a', '0.0042'),
      est('c', '0.004'),
      est('x', '0.001', { supported: false, reason: 'max 1440 px per side' }),
      est('d', '0.2', { dedup_hit: true }),
      est('e', '0.0100'),
    ]);
    expect(rows.map((r) => r.e.offer_id)).toEqual(['d', 'c', 'a', 'e', 'b', 'x']);
    expect(rows[0].state).toBe('dedup');
    expect(rows[0].effective_usd).toBe('0');
    expect(rows.at(-1)?.state).toBe('unsupported');
  });

  it('marks offers without a key and skips them when picking the cheapest', () => {
    const g = groupRows(sortRows([est('nokey', '0.001', { has_key: false }), est('ok', '0.002'), est('f', '0.003', { tier: 'final' })]));
    expect(g.usable.map((r) => r.state)).toEqual(['nokey', 'ok', 'ok']);
    expect(g.cheapest?.e.offer_id).toBe('ok');
    expect(groupRows(sortRows([est('f', '0.003', { tier: 'final' }), est('d', '0.001')]), 'final').usable.map((r) => r.e.offer_id)).toEqual(['f']);
  });
});
