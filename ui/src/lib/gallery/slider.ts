// Keyboard steps of the before/after divider (WAI-ARIA slider pattern), in percent.
export const clampPct = (v: number) => Math.max(0, Math.min(100, Math.round(v)));

export function sliderKey(key: string, v: number): number | null {
  switch (key) {
    case 'ArrowLeft': case 'ArrowDown': return clampPct(v - 5);
    case 'ArrowRight': case 'ArrowUp': return clampPct(v + 5);
    case 'PageDown': return clampPct(v - 25);
    case 'PageUp': return clampPct(v + 25);
    case 'Home': return 0;
    case 'End': return 100;
    default: return null;
  }
}

/** Where the before image sits in the after canvas, in percent of the canvas. */
export interface Placement {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * An expand's original inside its result: the canvas is the subject plus the margins,
 * so the subject starts at (left, top) and keeps its own size. A provider that snapped
 * the output to another size scaled the whole canvas, so the fractions still hold.
 */
export function expandPlacement(subject: { width: number; height: number }, m: { left: number; top: number; right: number; bottom: number }): Placement | null {
  const w = subject.width + m.left + m.right;
  const h = subject.height + m.top + m.bottom;
  if (subject.width <= 0 || subject.height <= 0 || w <= 0 || h <= 0) return null;
  const pct = (x: number, of: number) => (x / of) * 100;
  return { left: pct(m.left, w), top: pct(m.top, h), width: pct(subject.width, w), height: pct(subject.height, h) };
}
