// Expand (outpaint): margins in subject pixels around the subject, the grown canvas and
// the preview geometry. The engine's request limits bound the grown size.
import { REQUEST_LIMITS } from '../canvas/params';

export interface Margins {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
export type Side = keyof Margins;
export const SIDES: readonly Side[] = ['left', 'top', 'right', 'bottom'];

export const noMargins = (): Margins => ({ left: 0, top: 0, right: 0, bottom: 0 });

export function grownSize(w: number, h: number, m: Margins): { width: number; height: number } {
  return { width: w + m.left + m.right, height: h + m.top + m.bottom };
}

function whole(x: number): number {
  const n = Math.round(Number(x));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Non-negative whole pixels, and the grown canvas within the engine's largest side. */
export function clampMargins(w: number, h: number, m: Margins, maxSide: number = REQUEST_LIMITS.max_side): Margins {
  const out = { left: whole(m.left), top: whole(m.top), right: whole(m.right), bottom: whole(m.bottom) };
  const fit = (a: Side, b: Side, room: number) => {
    let over = out[a] + out[b] - Math.max(0, room);
    if (over <= 0) return;
    const cutB = Math.min(out[b], Math.ceil(over / 2));
    out[b] -= cutB;
    over -= cutB;
    out[a] -= Math.min(out[a], over);
  };
  fit('left', 'right', maxSide - w);
  fit('top', 'bottom', maxSide - h);
  return out;
}

/** Moves one side by a drag of `deltaShown` screen pixels on a preview drawn at `scale` screen px per subject px. */
export function dragSide(m: Margins, side: Side, deltaShown: number, scale: number, w: number, h: number): Margins {
  const sign = side === 'left' || side === 'top' ? -1 : 1;
  const next = { ...m, [side]: m[side] + (sign * deltaShown) / Math.max(1e-6, scale) };
  return clampMargins(w, h, next);
}

/** Centered margins that grow the subject to an aspect ratio (never crop). */
export function marginsForAspect(w: number, h: number, ratio: number): Margins {
  if (!(ratio > 0)) return noMargins();
  if (w / h < ratio) {
    const extra = Math.round(h * ratio) - w;
    return clampMargins(w, h, { left: Math.floor(extra / 2), right: Math.ceil(extra / 2), top: 0, bottom: 0 });
  }
  const extra = Math.round(w / ratio) - h;
  return clampMargins(w, h, { top: Math.floor(extra / 2), bottom: Math.ceil(extra / 2), left: 0, right: 0 });
}

/** Where the subject sits inside the grown canvas, in percent (for the preview). */
export function subjectBox(w: number, h: number, m: Margins): { left: number; top: number; width: number; height: number } {
  const g = grownSize(w, h, m);
  return { left: (100 * m.left) / g.width, top: (100 * m.top) / g.height, width: (100 * w) / g.width, height: (100 * h) / g.height };
}

export const isZero = (m: Margins) => SIDES.every((s) => m[s] === 0);
