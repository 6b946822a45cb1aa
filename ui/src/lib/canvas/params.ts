import type { RequestParams, SizePreset } from '../api';

export const SIZE_PRESETS = [
  { id: '1024x1024', label: '1024 × 1024', hint: 'square' },
  { id: '1536x1024', label: '1536 × 1024', hint: '3:2' },
  { id: '1024x1536', label: '1024 × 1536', hint: '2:3' },
  { id: '1792x1024', label: '1792 × 1024', hint: '7:4' },
  { id: '1920x1080', label: '1920 × 1080', hint: '16:9' },
  { id: 'custom', label: 'Custom…', hint: '' },
] as const;

export interface SizeOption {
  id: string;
  label: string;
  hint: string;
  /** Which usable models make it exactly, or why it is listed anyway. */
  title: string;
}

/**
 * The size menu: the engine's presets (sizes some usable offer makes exactly, issue 12
 * item 1), the current size when it is none of them (kept, and said to be snapped), and
 * Custom. Before the engine answers, the built-in list.
 */
export function sizeOptions(presets: SizePreset[] | null, current: string): SizeOption[] {
  const base: SizeOption[] = presets
    ? presets.map((p) => ({ id: `${p.width}x${p.height}`, label: `${p.width} × ${p.height}`, hint: p.hint, title: `Made exactly by ${p.offers.join(', ')}` }))
    : SIZE_PRESETS.filter((s) => s.id !== 'custom').map((s) => ({ ...s, title: '' }));
  if (current !== 'custom' && !base.some((o) => o.id === current) && /^\d+x\d+$/.test(current)) {
    const [w, h] = current.split('x');
    base.push({ id: current, label: `${w} × ${h}`, hint: 'snapped by every usable model', title: 'No model you can use makes this size exactly; each snaps it to its nearest size (the cost table says which)' });
  }
  return [...base, { id: 'custom', label: 'Custom…', hint: '', title: 'Any size; models that do not make it snap to their nearest size' }];
}

export const QUALITIES = ['auto', 'low', 'medium', 'high', 'standard', 'hd'] as const;

export interface CanvasForm {
  prompt: string;
  negative: string;
  size: string;
  customW: number;
  customH: number;
  quality: string;
  steps: number | null;
  seed: number;
  seedLocked: boolean;
  n: number;
}

/** The engine's request limits (routing.rs `validate_params`); `params.test.ts` holds them
 *  equal to the limits recorded from the real engine (api/fixtures/engine.json). */
export const REQUEST_LIMITS = { min_side: 64, max_side: 8192, min_n: 1, max_n: 16 } as const;

export function defaultForm(): CanvasForm {
  return { prompt: '', negative: '', size: '1024x1024', customW: 1280, customH: 720, quality: 'auto', steps: null, seed: 42, seedLocked: false, n: 1 };
}

export function dimensions(f: CanvasForm): [number, number] {
  const { min_side: lo, max_side: hi } = REQUEST_LIMITS;
  if (f.size === 'custom') return [clampInt(f.customW, lo, hi, 1024), clampInt(f.customH, lo, hi, 1024)];
  const [w, h] = f.size.split('x').map(Number);
  return [w, h];
}

function clampInt(x: number, lo: number, hi: number, dflt: number): number {
  const n = Math.round(Number(x));
  return Number.isFinite(n) && n > 0 ? Math.min(hi, Math.max(lo, n)) : dflt;
}

/** The request the backend prices and runs (optional fields omitted when unset). */
export function toParams(f: CanvasForm): RequestParams {
  const [width, height] = dimensions(f);
  const p: RequestParams = { prompt: f.prompt, width, height, n: clampInt(f.n, REQUEST_LIMITS.min_n, REQUEST_LIMITS.max_n, 1) };
  if (f.negative.trim()) p.negative_prompt = f.negative.trim();
  if (f.quality !== 'auto') p.quality = f.quality;
  if (f.steps != null && Number(f.steps) > 0) p.steps = clampInt(f.steps, 1, 150, 28);
  if (f.seedLocked) p.seed = clampInt(f.seed, 0, 2 ** 31 - 1, 42);
  return p;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
