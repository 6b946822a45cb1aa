import { describe, expect, it } from 'vitest';
import { MAX_PAGE, PagedList } from './paged';
import type { GalleryPage, GalleryQuery } from '../api';

function source(total: number) {
  const limits: number[] = [];
  const fetch = async (q: GalleryQuery): Promise<GalleryPage> => {
    limits.push(q.limit);
    const start = q.cursor ? Number(q.cursor) : 0;
    const end = Math.min(total, start + q.limit);
    const items = Array.from({ length: end - start }, (_, i) => ({ generation_id: `g${start + i}` }) as unknown as GalleryPage['items'][number]);
    return { items, total, next_cursor: end < total ? String(end) : null };
  };
  return { fetch, limits };
}

describe('PagedList', () => {
  it('fetches the first screen with small pages', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(60);
    expect(s.limits).toEqual([200]);
    expect(list.items.length).toBe(200);
    expect(list.total).toBe(100_000);
  });

  it('catches up to a far index in pages of up to 1000, in order, and stops at the end', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(0);
    await list.ensure(99_999);
    expect(list.items.length).toBe(100_000);
    expect(list.done).toBe(true);
    expect(Math.max(...s.limits)).toBe(MAX_PAGE);
    // 1 small page, then 100 large ones instead of 500 small ones.
    expect(s.limits.length).toBeLessThanOrEqual(101);
    expect(list.items.map((i) => i.generation_id).slice(99_998)).toEqual(['g99998', 'g99999']);
  });
});
