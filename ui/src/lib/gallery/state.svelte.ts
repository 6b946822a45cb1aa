import type { Tier } from '../api';
import type { Query } from './paged';

export interface Filters {
  project: string;
  board: string;
  provider: string;
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

class GalleryState {
  filters = $state<Filters>(emptyFilters());
  selected = $state<string[]>([]);
  anchor = $state<number | null>(null);
  detailId = $state<string | null>(null);
  comparing = $state(false);
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
