import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import BeforeAfter from './BeforeAfter.svelte';
import { expandPlacement, sliderKey } from '../../lib/gallery/slider';

describe('before/after slider', () => {
  afterEach(() => cleanup());

  it('steps by keyboard within 0..100', () => {
    expect(sliderKey('ArrowRight', 50)).toBe(55);
    expect(sliderKey('ArrowLeft', 2)).toBe(0);
    expect(sliderKey('PageUp', 90)).toBe(100);
    expect(sliderKey('Home', 40)).toBe(0);
    expect(sliderKey('End', 40)).toBe(100);
    expect(sliderKey('a', 40)).toBeNull();
  });

  it('is a focusable slider that reveals more of the before image as it moves right', async () => {
    render(BeforeAfter, { before: 'b.png', after: 'a.png' });
    const s = screen.getByRole('slider');
    expect(s.tabIndex).toBe(0);
    expect(s.getAttribute('aria-valuenow')).toBe('50');
    await fireEvent.keyDown(s, { key: 'ArrowRight' });
    await fireEvent.keyDown(s, { key: 'PageUp' });
    expect(s.getAttribute('aria-valuenow')).toBe('80');
    expect(screen.getByTestId('before-layer').style.clipPath).toBe('inset(0 20% 0 0)');
    await fireEvent.keyDown(s, { key: 'Home' });
    expect(s.getAttribute('aria-valuenow')).toBe('0');
  });

  it('places an expand original at its margins in the larger canvas, not stretched', () => {
    // 1024×1024 with 256 px left and right, 128 px on top: a 1536×1152 canvas.
    const place = expandPlacement({ width: 1024, height: 1024 }, { left: 256, top: 128, right: 256, bottom: 0 });
    expect(place).toEqual({ left: (256 / 1536) * 100, top: (128 / 1152) * 100, width: (1024 / 1536) * 100, height: (1024 / 1152) * 100 });
    render(BeforeAfter, { before: 'b.png', after: 'a.png', ratio: 1536 / 1152, place });
    const img = screen.getByAltText('Before') as HTMLElement;
    expect(img.style.left).toBe(`${place!.left}%`);
    expect(img.style.top).toBe(`${place!.top}%`);
    expect(img.style.width).toBe(`${place!.width}%`);
    expect(img.style.height).toBe(`${place!.height}%`);
    // The divider still clips the whole before layer (empty margins included).
    expect(screen.getByTestId('before-layer').classList.contains('placed')).toBe(true);
  });

  it('fills the box when nothing places the before image (edits, upscales)', () => {
    render(BeforeAfter, { before: 'b.png', after: 'a.png' });
    const img = screen.getByAltText('Before') as HTMLElement;
    expect(img.style.left).toBe('');
    expect(screen.getByTestId('before-layer').classList.contains('placed')).toBe(false);
    expect(expandPlacement({ width: 0, height: 10 }, { left: 0, top: 0, right: 0, bottom: 0 })).toBeNull();
  });
});
