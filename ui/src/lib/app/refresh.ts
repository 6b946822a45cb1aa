import type { DataTopic } from '../api/types';
import { jobs } from '../jobs/jobs.svelte';
import { app } from './state.svelte';

/**
 * The one place a data-change notice becomes a refetch: each topic names what the
 * window shows that changed; `library` (another process such as the CLI wrote) and
 * anything unknown refetch everything.
 */
export function refreshOn(topic: DataTopic): void {
  refreshOnAll([topic]);
}

/** The same for several topics at once (a coalesced burst): each refetch runs once. */
export function refreshOnAll(topics: DataTopic[]): void {
  const has = (...ts: DataTopic[]) => topics.includes('library') || ts.some((t) => topics.includes(t));
  if (has('jobs', 'gallery')) void jobs.loadDeferred();
  if (has('projects', 'budgets')) void app.loadProjects();
  if (has('catalog', 'settings', 'keys', 'gateways')) void app.loadOffers();
  // Screens (gallery, dashboard, the meter, charges, the cost table) refetch on the data version.
  if (topics.some((t) => t !== 'jobs')) app.bump();
}
