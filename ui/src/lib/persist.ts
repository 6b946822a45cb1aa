// Small, versioned localStorage snapshots so the window comes back as it was left
// (issue 12 §1.15): the canvas, recent prompts, job history and latest results.

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Reads `key`; anything missing, unparsable or rejected by `accept` gives `fallback`. */
export function loadJson<T>(key: string, fallback: T, accept: (v: unknown) => v is T): T {
  const raw = storage()?.getItem(key);
  if (!raw) return fallback;
  try {
    const v: unknown = JSON.parse(raw);
    return accept(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

/** Writes `value` as JSON; a full or missing storage is not an error worth showing. */
export function saveJson(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch {
    /* quota or private mode: the app still works, it just forgets */
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Most recent first, no duplicates (trimmed), at most `max`. */
export function pushRecent(list: string[], prompt: string, max = 12): string[] {
  const p = prompt.trim();
  if (!p) return list;
  return [p, ...list.filter((x) => x.trim() !== p)].slice(0, max);
}
