// What the detail panel shows about a result's inputs and family, read from the engine's
// generation detail. Kept in one place so the panel does not depend on the field names.
import type { GenerationDetail } from '../api';
import type { LineageNode } from './lineage';

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
  lineage: LineageNode[];
}

type Loose = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function detailExtras(d: GenerationDetail): DetailExtras {
  const o = d as unknown as Loose;
  const inputs = Array.isArray(o.inputs) ? (o.inputs as Loose[]) : [];
  const lineage = Array.isArray(o.lineage) ? (o.lineage as Loose[]) : [];
  return {
    operation: str(o.operation) ?? 'generate',
    inputs: inputs.map((i) => ({
      role: str(i.role) ?? 'reference',
      path: str(i.path),
      thumb_path: str(i.thumb_path),
      width: num(i.width),
      height: num(i.height),
      hash: str(i.hash) ?? '',
      generation_id: str(i.generation_id),
    })),
    lineage: lineage.map((n) => ({
      generation_id: str(n.generation_id) ?? '',
      parent_id: str(n.parent_id),
      operation: str(n.operation) ?? 'generate',
      tier: str(n.tier) ?? 'draft',
      created_at: str(n.created_at) ?? '',
      thumb_path: str(n.thumb_path),
    })).filter((n) => n.generation_id),
  };
}

/** Operations whose result is the subject changed in place: a before/after makes sense. */
export const BEFORE_AFTER_OPS: ReadonlySet<string> = new Set(['edit', 'inpaint', 'upscale', 'expand', 'vary', 'finalize']);
