import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequester } from './requester';

function deferred() {
  const resolvers: Record<string, (v: string) => void> = {};
  const fetch = vi.fn((s: string) => new Promise<string>((res) => (resolvers[s] = res)));
  return { fetch, resolvers };
}

describe('estimate requester', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first keystroke at once, without a debounce', async () => {
    const fetch = vi.fn(async (s: string) => s.toUpperCase());
    const onResult = vi.fn();
    const r = createRequester({ delayMs: 0, fetch, onResult, onError: vi.fn() });
    r.request('a');
    expect(fetch).toHaveBeenCalledWith('a');
    await Promise.resolve();
    await Promise.resolve();
    expect(onResult).toHaveBeenCalledWith('A', 'a');
  });

  it('keeps one request in flight and collapses keystrokes meanwhile into the latest', async () => {
    const { fetch, resolvers } = deferred();
    const results: string[] = [];
    const pending: boolean[] = [];
    const r = createRequester({ delayMs: 0, fetch, onResult: (o: string) => results.push(o), onError: vi.fn(), onPending: (p) => pending.push(p) });
    r.request('a');
    r.request('ab');
    r.request('abc');
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['a']);
    resolvers['a']('A');
    await vi.advanceTimersByTimeAsync(0);
    // The answer to 'a' is shown (still pending), and 'abc' goes out; 'ab' never does.
    expect(results).toEqual(['A']);
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['a', 'abc']);
    expect(pending.at(-1)).toBe(true);
    resolvers['abc']('ABC');
    await vi.advanceTimersByTimeAsync(0);
    expect(results).toEqual(['A', 'ABC']);
    expect(pending.at(-1)).toBe(false);
  });

  it('still debounces when asked to', async () => {
    const fetch = vi.fn(async (s: string) => s.toUpperCase());
    const onResult = vi.fn();
    const r = createRequester({ delayMs: 150, fetch, onResult, onError: vi.fn() });
    for (const s of ['a', 'ab', 'abc']) {
      r.request(s);
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(200);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(onResult).toHaveBeenCalledWith('ABC', 'abc');
  });

  it('flush sends now and drops the older reply still in flight', async () => {
    const { fetch, resolvers } = deferred();
    const results: string[] = [];
    const r = createRequester({ delayMs: 0, fetch, onResult: (o: string) => results.push(o), onError: vi.fn() });
    r.request('old');
    r.request('new');
    r.flush();
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['old', 'new']);
    resolvers['new']('NEW');
    await Promise.resolve();
    resolvers['old']('OLD');
    await vi.advanceTimersByTimeAsync(1);
    expect(results).toEqual(['NEW']);
  });

  it('cancel ignores replies in flight and lets the next request go out', async () => {
    const { fetch, resolvers } = deferred();
    const onResult = vi.fn();
    const r = createRequester({ delayMs: 0, fetch, onResult, onError: vi.fn() });
    r.request('x');
    r.cancel();
    resolvers['x']('X');
    await vi.advanceTimersByTimeAsync(1);
    expect(onResult).not.toHaveBeenCalled();
    r.request('y');
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['x', 'y']);
  });
});
