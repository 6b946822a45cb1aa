import { backend } from '../api';
import type { GalleryPage, GalleryQuery } from '../api';
import { app } from '../app/state.svelte';

/**
 * The gallery's first page, asked for while the window is idle after start-up, so the
 * Gallery opens on it instead of waiting for the page and its thumbnails (issue 17).
 * Used once, and only for the very query the screen asks first with nothing changed
 * in between (a data-change notice moves `app.dataVersion`).
 */
let ready: { key: string; version: number; page: Promise<GalleryPage> } | null = null;

const keyOf = (q: GalleryQuery) => JSON.stringify(q);

export function prefetchFirstPage(q: GalleryQuery, warmThumbs = 24): void {
  const page = backend().galleryPage(q);
  const entry = { key: keyOf(q), version: app.dataVersion, page };
  ready = entry;
  page.then(
    (p) => {
      // Decoded into the webview's memory cache, so the first tiles paint at once.
      for (const it of p.items.slice(0, warmThumbs)) {
        const img = new Image();
        img.src = backend().imageUrl(it.image.thumb_path ?? it.image.path);
      }
    },
    () => {
      if (ready === entry) ready = null;
    },
  );
}

/** The prefetched page when `q` is what was prefetched and nothing changed since. */
export function takePrefetched(q: GalleryQuery): Promise<GalleryPage> | null {
  const r = ready;
  ready = null;
  return r && r.key === keyOf(q) && r.version === app.dataVersion ? r.page : null;
}
