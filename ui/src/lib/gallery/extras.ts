// What the detail panel shows about a result's inputs, read from the engine's lineage.
import type { GenerationDetail, Lineage } from '../api';

export interface ResultInput {
  role: string;
  path: string | null;
  thumb_path: string | null;
  width: number;
  height: number;
  hash: string;
  /** The gallery generation this input came from, when it did. */
  generation_id: string | null;
}

export interface DetailExtras {
  operation: string;
  inputs: ResultInput[];
  /** Pixels an expand added on each side. */
  expand: { left: number; top: number; right: number; bottom: number } | null;
}

export function extrasOf(l: Lineage | null | undefined): DetailExtras {
  return {
    operation: l?.operation ?? 'generate',
    inputs: (l?.inputs ?? []).map((i) => ({ role: i.role, path: i.path, thumb_path: i.thumb_path, width: i.width, height: i.height, hash: i.hash, generation_id: i.generation_id })),
    expand: l?.expand ?? null,
  };
}

export const detailExtras = (d: GenerationDetail): DetailExtras => extrasOf(d.lineage);

/** Operations whose result is the subject changed: a before/after makes sense. */
export const BEFORE_AFTER_OPS: ReadonlySet<string> = new Set(['edit', 'inpaint', 'upscale', 'expand', 'vary']);
