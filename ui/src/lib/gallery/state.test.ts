import { describe, expect, it } from 'vitest';
import { generationOf, imageKey, imageOf, paramsToForm, patchItems } from './state.svelte';
import { SIZE_PRESETS } from '../canvas/params';
import type { GalleryItem } from '../api';

const item = (gid: string, idx: number, extra: Partial<GalleryItem> = {}): GalleryItem => ({
  generation_id: gid, image: { path: `/d/${gid}-${idx}.png`, thumb_path: null, hash: `h${idx}`, width: 8, height: 8, mime: 'image/png', seed: null },
  prompt: 'p', project: 'P', provider: 'openai', model: 'm', tier: 'draft', cost_usd: '0.03', created_at: '', favourite: false, rating: 0,
  image_index: idx, image_count: 3, ...extra,
});

describe('per-image gallery (issue 12 §1.5)', () => {
  it('keys each variation separately', () => {
    expect(imageKey(item('g1', 2))).toBe('g1#2');
    expect(generationOf('g1#2')).toBe('g1');
  });
  it('opens the image that was clicked, not the first', () => {
    const d = { images: [0, 1, 2].map((i) => item('g1', i).image) };
    expect(imageOf(d, 'g1#2').index).toBe(2);
    expect(imageOf(d, 'g1#1', '/d/g1-2.png').index).toBe(2);
    expect(imageOf(d, 'g1#9').index).toBe(0);
    expect(imageOf(d, null).index).toBe(0);
  });
  it('patches only the chosen variation', () => {
    const items = [item('g1', 0), item('g1', 1), item('g2', 0)];
    expect(patchItems(items, ['g1#1'], { favourite: true, rating: 4 })).toBe(1);
    expect(items.map((i) => [i.favourite, i.rating])).toEqual([[false, 0], [true, 4], [false, 0]]);
  });
  it('sends an image back to the canvas with its parameters', () => {
    const f = paramsToForm({ prompt: 'fox', negative_prompt: 'text', width: 1536, height: 1024, quality: 'high', n: 3, steps: null, seed: 7 }, SIZE_PRESETS);
    expect(f).toMatchObject({ prompt: 'fox', negative: 'text', size: '1536x1024', quality: 'high', seed: 7, seedLocked: true, n: 1 });
    expect(paramsToForm({ prompt: 'x', negative_prompt: null, width: 640, height: 480, quality: null, n: 1, steps: 20, seed: null }, SIZE_PRESETS))
      .toMatchObject({ size: 'custom', customW: 640, customH: 480, quality: 'auto', steps: 20, seedLocked: false });
  });
});
