// Estimate requests as fast as the engine answers, never piling up: at most one request
// is in flight; keystrokes that arrive meanwhile collapse into the latest input, sent the
// moment the reply lands. The cost table therefore follows typing at the engine's pace
// (one round trip, no fixed debounce) and only ever shows an answer to a request at
// least as new as the one before it. An optional delay still debounces if a caller wants.

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
  let inFlight = false;
  let disposed = false;

  function settle(mine: number, apply: () => void) {
    if (mine !== issued || disposed) return; // a newer request was sent (flush/cancel): drop
    inFlight = false;
    if (pendingInput === null) opts.onPending?.(false);
    apply();
    if (pendingInput !== null && timer === null) fire();
  }

  function send() {
    if (pendingInput === null || disposed) return;
    const input = pendingInput;
    pendingInput = null;
    const mine = ++issued;
    inFlight = true;
    opts.fetch(input).then(
      (out) => settle(mine, () => opts.onResult(out, input)),
      (e) => settle(mine, () => opts.onError(e, input)),
    );
  }

  function fire() {
    timer = null;
    if (!inFlight) send(); // else: sent when the reply in flight lands
  }

  return {
    request(input) {
      pendingInput = input;
      opts.onPending?.(true);
      if (timer) clearTimeout(timer);
      if (opts.delayMs > 0) timer = setTimeout(fire, opts.delayMs);
      else fire();
    },
    flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      send(); // now, even with a reply in flight: that older reply is then dropped
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pendingInput = null;
      inFlight = false;
      issued++;
      opts.onPending?.(false);
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
