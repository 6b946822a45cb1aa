import { describe, expect, it } from 'vitest';
import { columnsFor, visibleWindow } from './virtual';
import { PagedList } from './paged';
import { createFakeBackend } from '../api/fake';

const g = { width: 1200, cell: 168, gap: 8, caption: 34 };

describe('gallery virtualization', () => {
  it('fits columns to the width', () => {
    expect(columnsFor(g)).toBe(6);
    expect(columnsFor({ ...g, width: 100 })).toBe(1);
  });

  it('renders only the visible rows plus overscan at 100,000 images', () => {
    const w = visibleWindow(100_000, 2_000_000, 800, g, 3);
    expect(w.columns).toBe(6);
    expect(w.totalHeight).toBe(Math.ceil(100_000 / 6) * 210);
    expect(w.end - w.start).toBeLessThanOrEqual((Math.ceil(800 / 210) + 1 + 6) * 6);
    expect(w.offsetY).toBe(w.firstRow * 210);
    expect(w.start).toBe(w.firstRow * 6);
  });

  it('clamps at the end and handles an empty gallery', () => {
    const w = visibleWindow(100, 1e9, 800, g);
    expect(w.end).toBe(100);
    const e = visibleWindow(0, 0, 800, g);
    expect(e.start).toBe(0);
    expect(e.end).toBe(0);
    expect(e.totalHeight).toBe(0);
  });

  it('loads keyset pages in order until an index is covered, and drops pages of an old query', async () => {
    const b = createFakeBackend({ galleryCount: 1000 });
    const list = new PagedList((q) => b.galleryPage(q), { favourites_only: false }, 100);
    await list.ensure(250);
    expect(list.items.length).toBe(300);
    expect(list.total).toBe(1000);
    expect(new Set(list.items.map((i) => i?.generation_id)).size).toBe(300);
    const pending = list.ensure(900);
    list.reset({ favourites_only: false, search: 'coffee' });
    await pending;
    expect(list.items.length).toBe(0);
    await list.ensure(0);
    expect(list.items.every((i) => i?.prompt.includes('coffee'))).toBe(true);
  });
});
