import type { RequestParams } from '../api';

export const SIZE_PRESETS = [
  { id: '1024x1024', label: '1024 × 1024', hint: 'square' },
  { id: '1536x1024', label: '1536 × 1024', hint: '3:2' },
  { id: '1024x1536', label: '1024 × 1536', hint: '2:3' },
  { id: '1792x1024', label: '1792 × 1024', hint: '7:4' },
  { id: '1920x1080', label: '1920 × 1080', hint: '16:9' },
  { id: 'custom', label: 'Custom…', hint: '' },
] as const;

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

export function defaultForm(): CanvasForm {
  return { prompt: '', negative: '', size: '1024x1024', customW: 1280, customH: 720, quality: 'auto', steps: null, seed: 42, seedLocked: false, n: 1 };
}

export function dimensions(f: CanvasForm): [number, number] {
  if (f.size === 'custom') return [clampInt(f.customW, 64, 8192, 1024), clampInt(f.customH, 64, 8192, 1024)];
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
  const p: RequestParams = { prompt: f.prompt, width, height, n: clampInt(f.n, 1, 10, 1) };
  if (f.negative.trim()) p.negative_prompt = f.negative.trim();
  if (f.quality !== 'auto') p.quality = f.quality;
  if (f.steps != null && Number(f.steps) > 0) p.steps = clampInt(f.steps, 1, 150, 28);
  if (f.seedLocked) p.seed = clampInt(f.seed, 0, 2 ** 31 - 1, 42);
  return p;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
