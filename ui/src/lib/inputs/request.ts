// The Canvas's inputs as the engine's request fields (RequestParams.operation, inputs,
// mask, expand, scale, fidelity). Inputs go by reference: a gallery image by id, a file
// or paste by the sha256 the engine returned when it imported the bytes.
import type { InputRef, RequestParams } from '../api';
import { isZero } from './margins';
import { SUBJECT_ONLY } from './operations';
import type { InputsState } from './state.svelte';

/** Why the inputs cannot be sent yet (an import still running), or null. */
export function pendingImport(s: InputsState): string | null {
  if (s.items.some((i) => i.source.kind === 'bytes' && !i.sha256)) return 'Importing the input images…';
  if (s.operation === 'inpaint' && s.maskPng && !s.maskSha) return 'Saving the mask…';
  return null;
}

/** The request with its inputs; unchanged for a plain text-to-image request. */
export function withInputs(p: RequestParams, s: InputsState): RequestParams {
  if (!s.items.length) return p;
  const op = s.operation;
  const items = SUBJECT_ONLY.has(op) ? s.items.slice(0, 1) : s.items;
  const out: RequestParams = {
    ...p,
    operation: op,
    inputs: items.flatMap((i): InputRef[] => {
      if (i.source.kind === 'gallery') {
        const [gid, idx] = i.source.image.split('#');
        return [{ role: i.role, source: { kind: 'gallery', generation_id: gid, index: Number(idx ?? 0) || 0 } }];
      }
      return i.sha256 ? [{ role: i.role, source: { kind: 'blob', sha256: i.sha256 } }] : [];
    }),
  };
  if (op === 'inpaint' && s.maskSha) out.mask = { kind: 'blob', sha256: s.maskSha };
  if (op === 'expand' && !isZero(s.margins)) out.expand = { ...s.margins };
  if (op === 'upscale') out.scale = s.scale;
  if (op === 'edit' || op === 'inpaint' || op === 'generate') out.fidelity = s.fidelity;
  // An upscale or expand makes the subject's size (grown or scaled): ask for it.
  const subj = s.subject;
  if (subj && op === 'upscale') {
    out.width = subj.width * s.scale;
    out.height = subj.height * s.scale;
  } else if (subj && op === 'expand') {
    out.width = subj.width + s.margins.left + s.margins.right;
    out.height = subj.height + s.margins.top + s.margins.bottom;
  }
  return out;
}

/** Operations that run without a prompt. */
export const PROMPT_OPTIONAL: ReadonlySet<string> = new Set(['upscale', 'expand', 'vary']);

/** A prompt is written, or the operation runs without one. */
export function promptReady(prompt: string, s: InputsState): boolean {
  return !!prompt.trim() || (s.items.length > 0 && PROMPT_OPTIONAL.has(s.operation));
}
