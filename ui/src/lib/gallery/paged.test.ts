import { describe, expect, it } from 'vitest';
import { MAX_PAGE, PagedList } from './paged';
import type { GalleryPage, GalleryQuery } from '../api';

type Item = GalleryPage['items'][number];

/** A list of `total` images named g0, g1, …; a keyset cursor is the next index, `@n` a jump. */
function source(total: number) {
  const limits: number[] = [];
  const cursors: (string | null)[] = [];
  let names = Array.from({ length: total }, (_, i) => `g${i}`);
  let gate: Promise<void> | null = null;
  const fetch = async (q: GalleryQuery): Promise<GalleryPage> => {
    limits.push(q.limit);
    cursors.push(q.cursor ?? null);
    // Read when asked (as the engine does), answered when the gate opens.
    const now = names;
    const start = !q.cursor ? 0 : Number(q.cursor.startsWith('@') ? q.cursor.slice(1) : q.cursor);
    const end = Math.min(now.length, start + q.limit);
    const items = now.slice(start, end).map((generation_id) => ({ generation_id }) as unknown as Item);
    if (gate) await gate;
    return { items, total: now.length, next_cursor: end < now.length ? String(end) : null };
  };
  return {
    fetch,
    limits,
    cursors,
    /** New images land at the top (a generation finished, a team catch-up). */
    add: (n: number, tag = 'new') => (names = [...Array.from({ length: n }, (_, i) => `${tag}${i}`), ...names]),
    /** Replies wait until the returned function is called. */
    hold: () => {
      let open = () => undefined as void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

const ids = (l: PagedList, from: number, to: number) => l.items.slice(from, to).map((i) => i?.generation_id);
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('PagedList', () => {
  it('fetches the first screen with small pages', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(60);
    expect(s.limits).toEqual([200]);
    expect(list.items.length).toBe(200);
    expect(list.total).toBe(100_000);
  });

  it('reads a near index on from the page before it, in one page of up to 1000', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(0);
    await list.ensure(900);
    expect(s.cursors).toEqual([null, '200']);
    expect(s.limits).toEqual([200, 800]);
    expect(ids(list, 0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => `g${i}`));
  });

  it('jumps to index 99,990 with one fetch there, not a walk from the top', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(0);
    await list.ensureRange(99_990, 99_999);
    // One fetch, at the target (the old list walked ~100 pages of 1000 to get there).
    expect(s.cursors).toEqual([null, '@99990']);
    expect(ids(list, 99_990, 100_000)).toEqual(Array.from({ length: 10 }, (_, i) => `g${99_990 + i}`));
    expect(list.total).toBe(100_000);
    expect(list.done).toBe(true);
    // The indexes jumped over have no key and no item; the ones reached keep theirs.
    expect(list.items[50_000]).toBeUndefined();
    expect(list.indexOf('g99995#0')).toBe(99_995);
    expect(list.indexOf('g5#0')).toBe(5);
  });

  it('goes on by keyset after a jump, and back up a page at a time', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, {} as never, 200);
    await list.ensure(0);
    await list.ensureRange(50_000, 50_060);
    await list.ensureRange(50_060, 50_300);
    expect(s.cursors).toEqual([null, '@50000', '50200']);
    // One row up from the jump: a whole page that ends where the jump began.
    await list.ensureRange(49_994, 50_050);
    expect(s.cursors.at(-1)).toBe('@49800');
    expect(s.limits.at(-1)).toBe(200);
    expect(ids(list, 49_800, 50_400)).toEqual(Array.from({ length: 600 }, (_, i) => `g${49_800 + i}`));
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
    // Every index reached keeps its key: selection and "which one is open" still work.
    expect(list.indexOf('g5#0')).toBe(5);
    expect(list.indexOf('g99999#0')).toBe(99_999);
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

describe('PagedList refresh (a data change)', () => {
  const q = { favourites_only: false } as never;

  async function loaded(total = 100_000, onChange?: () => void, isPinned?: (k: string) => boolean) {
    const s = source(total);
    const list = new PagedList(s.fetch, q, 200, onChange, 3000, isPinned);
    await list.refresh(q);
    return { s, list };
  }

  it('keeps the rows and the total on screen until the reply, then swaps them in one step', async () => {
    let changes = 0;
    const { s, list } = await loaded(100_000, () => changes++);
    s.add(1);
    const release = s.hold();
    const done = list.refresh({ favourites_only: false } as never);
    await tick();
    // Nothing blank while the engine answers: the same rows, the same total.
    expect(list.total).toBe(100_000);
    expect(ids(list, 0, 3)).toEqual(['g0', 'g1', 'g2']);
    expect(list.items.length).toBe(200);
    const before = changes;
    release();
    await done;
    expect(changes).toBe(before + 1);
    expect(list.total).toBe(100_001);
    expect(ids(list, 0, 3)).toEqual(['new0', 'g0', 'g1']);
  });

  it('clears at once for a changed query', async () => {
    const { s, list } = await loaded();
    const release = s.hold();
    const done = list.refresh({ favourites_only: true } as never);
    expect(list.items.length).toBe(0);
    expect(list.total).toBe(0);
    release();
    await done;
    expect(list.total).toBe(100_000);
  });

  it('makes one re-read of two notices in a row', async () => {
    const { s, list } = await loaded();
    const calls = s.cursors.length;
    await Promise.all([list.refresh(q), list.refresh(q)]);
    expect(s.cursors.slice(calls)).toEqual([null]);
  });

  it('makes one more re-read, not one each, of the notices that come during one', async () => {
    const { s, list } = await loaded();
    const calls = s.cursors.length;
    const release = s.hold();
    const first = list.refresh(q);
    await tick();
    s.add(3);
    const later = [list.refresh(q), list.refresh(q), list.refresh(q)];
    release();
    await Promise.all([first, ...later]);
    expect(s.cursors.slice(calls)).toEqual([null, null]);
    expect(list.total).toBe(100_003);
    expect(ids(list, 0, 4)).toEqual(['new0', 'new1', 'new2', 'g0']);
  });

  /** `source`, but each reply waits until the test answers that request. */
  function manual(total: number) {
    const s = source(total);
    const waiting: { cursor: string | null; answer: () => Promise<void> }[] = [];
    const fetch = (q: GalleryQuery) =>
      new Promise<GalleryPage>((resolve) => {
        const reply = s.fetch(q);
        waiting.push({ cursor: q.cursor ?? null, answer: () => reply.then(resolve).then(tick) });
      });
    return { ...s, fetch, waiting };
  }

  it('drops a late reply from before a change: the fresh rows stay', async () => {
    const s = manual(1000);
    const list = new PagedList(s.fetch, q, 200);
    const first = list.refresh(q);
    await s.waiting[0].answer();
    await first;
    // A page asked for before the change…
    const old = list.ensureRange(300, 500);
    expect(s.waiting).toHaveLength(2);
    s.add(5);
    const fresh = list.refresh(q);
    await tick();
    // …the re-read's replies (the first page, the rows around the view) come first…
    expect(s.waiting.slice(2).map((w) => w.cursor)).toEqual([null, '@200']);
    await s.waiting[2].answer();
    await s.waiting[3].answer();
    await fresh;
    expect(ids(list, 300, 302)).toEqual(['g295', 'g296']);
    // …and the old page's last: it is dropped, not written over them.
    await s.waiting[1].answer();
    await old;
    expect(ids(list, 300, 302)).toEqual(['g295', 'g296']);
    expect(list.total).toBe(1005);
  });

  it('drops a late reply of a re-read that a changed query superseded', async () => {
    const s = manual(1000);
    const list = new PagedList(s.fetch, q, 200);
    const first = list.refresh(q);
    await s.waiting[0].answer();
    await first;
    // A re-read asks (and the engine reads the rows as they are then)…
    const stale = list.refresh(q);
    await tick();
    expect(s.waiting).toHaveLength(2);
    // …then images arrive and the designer changes the filter.
    s.add(2);
    const changed = list.refresh({ favourites_only: true } as never);
    expect(s.waiting).toHaveLength(3);
    await s.waiting[2].answer();
    await changed;
    expect(list.total).toBe(1002);
    expect(ids(list, 0, 3)).toEqual(['new0', 'new1', 'g0']);
    // The superseded re-read's reply lands last and changes nothing.
    await s.waiting[1].answer();
    await stale;
    expect(list.total).toBe(1002);
    expect(ids(list, 0, 3)).toEqual(['new0', 'new1', 'g0']);
  });

  it('keeps the open and selected images at hand across a re-read', async () => {
    const pinned = new Set(['g900#0', 'g1000#0']);
    const s = source(100_000);
    const list = new PagedList(s.fetch, q, 200, undefined, 3000, (k) => pinned.has(k));
    await list.refresh(q);
    await list.ensure(1000);
    await list.ensureRange(50_000, 50_060);
    // g900 was dropped with its page (pinned), g1000's page too; the re-read reads
    // neither (the first page and the rows around 50,000), yet both stay at hand.
    await list.refresh(q);
    expect(list.items[900]).toBeUndefined();
    expect(list.item('g900#0')?.generation_id).toBe('g900');
    expect(list.item('g1000#0')?.generation_id).toBe('g1000');
    expect(list.item('g901#0')).toBeUndefined();
  });

  it('tells the view how far the image in view moved, so it can stay where it was', async () => {
    const s = source(100_000);
    const list = new PagedList(s.fetch, q, 200);
    await list.refresh(q);
    await list.ensureRange(5000, 5060);
    s.add(12);
    const moved = await list.refresh(q);
    expect(moved).toBe(12);
    expect(ids(list, 5012, 5014)).toEqual(['g5000', 'g5001']);
    // The rows around the view were read at once: nothing there is a placeholder.
    expect(ids(list, 4950, 5100).every(Boolean)).toBe(true);
  });
});
