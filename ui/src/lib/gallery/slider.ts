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
