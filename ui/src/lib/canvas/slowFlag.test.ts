import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { slowFlag } from './slowFlag';

describe('slowFlag', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stays down for an answer faster than the delay (no flash per keystroke)', () => {
    const set = vi.fn();
    const f = slowFlag(set, 250);
    for (let i = 0; i < 20; i++) {
      f(true);
      vi.advanceTimersByTime(10);
      f(false);
    }
    vi.advanceTimersByTime(1000);
    expect(set).not.toHaveBeenCalled();
  });

  it('rises for a slow answer and falls when it lands', () => {
    const set = vi.fn();
    const f = slowFlag(set, 250);
    f(true);
    vi.advanceTimersByTime(100);
    f(true); // a newer keystroke does not restart the wait
    vi.advanceTimersByTime(150);
    expect(set).toHaveBeenLastCalledWith(true);
    f(false);
    expect(set).toHaveBeenLastCalledWith(false);
    expect(set).toHaveBeenCalledTimes(2);
  });
});
