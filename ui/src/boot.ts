import { mount } from 'svelte';
import App from './App.svelte';
import { backend } from './lib/api';
import { app } from './lib/app/state.svelte';
import { jobs } from './lib/jobs/jobs.svelte';

/** Mounts the app (after main.ts has put the saved window state back). */
export function boot(target: HTMLElement) {
  const root = mount(App, { target });

  // Two frames after mount the first screen is on glass: report it once.
  requestAnimationFrame(() => requestAnimationFrame(() => void backend().appReady().catch(() => undefined)));

  // Browser preview only: `?demo` starts a few jobs on the fake backend so the queue can be seen.
  if (backend().name === 'fake' && new URLSearchParams(location.search).has('demo')) {
    void app.loadProjects().then(() => {
      const params = { prompt: 'spring campaign hero, cherry blossoms over a quiet tram stop, pastel', width: 1536, height: 1024, n: 2 };
      void jobs.submit({ project: 'Spring campaign', params, route: { kind: 'offer', offer_id: 'bfl/flux-schnell' }, no_dedup: false }, 'FLUX.1 schnell');
      void jobs.submit({ project: 'Spring campaign', params, route: { kind: 'offer', offer_id: 'ideogram/v3-turbo' }, no_dedup: false }, 'Ideogram 3 Turbo');
      void jobs.submit({ project: 'Spring campaign', params, route: { kind: 'offer', offer_id: 'fal/flux-dev' }, no_dedup: false }, 'FLUX.1 dev (fal)');
      void jobs.submit({ project: 'Tiny test', params: { ...params, n: 8 }, route: { kind: 'offer', offer_id: 'openai/gpt-image-1:high' }, no_dedup: false }, 'gpt-image-1 · high');
    });
  }
  return root;
}
