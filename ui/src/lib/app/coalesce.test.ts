import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesceCalls, coalesceTopics } from './coalesce';
import type { DataTopic } from '../api/types';

describe('coalescing data-change notices', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies a lone notice on the next tick', () => {
    const seen: DataTopic[][] = [];
    const on = coalesceTopics((t) => seen.push(t), 200);
    on('projects');
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(seen).toEqual([['projects']]);
  });

  it('folds a burst of 500 notices into one refetch per window, each topic once', () => {
    const seen: DataTopic[][] = [];
    const on = coalesceTopics((t) => seen.push(t), 200);
    on('projects');
    vi.advanceTimersByTime(0);
    // 100 jobs × 5 notices over one second.
    for (let ms = 0; ms < 1000; ms += 2) {
      on((['projects', 'budgets', 'gallery', 'jobs', 'projects'] as DataTopic[])[ms % 5]);
      vi.advanceTimersByTime(2);
    }
    vi.advanceTimersByTime(200);
    // One flush at once, then at most one per 200 ms window.
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.length).toBeLessThanOrEqual(7);
    for (const topics of seen) expect(new Set(topics).size).toBe(topics.length);
    expect(new Set(seen.flat())).toEqual(new Set(['projects', 'budgets', 'gallery', 'jobs']));
  });

  it('lets `library` stand for every topic', () => {
    const seen: DataTopic[][] = [];
    const on = coalesceTopics((t) => seen.push(t), 200);
    on('projects');
    on('library');
    on('gallery');
    vi.advanceTimersByTime(0);
    expect(seen).toEqual([['library']]);
  });

  it('calls a coalesced function once per window however often it is asked', () => {
    const f = vi.fn();
    const call = coalesceCalls(f, 200);
    for (let i = 0; i < 100; i++) call();
    vi.advanceTimersByTime(0);
    expect(f).toHaveBeenCalledTimes(1);
    call();
    call();
    vi.advanceTimersByTime(199);
    expect(f).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(f).toHaveBeenCalledTimes(2);
  });
});
