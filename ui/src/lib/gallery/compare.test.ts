import { describe, expect, it } from 'vitest';
import { compareRows } from './compare';
import type { GalleryItem, GenerationDetail } from '../api';

const item = (over: Partial<GalleryItem>): GalleryItem => ({
  generation_id: 'g', image_index: 0, image_count: 1, project: 'P', prompt: 'a pier', tier: 'draft',
  provider: 'openai', model: 'gpt-image-1-mini', cost_usd: '0.01', favourite: false, rating: 0, created_at: '2026-11-29T08:00:00Z',
  image: { path: '/x.png', thumb_path: null, hash: 'h', width: 1024, height: 1024, mime: 'image/png', seed: null },
  ...over,
} as GalleryItem);
const detail = (params: Partial<GenerationDetail['params']>): GenerationDetail => ({
  params: { prompt: 'a pier', negative_prompt: null, width: 1024, height: 1024, quality: 'low', n: 1, steps: null, seed: null, ...params },
  images: [],
} as unknown as GenerationDetail);

describe('compare rows (issue 12 §3.5)', () => {
  it('marks exactly the parameters that differ', () => {
    const items = [item({}), item({ generation_id: 'h', image: { ...item({}).image, seed: 42 } })];
    const rows = compareRows(items, [detail({}), detail({ quality: 'high' })], (it) => it.model);
    const differs = rows.filter((r) => r.differs).map((r) => r.label);
    expect(differs).toEqual(['Quality', 'Seed']);
    expect(rows.find((r) => r.label === 'Seed')!.values).toEqual(['random', '42']);
  });

  it('waits for details without claiming a difference', () => {
    const rows = compareRows([item({}), item({})], [null, null], (it) => it.model);
    expect(rows.find((r) => r.label === 'Quality')!.values).toEqual(['…', '…']);
    expect(rows.some((r) => r.differs)).toBe(false);
  });
});
