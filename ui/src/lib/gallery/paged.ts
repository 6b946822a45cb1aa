// Keyset-paged list with a window. A page continues from the one before it with the
// backend's keyset cursor; a page far from any fetched one (the scrollbar dragged to the
// end of 100,000 images, End) is read directly at its index with a jump cursor (`@<n>`),
// and the pages after it continue by keyset from there. Only the pages near the last
// requested index keep their items: a far page is dropped (its slots read `undefined`,
// shown as placeholders) but its start cursor and size are kept, so scrolling back
// refetches exactly that page. The image key of every index reached stays (a short
// string), so selection, Ctrl+A and "which index is open" work over what was reached.
//
// A data change (`refresh` with the same query) keeps the rows and the total on screen
// until the fresh first page and the rows around the view arrive, then swaps them in at
// once; a changed query clears at once. Every change bumps the epoch, so a late reply of
// a superseded request is dropped.
import type { GalleryItem, GalleryPage, GalleryQuery } from '../api';
import { imageKey } from './state.svelte';

export type Query = Omit<GalleryQuery, 'cursor' | 'limit'>;

/** The engine's largest page (`limit` is capped at 1000). */
export const MAX_PAGE = 1000;

/** Items kept either side of the requested index (100,000 loaded items cost ~50 MiB). */
export const KEEP_AROUND = 3000;

/** The cursor that reads a page from the `index`-th match on. */
export const jumpCursor = (index: number) => `@${index}`;

interface Segment {
  start: number;
  count: number;
  /** The cursor that fetched this page (null: the first page; `@n`: a jump). */
  cursor: string | null;
  /** The keyset cursor of the page after it (null: the list ended there). */
  next: string | null;
  loaded: boolean;
}

/** What a revalidation read: pages with their start indexes, and the total. */
interface Fresh {
  pages: { start: number; cursor: string | null; page: GalleryPage }[];
  total: number;
}

function sameQuery(a: Query, b: Query): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Query>;
  for (const k of keys) if ((a[k] ?? null) !== (b[k] ?? null)) return false;
  return true;
}

export class PagedList {
  /** One slot per index reached; `undefined` where not loaded (dropped, or jumped over). */
  items: (GalleryItem | undefined)[] = [];
  /** `imageKey` of every index reached, dropped or not (holes where jumped over). */
  keys: string[] = [];
  total = 0;
  done = false;
  loading = false;
  /** Dropped items that must stay at hand (selected or open): by image key. */
  pinned = new Map<string, GalleryItem>();
  private segments: Segment[] = [];
  /** Bumped by every reset and re-read: a reply of an older one is dropped. */
  private epoch = 0;
  /** Bumped by every reset (a re-read in progress then stops). */
  private resets = 0;
  private started = false;
  /** The range the view last showed or asked for. */
  private view = { from: 0, to: 0 };
  private refreshing: Promise<number> | null = null;
  private again = false;
  constructor(
    private fetchPage: (q: GalleryQuery) => Promise<GalleryPage>,
    private query: Query,
    private pageSize = 200,
    private onChange: () => void = () => undefined,
    private keepAround = KEEP_AROUND,
    private isPinned: (key: string) => boolean = () => false,
  ) {}

  /** Clears the list for `query` (what is on screen goes at once). */
  reset(query: Query) {
    this.query = query;
    this.items = [];
    this.keys = [];
    this.segments = [];
    this.pinned = new Map();
    this.total = 0;
    this.done = false;
    this.loading = false;
    this.started = false;
    this.refreshing = null;
    this.again = false;
    this.epoch++;
    this.resets++;
    this.onChange();
  }

  /**
   * Re-reads the list after a data change. The same query keeps the rows and the total
   * visible until the fresh ones arrive, then swaps them in one step; notices that come
   * while a re-read is waiting or running make one more re-read, not one each. A changed
   * query (or a list not started) clears and loads the first screen. Resolves with how
   * many places the first image in view moved (0 when it is gone or did not move), so
   * the view can keep it where it was.
   */
  refresh(query: Query): Promise<number> {
    if (!this.started || !sameQuery(query, this.query)) {
      this.reset(query);
      return this.ensureRange(0, 0).then(() => 0);
    }
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    const resets = this.resets;
    const run = (async () => {
      let moved = 0;
      do {
        // Notices in the same turn (two in a row) share this re-read.
        await Promise.resolve();
        this.again = false;
        if (resets !== this.resets) break;
        moved += await this.revalidate();
      } while (this.again);
      return moved;
    })();
    const done = run.finally(() => {
      if (this.refreshing === done) this.refreshing = null;
    });
    this.refreshing = done;
    return done;
  }

  /** The loaded (or pinned) item of an image key. */
  item(key: string): GalleryItem | undefined {
    const i = this.keys.indexOf(key);
    return (i >= 0 ? this.items[i] : undefined) ?? this.pinned.get(key);
  }

  /** The index of an image key among the indexes reached, else -1. */
  indexOf(key: string): number {
    return this.keys.indexOf(key);
  }

  /** Every loaded or pinned item (favourite/rating patches apply to these). */
  *held(): Iterable<GalleryItem> {
    for (const it of this.items) if (it) yield it;
    yield* this.pinned.values();
  }

  /** Records what the view shows (a re-read fetches around it). */
  see(from: number, to: number) {
    this.view = { from, to: Math.max(from, to) };
  }

  /** Loads pages until `index` is covered (or the list ends). */
  ensure(index: number): Promise<void> {
    return this.ensureRange(index, index);
  }

  /** Loads what [from, to] needs (refetching dropped pages) and drops pages far from it. */
  async ensureRange(from: number, to: number): Promise<void> {
    this.see(from, to);
    if (this.loading) return;
    const epoch = this.epoch;
    this.loading = true;
    try {
      for (const s of this.segments) {
        if (s.loaded || s.start > to || s.start + s.count <= from) continue;
        const page = await this.fetchPage({ ...this.query, cursor: s.cursor, limit: s.count });
        if (epoch !== this.epoch) return;
        this.fill(s, page.items);
        this.publish(from, to);
      }
      for (;;) {
        const last = this.started ? Math.min(to, this.total - 1) : to;
        const gap = this.firstGap(from, last);
        if (gap === null) break;
        const { start, cursor, limit } = this.readFor(gap, last);
        const page = await this.fetchPage({ ...this.query, cursor, limit });
        if (epoch !== this.epoch) return;
        this.started = true;
        const s: Segment = { start, count: page.items.length, cursor, next: page.next_cursor, loaded: false };
        if (s.count) this.insert(s);
        this.fill(s, page.items);
        this.total = Math.max(page.total, this.extent());
        if (!page.next_cursor) {
          // The list ends here (it may have shrunk since the total was read).
          this.done = true;
          this.total = start + s.count;
        }
        this.publish(from, to);
        if (!s.count) break;
      }
    } finally {
      if (epoch === this.epoch) this.loading = false;
    }
  }

  /** The first index in [from, to] no page covers, else null. */
  private firstGap(from: number, to: number): number | null {
    let at = Math.max(0, from);
    for (const s of this.segments) {
      if (s.start > at) break;
      at = Math.max(at, s.start + s.count);
    }
    return at <= to ? at : null;
  }

  /** What to read for a gap at `index` when [index, to] is wanted. On from the page before
   * it (or the top) when one page of at most `MAX_PAGE` reaches `to`, so no hole is left;
   * else a jump: straight to `index`, or a whole page before the page that follows it
   * (scrolling back up after a jump reads a page at a time, not a row). */
  private readFor(index: number, to: number): { start: number; cursor: string | null; limit: number } {
    let prev: Segment | undefined;
    for (const s of this.segments) if (s.start + s.count <= index) prev = s;
    const after = this.segments.find((s) => s.start > index);
    const end = prev ? prev.start + prev.count : 0;
    let start = index;
    if (to + 1 - end <= MAX_PAGE) start = end;
    else if (after) start = Math.max(end, Math.min(index, after.start - this.pageSize));
    // Far behind: bigger pages, fewer round trips, still whole multiples of the page size;
    // never over the page that follows (it is already known).
    const want = Math.max(1, Math.ceil((to + 1 - start) / this.pageSize)) * this.pageSize;
    const limit = Math.min(MAX_PAGE, want, after ? after.start - start : MAX_PAGE);
    if (start === end && !prev) return { start, cursor: null, limit };
    if (start === end && prev?.next) return { start, cursor: prev.next, limit };
    return { start, cursor: jumpCursor(start), limit };
  }

  private insert(s: Segment) {
    const at = this.segments.findIndex((x) => x.start > s.start);
    if (at < 0) this.segments.push(s);
    else this.segments.splice(at, 0, s);
  }

  /** One past the last index reached. */
  private extent(): number {
    const s = this.segments.at(-1);
    return s ? s.start + s.count : 0;
  }

  private fill(s: Segment, items: GalleryItem[]) {
    // A refetched page may come back shorter (images deleted meanwhile): the rest stay empty.
    for (let k = 0; k < Math.min(s.count, items.length); k++) {
      this.items[s.start + k] = items[k];
      this.keys[s.start + k] = imageKey(items[k]);
      this.pinned.delete(this.keys[s.start + k]);
    }
    s.loaded = true;
  }

  /** Drops pages wholly outside the window around [from, to], then tells the view. */
  private publish(from: number, to: number) {
    const lo = from - this.keepAround;
    const hi = to + this.keepAround;
    for (const s of this.segments) {
      if (!s.loaded || (s.start + s.count > lo && s.start <= hi)) continue;
      for (let i = s.start; i < s.start + s.count; i++) {
        const it = this.items[i];
        if (it && this.isPinned(this.keys[i])) this.pinned.set(this.keys[i], it);
        this.items[i] = undefined;
      }
      s.loaded = false;
    }
    // A new array so a derived view of it sees the change.
    this.items = this.items.slice();
    this.onChange();
  }

  /** One re-read of the same query: the first page and the rows around the view, then
   * one swap. Returns how far the first image in view moved. */
  private async revalidate(): Promise<number> {
    // A page in flight from before the change is dropped when it lands.
    const epoch = ++this.epoch;
    this.loading = true;
    try {
      const fresh = await this.readAround(this.view.from, this.view.to);
      if (epoch !== this.epoch) return 0;
      return this.swap(fresh);
    } finally {
      if (epoch === this.epoch) this.loading = false;
    }
  }

  private async readAround(from: number, to: number): Promise<Fresh> {
    const q = this.query;
    const first = this.fetchPage({ ...q, cursor: null, limit: this.pageSize });
    // Around the view (a page either side, for an image that moved a little), unless
    // the first page already covers it.
    const start = Math.max(0, from - this.pageSize);
    const end = Math.min(to + this.pageSize, Math.max(this.total, to + 1));
    if (end <= this.pageSize) {
      const page = await first;
      return { pages: [{ start: 0, cursor: null, page }], total: page.total };
    }
    const lo = Math.max(start, this.pageSize);
    const limit = Math.min(MAX_PAGE, Math.max(this.pageSize, end - lo));
    const [p0, p1] = await Promise.all([first, this.fetchPage({ ...q, cursor: jumpCursor(lo), limit })]);
    return { pages: [{ start: 0, cursor: null, page: p0 }, { start: lo, cursor: jumpCursor(lo), page: p1 }], total: p1.total };
  }

  private swap(fresh: Fresh): number {
    const anchor = this.keys[this.view.from];
    const old = { items: this.items, keys: this.keys, pinned: this.pinned };
    const items: (GalleryItem | undefined)[] = [];
    const keys: string[] = [];
    const segments: Segment[] = [];
    let done = false;
    let end = 0;
    for (const { start, cursor, page } of fresh.pages) {
      // A list shorter than the view now: a jump past its end reads nothing.
      if (!page.items.length) continue;
      const s: Segment = { start, count: page.items.length, cursor, next: page.next_cursor, loaded: true };
      segments.push(s);
      page.items.forEach((it, k) => {
        items[start + k] = it;
        keys[start + k] = imageKey(it);
      });
      end = start + s.count;
      if (!page.next_cursor) done = true;
    }
    // The open and selected images stay at hand when they are not among the fresh rows.
    const present = new Set(keys.filter(Boolean));
    const pinned = new Map<string, GalleryItem>();
    const keep = (k: string | undefined, it: GalleryItem | undefined) => {
      if (k && it && !present.has(k) && this.isPinned(k)) pinned.set(k, it);
    };
    old.items.forEach((it, i) => keep(old.keys[i], it));
    for (const [k, it] of old.pinned) keep(k, it);
    this.items = items;
    this.keys = keys;
    this.segments = segments;
    this.pinned = pinned;
    this.total = done ? end : Math.max(fresh.total, end);
    this.done = done;
    this.started = true;
    this.onChange();
    if (anchor === undefined) return 0;
    const now = keys.indexOf(anchor);
    return now >= 0 ? now - this.view.from : 0;
  }
}
