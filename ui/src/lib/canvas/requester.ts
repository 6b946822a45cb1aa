// Debounced estimate requests that drop stale responses: the cost table only ever shows
// the answer to the latest request, however the replies are ordered.

export interface Requester<I> {
  request(input: I): void;
  /** Runs the pending request now (e.g. before generating). */
  flush(): void;
  /** Forgets the pending request and ignores any reply still in flight. */
  cancel(): void;
  dispose(): void;
}

export function createRequester<I, O>(opts: {
  delayMs: number;
  fetch: (input: I) => Promise<O>;
  onResult: (out: O, input: I) => void;
  onError: (e: unknown, input: I) => void;
  onPending?: (pending: boolean) => void;
}): Requester<I> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pendingInput: I | null = null;
  let issued = 0;
  let disposed = false;

  function fire() {
    timer = null;
    if (pendingInput === null || disposed) return;
    const input = pendingInput;
    pendingInput = null;
    const mine = ++issued;
    opts.fetch(input).then(
      (out) => {
        if (mine !== issued || disposed) return; // a newer request was sent: drop this one
        opts.onPending?.(false);
        opts.onResult(out, input);
      },
      (e) => {
        if (mine !== issued || disposed) return;
        opts.onPending?.(false);
        opts.onError(e, input);
      },
    );
  }

  return {
    request(input) {
      pendingInput = input;
      opts.onPending?.(true);
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, opts.delayMs);
    },
    flush() {
      if (timer) clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pendingInput = null;
      issued++;
      opts.onPending?.(false);
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
