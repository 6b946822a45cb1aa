import type { Backend } from './backend';
import { tauriBackend } from './tauri';
import { createFakeBackend } from './fake';

export { ApiError, toApiError } from './backend';
export type { Backend } from './backend';
export type * from './types';

function pick(): Backend {
  const w = globalThis as { __TAURI_INTERNALS__?: unknown; location?: Location };
  if (w.__TAURI_INTERNALS__) return tauriBackend;
  // Plain browser preview: `?gallery=100000` sizes the fake gallery for scroll checks.
  const n = Number(new URLSearchParams(w.location?.search ?? '').get('gallery') ?? '');
  return createFakeBackend({ galleryCount: Number.isFinite(n) && n > 0 ? n : undefined });
}

let active: Backend | null = null;

/** The backend every view talks to; tests swap it with setBackend(). */
export function backend(): Backend {
  active ??= pick();
  return active;
}

export function setBackend(b: Backend): void {
  active = b;
}
