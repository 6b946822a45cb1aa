// Keyset-paged list with a window: pages are fetched in order with the backend's cursor,
// and only the pages near the last requested index keep their items. A far page is
// dropped (its slots read `undefined`, shown as placeholders) but its start cursor and
// size are kept, so scrolling back refetches exactly that page. The image key of every
// index reached stays (a short string), so selection, Ctrl+A and "which index is open"
// work over the whole list. A new query bumps the epoch so late pages are dropped.
import type { GalleryItem, GalleryPage, GalleryQuery } from '../api';
import { imageKey } from './state.svelte';

export type Query = Omit<GalleryQuery, 'cursor' | 'limit'>;

/** The engine's largest page (`limit` is capped at 1000). */
export const MAX_PAGE = 1000;

/** Items kept either side of the requested index (100,000 loaded items cost ~50 MiB). */
export const KEEP_AROUND = 3000;

interface Segment {
  start: number;
  count: number;
  /** The cursor that fetched this page (null: the first page). */
  cursor: string | null;
  loaded: boolean;
}

export class PagedList {
  /** One slot per index reached; `undefined` where the page was dropped. */
  items: (GalleryItem | undefined)[] = [];
  /** `imageKey` of every index reached, dropped or not. */
  keys: string[] = [];
  total = 0;
  done = false;
  loading = false;
  /** Dropped items that must stay at hand (selected or open): by image key. */
  pinned = new Map<string, GalleryItem>();
  private segments: Segment[] = [];
  private cursor: string | null = null;
  private epoch = 0;
  private started = false;
  constructor(
    private fetchPage: (q: GalleryQuery) => Promise<GalleryPage>,
    private query: Query,
    private pageSize = 200,
    private onChange: () => void = () => undefined,
    private keepAround = KEEP_AROUND,
    private isPinned: (key: string) => boolean = () => false,
  ) {}

  reset(query: Query) {
    this.query = query;
    this.items = [];
    this.keys = [];
    this.segments = [];
    this.pinned = new Map();
    this.total = 0;
    this.done = false;
    this.loading = false;
    this.cursor = null;
    this.started = false;
    this.epoch++;
    this.onChange();
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

  /** Loads pages until `index` is covered (or the list ends). */
  ensure(index: number): Promise<void> {
    return this.ensureRange(index, index);
  }

  /** Loads what [from, to] needs (refetching dropped pages) and drops pages far from it. */
  async ensureRange(from: number, to: number): Promise<void> {
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
      while (!this.done && (this.items.length <= to || !this.started)) {
        // Far behind (a jump to the end of 100,000 images): bigger pages, fewer round trips,
        // still whole multiples of the page size so near jumps fetch what they did before.
        const behind = to + 1 - this.items.length;
        const limit = Math.min(MAX_PAGE, Math.max(1, Math.ceil(behind / this.pageSize)) * this.pageSize);
        const page = await this.fetchPage({ ...this.query, cursor: this.cursor, limit });
        if (epoch !== this.epoch) return;
        this.started = true;
        const s: Segment = { start: this.items.length, count: page.items.length, cursor: this.cursor, loaded: false };
        if (s.count) this.segments.push(s);
        this.fill(s, page.items);
        this.total = Math.max(page.total, this.items.length);
        this.cursor = page.next_cursor;
        this.done = !page.next_cursor || page.items.length === 0;
        this.publish(from, to);
      }
    } finally {
      if (epoch === this.epoch) this.loading = false;
    }
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
}
