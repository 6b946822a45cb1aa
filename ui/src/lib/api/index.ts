import type { Backend } from './backend';
import { tauriBackend } from './tauri';

export { ApiError, toApiError } from './backend';
export type { Backend } from './backend';
export type * from './types';

const inTauri = () => Boolean((globalThis as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__);

let active: Backend | null = null;

/** Picks the backend before the app starts: the app talks to Tauri; the browser preview
 *  (`npm run dev`) loads the fake on demand. Production builds leave the fake out. */
export async function initBackend(): Promise<Backend> {
  if (active) return active;
  if (inTauri()) return (active = tauriBackend);
  if (!import.meta.env.DEV) throw new Error('Proofsheet runs inside its app; the browser preview is `npm run dev`.');
  const { createFakeBackend } = await import('./fake');
  // `?gallery=100000` sizes the fake gallery for scroll checks.
  const n = Number(new URLSearchParams(globalThis.location?.search ?? '').get('gallery') ?? '');
  active ??= createFakeBackend({ galleryCount: Number.isFinite(n) && n > 0 ? n : undefined });
  return active;
}

/** The backend every view talks to; tests swap it with setBackend(). */
export function backend(): Backend {
  if (!active && inTauri()) active = tauriBackend;
  if (!active) throw new Error('no backend yet: main.ts awaits initBackend() (tests call setBackend())');
  return active;
}

export function setBackend(b: Backend): void {
  active = b;
}
