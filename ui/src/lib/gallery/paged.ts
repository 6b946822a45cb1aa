// Keyset-paged list: pages are fetched in order with the backend's cursor until the
// requested index is loaded. A new query bumps the epoch so late pages are dropped.
import type { GalleryItem, GalleryPage, GalleryQuery } from '../api';

export type Query = Omit<GalleryQuery, 'cursor' | 'limit'>;

/** The engine's largest page (`limit` is capped at 1000). */
export const MAX_PAGE = 1000;

export class PagedList {
  items: GalleryItem[] = [];
  total = 0;
  done = false;
  loading = false;
  private cursor: string | null = null;
  private epoch = 0;
  private started = false;
  constructor(
    private fetchPage: (q: GalleryQuery) => Promise<GalleryPage>,
    private query: Query,
    private pageSize = 200,
    private onChange: () => void = () => undefined,
  ) {}

  reset(query: Query) {
    this.query = query;
    this.items = [];
    this.total = 0;
    this.done = false;
    this.loading = false;
    this.cursor = null;
    this.started = false;
    this.epoch++;
    this.onChange();
  }

  /** Loads pages until `index` is covered (or the list ends). */
  async ensure(index: number): Promise<void> {
    if (this.loading) return;
    const epoch = this.epoch;
    this.loading = true;
    try {
      while (!this.done && (this.items.length <= index || !this.started)) {
        // Far behind (a jump to the end of 100,000 images): bigger pages, fewer round trips,
        // still whole multiples of the page size so near jumps fetch what they did before.
        const behind = index + 1 - this.items.length;
        const limit = Math.min(MAX_PAGE, Math.max(1, Math.ceil(behind / this.pageSize)) * this.pageSize);
        const page = await this.fetchPage({ ...this.query, cursor: this.cursor, limit });
        if (epoch !== this.epoch) return;
        this.started = true;
        this.items = this.items.concat(page.items);
        this.total = Math.max(page.total, this.items.length);
        this.cursor = page.next_cursor;
        this.done = !page.next_cursor || page.items.length === 0;
        this.onChange();
      }
    } finally {
      if (epoch === this.epoch) this.loading = false;
    }
  }
}
