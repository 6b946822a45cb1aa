// Saved presets (issue 12 §3.7): a designer's usual parameters under a name, applied to
// the Canvas in one pick. The prompt is not part of a preset; everything else is.
import { isObject, loadJson, saveJson } from '../persist';
import type { CanvasForm } from './params';

const KEY = 'proofsheet.presets.v1';
const MAX = 30;

export type Preset = { name: string } & Omit<CanvasForm, 'prompt'>;

const FIELDS = ['negative', 'size', 'customW', 'customH', 'quality', 'steps', 'seed', 'seedLocked', 'n'] as const;

function isPreset(v: unknown): v is Preset {
  return isObject(v) && typeof v.name === 'string' && v.name.trim() !== '' && typeof v.size === 'string' && typeof v.n === 'number';
}

export function loadPresets(): Preset[] {
  const raw = loadJson<unknown[]>(KEY, [], Array.isArray);
  return raw.filter(isPreset).slice(0, MAX);
}

export function savePresets(list: Preset[]): void {
  saveJson(KEY, list.slice(0, MAX));
}

/** The form's parameters as a preset called `name`. */
export function presetFrom(name: string, f: CanvasForm): Preset {
  const p = { name: name.trim() } as Preset;
  for (const k of FIELDS) (p as Record<string, unknown>)[k] = f[k];
  return p;
}

/** Adds or replaces (same name, any case) and keeps the list sorted by name. */
export function upsertPreset(list: Preset[], p: Preset): Preset[] {
  const rest = list.filter((x) => x.name.toLowerCase() !== p.name.toLowerCase());
  return [...rest, p].sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX);
}

/** Puts a preset's parameters on the form; the prompt stays. */
export function applyPreset(f: CanvasForm, p: Preset): void {
  for (const k of FIELDS) {
    const v = p[k];
    if (v !== undefined) (f as unknown as Record<string, unknown>)[k] = v;
  }
}
