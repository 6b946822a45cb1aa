import type { DataTopic } from '../api/types';
import { jobs } from '../jobs/jobs.svelte';
import { app } from './state.svelte';

/**
 * The one place a data-change notice becomes a refetch: each topic names what the
 * window shows that changed; `library` (another process such as the CLI wrote) and
 * anything unknown refetch everything.
 */
export function refreshOn(topic: DataTopic): void {
  const all = topic === 'library';
  if (all || topic === 'jobs' || topic === 'gallery') void jobs.loadDeferred();
  if (all || topic === 'projects' || topic === 'budgets') void app.loadProjects();
  if (all || topic === 'catalog' || topic === 'settings' || topic === 'keys' || topic === 'gateways') void app.loadOffers();
  // Screens (gallery, dashboard, the meter, charges, the cost table) refetch on the data version.
  if (topic !== 'jobs') app.bump();
}
