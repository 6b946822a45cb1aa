import type { DataTopic } from '../api/types';

/**
 * Coalesces bursts of data-change notices (issue 17): 100 jobs running at once send
 * several notices each (reserved, settled, gallery…), and refetching the projects,
 * the meters and the cost table for every one of them kept the window's frames past
 * 100 ms. The first notice after a quiet spell is applied on the next tick; the ones
 * that follow within `windowMs` are gathered and applied once, each topic once, at the
 * end of the window. `library` (refetch everything) stands for all topics.
 */
export function coalesceTopics(apply: (topics: DataTopic[]) => void, windowMs = 200): (topic: DataTopic) => void {
  let pending = new Set<DataTopic>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastFlush = -Infinity;
  const flush = () => {
    timer = null;
    lastFlush = Date.now();
    const topics = pending.has('library') ? (['library'] as DataTopic[]) : [...pending];
    pending = new Set();
    if (topics.length) apply(topics);
  };
  return (topic) => {
    pending.add(topic);
    if (timer) return;
    timer = setTimeout(flush, Math.max(0, lastFlush + windowMs - Date.now()));
  };
}

/** At most one call of `f` per `windowMs`: the first at once (next tick), the rest folded into one at the window's end. */
export function coalesceCalls(f: () => void, windowMs = 200): () => void {
  const topics = coalesceTopics(() => f(), windowMs);
  return () => topics('jobs');
}
