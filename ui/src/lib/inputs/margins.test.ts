import { describe, expect, it } from 'vitest';
import { clampMargins, dragSide, grownSize, marginsForAspect, subjectBox } from './margins';

describe('expand margins', () => {
  it('grows the canvas by the margins', () => {
    expect(grownSize(1024, 768, { left: 100, top: 0, right: 156, bottom: 32 })).toEqual({ width: 1280, height: 800 });
  });

  it('rounds to whole pixels, drops negatives, and keeps the grown side within the limit', () => {
    expect(clampMargins(1000, 1000, { left: -5, top: 10.6, right: NaN, bottom: 0 })).toEqual({ left: 0, top: 11, right: 0, bottom: 0 });
    const m = clampMargins(8000, 100, { left: 300, top: 0, right: 300, bottom: 0 }, 8192);
    expect(m.left + m.right).toBe(192);
    expect(clampMargins(8192, 100, { left: 5, top: 0, right: 5, bottom: 0 }, 8192)).toEqual({ left: 0, top: 0, right: 0, bottom: 0 });
  });

  it('drags a side outward in subject pixels at the preview scale', () => {
    const m0 = { left: 0, top: 0, right: 0, bottom: 0 };
    // preview at 0.25 screen px per subject px: 10 screen px = 40 subject px
    expect(dragSide(m0, 'right', 10, 0.25, 1024, 1024).right).toBe(40);
    expect(dragSide(m0, 'left', -10, 0.25, 1024, 1024).left).toBe(40);
    expect(dragSide(m0, 'top', 10, 0.25, 1024, 1024).top).toBe(0); // dragging inward past zero stops at zero
  });

  it('pads to an aspect ratio, centred', () => {
    expect(marginsForAspect(1024, 1024, 16 / 9)).toEqual({ left: 398, right: 398, top: 0, bottom: 0 });
    expect(marginsForAspect(1536, 1024, 1)).toEqual({ left: 0, right: 0, top: 256, bottom: 256 });
  });

  it('places the subject in the preview in percent', () => {
    expect(subjectBox(100, 100, { left: 100, top: 0, right: 0, bottom: 100 })).toEqual({ left: 50, top: 0, width: 50, height: 50 });
  });
});
