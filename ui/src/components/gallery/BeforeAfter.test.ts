import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import BeforeAfter from './BeforeAfter.svelte';
import { sliderKey } from '../../lib/gallery/slider';

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
    expect((screen.getByAltText('Before') as HTMLElement).style.clipPath).toBe('inset(0 20% 0 0)');
    await fireEvent.keyDown(s, { key: 'Home' });
    expect(s.getAttribute('aria-valuenow')).toBe('0');
  });
});
