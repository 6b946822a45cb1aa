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
    expect(list.items.slice(99_998).map((i) => i?.generation_id)).toEqual(['g99998', 'g99999']);
  });
});

describe('PagedList window', () => {
  const held = (l: PagedList) => l.items.filter(Boolean).length;

  it('keeps only the pages near the requested index after a jump to the end', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200, undefined, 3000);
    await list.ensure(0);
    await list.ensure(99_999);
    expect(list.items.length).toBe(100_000);
    expect(list.total).toBe(100_000);
    // The window (3000 either side, in whole pages) and nothing else.
    expect(held(list)).toBeLessThanOrEqual(3000 + MAX_PAGE);
    expect(list.items[0]).toBeUndefined();
    expect(list.items[99_999]?.generation_id).toBe('g99999');
    // Every index keeps its key: selection and "which one is open" still work.
    expect(list.keys.length).toBe(100_000);
    expect(list.indexOf('g5#0')).toBe(5);
  });

  it('refetches a dropped page with its own cursor and size when scrolled back', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200, undefined, 3000);
    await list.ensure(0);
    await list.ensure(99_999);
    const calls = s.limits.length;
    await list.ensureRange(0, 60);
    expect(s.limits.length).toBe(calls + 1);
    expect(s.limits.at(-1)).toBe(200);
    expect(list.items.slice(0, 200).map((i) => i?.generation_id)).toEqual(Array.from({ length: 200 }, (_, i) => `g${i}`));
    // …and the far end is dropped in turn.
    expect(list.items[99_999]).toBeUndefined();
    expect(held(list)).toBeLessThanOrEqual(3000 + MAX_PAGE);
  });

  it('keeps a dropped item that is selected or open at hand', async () => {
    const s = source(100_000);
    const pinned = new Set(['g3#0']);
    const list = new PagedList(s.fetch, {} as never, 200, undefined, 3000, (k) => pinned.has(k));
    await list.ensure(0);
    await list.ensure(50_000);
    expect(list.items[3]).toBeUndefined();
    expect(list.item('g3#0')?.generation_id).toBe('g3');
    expect(list.item('g4#0')).toBeUndefined();
    expect([...list.held()].some((i) => i.generation_id === 'g3')).toBe(true);
  });

  it('gives the view a new array on every change', async () => {
    const s = source(1000);
    let changes = 0;
    const list = new PagedList(s.fetch, {} as never, 200, () => changes++);
    await list.ensure(0);
    const first = list.items;
    await list.ensure(500);
    expect(list.items).not.toBe(first);
    expect(changes).toBeGreaterThanOrEqual(2);
  });
});
