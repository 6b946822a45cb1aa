import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequester } from './requester';

describe('estimate requester', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces keystrokes into one request', async () => {
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

  it('drops a slow stale response that arrives after a newer one', async () => {
    const resolvers: Record<string, (v: string) => void> = {};
    const fetch = (s: string) => new Promise<string>((res) => (resolvers[s] = res));
    const results: string[] = [];
    const r = createRequester({ delayMs: 10, fetch, onResult: (o: string) => results.push(o), onError: vi.fn() });
    r.request('old');
    await vi.advanceTimersByTimeAsync(20);
    r.request('new');
    await vi.advanceTimersByTimeAsync(20);
    resolvers['new']('NEW');
    await Promise.resolve();
    resolvers['old']('OLD');
    await vi.advanceTimersByTimeAsync(1);
    expect(results).toEqual(['NEW']);
  });

  it('cancel ignores replies in flight', async () => {
    let resolve: (v: string) => void = () => undefined;
    const onResult = vi.fn();
    const r = createRequester({ delayMs: 5, fetch: () => new Promise<string>((res) => (resolve = res)), onResult, onError: vi.fn() });
    r.request('x');
    await vi.advanceTimersByTimeAsync(10);
    r.cancel();
    resolve('X');
    await vi.advanceTimersByTimeAsync(1);
    expect(onResult).not.toHaveBeenCalled();
  });
});
