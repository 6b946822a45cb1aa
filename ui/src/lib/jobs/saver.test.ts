import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSaver } from './saver';

describe('createSaver', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes the first change at once and folds a burst into one write per window', () => {
    const write = vi.fn();
    const s = createSaver(write, 500);
    s.soon();
    expect(write).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 400; i++) s.soon();
    expect(write).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(write).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5000);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('flush writes what is pending now, and nothing when nothing changed', () => {
    const write = vi.fn();
    const s = createSaver(write, 500);
    s.soon();
    s.soon();
    s.flush();
    expect(write).toHaveBeenCalledTimes(2);
    s.flush();
    expect(write).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(write).toHaveBeenCalledTimes(2);
  });
});
