import { describe, expect, it } from 'vitest';
import { chainMark, groupRows, inputLines, onlyUsable, overBudget, priceText, sortBy, sortRows, tidyNotes } from './costTable';
import type { OfferEstimate } from '../api';

function est(id: string, expected: string, extra: Partial<OfferEstimate> = {}): OfferEstimate {
  return {
    offer_id: id, provider: 'openai', model: 'm', display_name: id, tier: 'draft', billing: 'flat_per_image', expected_usd: expected,
    worst_case_usd: expected, per_image_usd: expected, supported: true, reason: null, notes: [], lines: [], confidence: 'published',
    dedup_hit: false, has_key: true, availability: 'ready', price_source: 'published', calibration_samples: null, price_known: true,
    lifecycle: null, replacement: null, fit: 0, cooling_down: null, deferred: null, ...extra,
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

describe('cheapest mark (issue 12 item 1)', () => {
  it('skips offers that would change the request (snapped size, ignored negative prompt)', () => {
    const g = groupRows(sortRows([
      est('snap', '0.001', { fit: 1, notes: ['size snapped to 1536×1024'] }),
      est('neg', '0.002', { notes: ['negative prompt not supported — ignored'] }),
      est('exact', '0.003'),
    ]));
    expect(g.cheapest?.e.offer_id).toBe('exact');
  });
  it('never calls a 1024² result the cheapest way to 4096²', () => {
    const g = groupRows(sortRows([
      est('small', '0.001', { fit: 1, notes: ['size snapped to 1024×1024'] }),
      est('big', '0.08'),
    ]));
    expect(g.cheapest?.e.offer_id).toBe('big');
  });
  it('when nothing makes the size exactly, marks the cheapest of the closest', () => {
    const g = groupRows(sortRows([
      est('reshaped', '0.001', { fit: 2 }),
      est('same-shape', '0.004', { fit: 1 }),
      est('same-shape-dear', '0.009', { fit: 1 }),
    ]));
    expect(g.cheapest?.e.offer_id).toBe('same-shape');
  });
  it('passes over a provider cooling down, and says so in the row state', () => {
    const rows = sortRows([est('cool', '0.001', { cooling_down: 'openai failed repeatedly and is cooling down for 21 s' }), est('next', '0.002')]);
    expect(rows[0].state).toBe('cooling');
    expect(groupRows(rows).cheapest?.e.offer_id).toBe('next');
    expect(onlyUsable(rows).map((r) => r.e.offer_id)).toEqual(['next']);
  });
});

describe('cost table controls', () => {
  const rows = () => sortRows([
    est('b', '0.04', { display_name: 'Beta', provider: 'recraft' }),
    est('a', '0.0042', { display_name: 'Alpha', provider: 'openai', has_key: false }),
    est('x', '0.001', { supported: false, reason: 'no' }),
  ]);
  it('sorts by a column and keeps unsupported rows last', () => {
    expect(sortBy(rows(), 'name').map((r) => r.e.offer_id)).toEqual(['a', 'b', 'x']);
    expect(sortBy(rows(), 'price', 'desc').map((r) => r.e.offer_id)).toEqual(['b', 'a', 'x']);
    expect(sortBy(rows(), 'provider').map((r) => r.e.offer_id)).toEqual(['a', 'b', 'x']);
  });
  it('filters to offers I can use', () => {
    expect(onlyUsable(rows()).map((r) => r.e.offer_id)).toEqual(['b']);
  });
  it('marks rows over the remaining budget', () => {
    const [a, b] = rows();
    expect(overBudget(b, '0.01')).toBe(true);
    expect(overBudget(a, '0.01')).toBe(false);
    expect(overBudget(b, null)).toBe(false);
  });
  it('marks rows in the project chains', () => {
    expect(chainMark('o1', ['o0', 'o1'], ['o1'])).toBe('draft #2 · final #1');
    expect(chainMark('o9', ['o0'], [])).toBeNull();
  });
  it('tidies notes', () => {
    expect(tidyNotes(['sent as 10 calls of up to 1 image(s)', 'sent as 10 calls of up to 1 image(s)'])).toEqual(['sent as 10 calls of up to 1 image']);
  });
});

describe('unknown prices (issue 16: never $0)', () => {
  const unknown = (id: string, usd = '0', extra: Partial<OfferEstimate> = {}) =>
    est(id, usd, { price_known: false, price_source: 'unknown', provider: 'gateway', ...extra });

  it('shows "unknown", or the cap, in every price cell; never $0', () => {
    const [r] = sortRows([unknown('gateway:resell/their-model')]);
    for (const usd of [r.e.expected_usd, r.e.worst_case_usd, r.e.per_image_usd]) {
      expect(priceText(r, usd)).toBe('unknown');
    }
    const [capped] = sortRows([unknown('gateway:resell/their-model', '0.07')]);
    expect(priceText(capped, capped.e.expected_usd)).toBe('≤ $0.0700 cap');
    const [known] = sortRows([est('openai:gpt-image-2', '0.0334')]);
    expect(priceText(known, known.e.expected_usd)).toBe('$0.0334');
  });

  it('sorts unknown prices after every known one and never marks them cheapest', () => {
    const rows = sortRows([est('b', '0.04'), unknown('u'), unknown('capped', '0.001'), est('a', '0.01'),
      est('x', '0.001', { supported: false })]);
    expect(rows.map((r) => r.e.offer_id)).toEqual(['a', 'b', 'u', 'capped', 'x']);
    expect(groupRows(rows).cheapest?.e.offer_id).toBe('a');
    expect(groupRows(sortRows([unknown('u'), unknown('v', '0.02')])).cheapest).toBeNull();
  });
});

describe('input lines', () => {
  it('picks the lines that price input images out of a breakdown', () => {
    expect(inputLines([
      '1 image 1024×1024 high = $0.167',
      '3 reference images × 3,050 tokens at high fidelity = $0.0915',
      'input megapixels: 2 × $0.015 = $0.03',
      'mask region: flat $0.05',
      '1024×1024 medium → 439 image tokens × $30/M × 1 = $0.01317',
      'the image to edit + 1 reference image at low fidelity = $0.001352 (169 image-in tokens × $8/M)',
      'the image to expand: included in the price',
      'the image to upscale: included in the price',
      '4 credits × $0.01 per credit = $0.04',
    ])).toEqual(['3 reference images × 3,050 tokens at high fidelity = $0.0915', 'input megapixels: 2 × $0.015 = $0.03', 'mask region: flat $0.05', 'the image to edit + 1 reference image at low fidelity = $0.001352 (169 image-in tokens × $8/M)', 'the image to expand: included in the price', 'the image to upscale: included in the price']);
  });
});
