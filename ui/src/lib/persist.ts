// Small, versioned localStorage snapshots so the window comes back as it was left
// (issue 12 §1.15): the canvas, recent prompts, job history and latest results.
// WebKit writes its storage to disk late (a quit right after typing lost the prompt), so
// every save is mirrored to a file in the library folder, restored before the app mounts.
import { backend } from './api';

const PREFIX = 'proofsheet.';
const MIRROR_MS = 200;
let mirrorTimer: ReturnType<typeof setTimeout> | null = null;
let writing: Promise<void> = Promise.resolve();
// This run's saved and restored entries: the webview's storage can refuse a write (another
// instance holding it, a full quota), and the library folder's copy must still be current.
const mem = new Map<string, string>();

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Reads `key`; anything missing, unparsable or rejected by `accept` gives `fallback`. */
export function loadJson<T>(key: string, fallback: T, accept: (v: unknown) => v is T): T {
  const raw = mem.get(key) ?? storage()?.getItem(key);
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
  const text = JSON.stringify(value);
  if (key.startsWith(PREFIX)) mem.set(key, text);
  try {
    storage()?.setItem(key, text);
  } catch {
    /* quota or private mode: the app still works, it just forgets */
  }
  mirrorSoon();
}

/** Every `proofsheet.*` storage entry, as saved to the library folder. */
export function snapshot(): Record<string, string> {
  const st = storage();
  const out: Record<string, string> = {};
  for (let i = 0; st && i < st.length; i++) {
    const k = st.key(i);
    const v = k?.startsWith(PREFIX) ? st.getItem(k) : null;
    if (k && v != null) out[k] = v;
  }
  // What this run saved wins over what the webview kept (its storage can fail or lag).
  for (const [k, v] of mem) out[k] = v;
  return out;
}

/** Writes the snapshot to the library folder shortly after the last save. */
export function mirrorSoon(): void {
  if (mirrorTimer) clearTimeout(mirrorTimer);
  mirrorTimer = setTimeout(() => {
    mirrorTimer = null;
    // In order, one at a time, each with the state as it is when it is sent: a slow
    // earlier write can never land after a newer one.
    writing = writing.then(() => backend().uiStateSet(JSON.stringify(snapshot()))).catch(() => undefined);
  }, MIRROR_MS);
}

/** Before the app mounts: the library folder's copy wins over what WebKit kept. */
export async function restoreWindowState(): Promise<void> {
  let raw: string | null = null;
  try {
    // Never hold the window back for long: without an answer it opens with what it has.
    raw = await Promise.race([backend().uiStateGet(), new Promise<null>((r) => setTimeout(() => r(null), 4000))]);
  } catch {
    return;
  }
  if (!raw) return;
  try {
    const saved: unknown = JSON.parse(raw);
    if (!isObject(saved)) return;
    for (const [k, v] of Object.entries(saved)) {
      if (!k.startsWith(PREFIX) || typeof v !== 'string') continue;
      mem.set(k, v);
      try {
        storage()?.setItem(k, v);
      } catch {
        /* the in-memory copy serves this run */
      }
    }
  } catch {
    /* a damaged file: keep what the webview has */
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Most recent first, no duplicates (trimmed), at most `max`. */
export function pushRecent(list: string[], prompt: string, max = 12): string[] {
  const p = prompt.trim();
  if (!p) return list;
  return [p, ...list.filter((x) => x.trim() !== p)].slice(0, max);
}
