import type { GalleryItem, GenerationDetail, OfferProvider, RequestParams, Tier } from '../api';
import { isObject, loadJson, saveJson } from '../persist';
import type { Query } from './paged';

export interface Filters {
  project: string;
  board: string;
  provider: '' | OfferProvider;
  tier: '' | Tier;
  from: string;
  to: string;
  favourites: boolean;
  minRating: number;
  search: string;
}

export function emptyFilters(): Filters {
  return { project: '', board: '', provider: '', tier: '', from: '', to: '', favourites: false, minRating: 0, search: '' };
}

/** Form filters → the backend query (dates become inclusive RFC 3339 bounds). */
export function toQuery(f: Filters): Query {
  return {
    project: f.project || null,
    board: f.board || null,
    provider: f.provider || null,
    tier: f.tier || null,
    from: f.from ? `${f.from}T00:00:00Z` : null,
    to: f.to ? `${f.to}T23:59:59.999Z` : null,
    favourites_only: f.favourites,
    min_rating: f.minRating || null,
    search: f.search.trim() || null,
  };
}

/** One image of a generation: `<generation id>#<index>` (what the backend's actions take). */
export function imageKey(it: Pick<GalleryItem, 'generation_id' | 'image_index'>): string {
  return `${it.generation_id}#${it.image_index ?? 0}`;
}

export function generationOf(key: string): string {
  return key.split('#')[0];
}

/** The image of a detail that a key names (its index, else the first). */
export function imageOf(d: Pick<GenerationDetail, 'images'>, key: string | null, path?: string | null) {
  if (path) {
    const byPath = d.images.find((i) => i.path === path);
    if (byPath) return { image: byPath, index: d.images.indexOf(byPath) };
  }
  const n = key ? Number(key.split('#')[1] ?? 0) : 0;
  const index = Number.isInteger(n) && n >= 0 && n < d.images.length ? n : 0;
  return { image: d.images[index], index };
}

/** Applies a change to the loaded tiles at once (favourite, rating), so the grid never lags. */
export function patchItems(items: GalleryItem[], keys: string[], patch: Partial<Pick<GalleryItem, 'favourite' | 'rating'>>): number {
  let n = 0;
  for (const it of items) {
    if (keys.includes(imageKey(it)) || keys.includes(it.generation_id)) {
      Object.assign(it, patch);
      n++;
    }
  }
  return n;
}

/** The Canvas form a gallery image's parameters give back ("Send to Canvas"). */
export function paramsToForm(p: RequestParams, presets: readonly { id: string }[]) {
  const size = `${p.width}x${p.height}`;
  const preset = presets.some((s) => s.id === size);
  return {
    prompt: p.prompt,
    negative: p.negative_prompt ?? '',
    size: preset ? size : 'custom',
    customW: p.width,
    customH: p.height,
    quality: p.quality ?? 'auto',
    steps: p.steps ?? null,
    seed: p.seed ?? 42,
    seedLocked: p.seed != null,
    n: 1,
  };
}

const THUMB_KEY = 'proofsheet.gallery.v1';
export const THUMB_MIN = 120;
export const THUMB_MAX = 360;

class GalleryState {
  filters = $state<Filters>(emptyFilters());
  /** Image keys (`imageKey`), not generations: a pick of 3 variations is 3 images. */
  selected = $state<string[]>([]);
  anchor = $state<number | null>(null);
  /** The generation open in the detail panel, and which of its images. */
  detailId = $state<string | null>(null);
  detailKey = $state<string | null>(null);
  comparing = $state(false);
  viewing = $state(false);
  /** Thumbnail size in px (slider; saved). */
  thumb = $state(168);
  /** Bumped when boards change so the filter lists them at once. */
  boardsVersion = $state(0);

  /** True until the designer moves the slider: the tile size then follows the window. */
  private thumbAuto = true;

  constructor() {
    const s = loadJson<Record<string, unknown>>(THUMB_KEY, {}, isObject);
    if (typeof s.thumb === 'number' && s.thumb >= THUMB_MIN && s.thumb <= THUMB_MAX) {
      this.thumb = s.thumb;
      this.thumbAuto = false;
    } else this.fitThumb(globalThis.innerWidth ?? 0);
  }

  /** A large window gets larger tiles (and back) until the designer picks a size. */
  fitThumb(windowWidth: number) {
    if (this.thumbAuto) this.thumb = windowWidth >= 2000 ? 248 : 168;
  }

  setThumb(px: number) {
    this.thumbAuto = false;
    this.thumb = Math.min(THUMB_MAX, Math.max(THUMB_MIN, Math.round(px)));
    saveJson(THUMB_KEY, { thumb: this.thumb });
  }

  open(key: string | null) {
    this.detailKey = key;
    this.detailId = key ? generationOf(key) : null;
  }
}

export const gallery = new GalleryState();

/** Click / Ctrl-click / Shift-click selection over the ordered ids. */
export function selectWith(current: string[], ids: string[], index: number, anchor: number | null, mods: { ctrl: boolean; shift: boolean }): string[] {
  const id = ids[index];
  if (id === undefined) return current;
  if (mods.shift && anchor !== null) {
    const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
    const range = ids.slice(a, b + 1).filter(Boolean);
    const merged = [...(mods.ctrl ? current : []), ...range];
    return merged.filter((x, i) => merged.indexOf(x) === i);
  }
  if (mods.ctrl) return current.includes(id) ? current.filter((x) => x !== id) : [...current, id];
  return [id];
}
