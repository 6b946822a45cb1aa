// "Use in Canvas": a stored image becomes a Canvas input (the subject when it is the first),
// and the Canvas opens on it with Edit picked.
import { backend, type ImageView } from '../api';
import { app } from '../app/state.svelte';
import { inputs } from './state.svelte';

/** `image` names it: `<generation_id>` or `<generation_id>#<index>`. */
export function useInCanvas(image: string, view: ImageView, project?: string): boolean {
  const already = inputs.items.findIndex((i) => i.source.kind === 'gallery' && i.source.image === image);
  if (already < 0) {
    const ok = inputs.add({ name: image, mime: view.mime, width: view.width, height: view.height, url: backend().imageUrl(view.path), source: { kind: 'gallery', image, path: view.path } });
    if (!ok) return false;
  }
  if (inputs.subject && inputs.operation === 'generate') inputs.operation = 'edit';
  if (project && app.projects.some((p) => p.name === project)) app.selectProject(project);
  app.go('canvas');
  return true;
}
