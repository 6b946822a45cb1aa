import { describe, expect, it } from 'vitest';
import type { GenerationResult } from '../api';
import { stripThumbs } from './results';

function result(id: string, hashes: string[], cost: string, dedup = false): { result: GenerationResult; label: string } {
  return {
    label: 'Draft',
    result: {
      generation_id: id, status: dedup ? 'reused' : 'succeeded', dedup_hit: dedup, cost_usd: cost, saved_usd: '0',
      images: hashes.map((hash) => ({ path: `/img/${hash}.png`, thumb_path: null, hash, width: 1024, height: 1024, mime: 'image/png', seed: null })),
      attempts: [], error: null, budget_warning: null, unconfirmed_usd: '0',
    },
  };
}

describe('latest results strip', () => {
  it('shows a reused image once, as the original with its cost (no $0.00 twin)', () => {
    const t = stripThumbs([result('reuse', ['a'], '0', true), result('orig', ['a'], '0.0033'), result('other', ['b'], '0.0022')]);
    expect(t.map((x) => x.id)).toEqual(['orig#0', 'other#0']);
    expect(t[0].cost).toBe('0.0033');
  });
  it('keeps a reuse whose original is no longer in the strip, once', () => {
    const t = stripThumbs([result('r2', ['old'], '0', true), result('r1', ['old'], '0', true)]);
    expect(t.map((x) => x.id)).toEqual(['r2#0']);
  });
});
