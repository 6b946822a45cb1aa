import { mount } from 'svelte';
import App from './App.svelte';
import { backend } from './lib/api';
import { app } from './lib/app/state.svelte';
import { jobs } from './lib/jobs/jobs.svelte';

/** Mounts the app (after main.ts has put the saved window state back). */
export function boot(target: HTMLElement) {
  const root = mount(App, { target });

  // Two frames after mount the first screen is on glass: report it once.
  // The mark lets a bench read the moment on the wall clock (`performance.timeOrigin` + its time).
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      performance.mark('proofsheet-first-paint');
      void backend().appReady().catch(() => undefined);
    }),
  );

  // Browser preview only: `?demo` starts a few jobs on the fake backend so the queue can be seen.
  if (backend().name === 'fake' && new URLSearchParams(location.search).has('demo')) {
    void Promise.all([app.loadProjects(), app.loadOffers()]).then(() => {
      const params = { prompt: 'spring campaign hero, cherry blossoms over a quiet tram stop, pastel', width: 1536, height: 1024, n: 2 };
      // Real catalog offers; the last one is over the tiny project's hard budget.
      for (const o of app.offers.filter((x) => ['bfl:flux-dev', 'fal:fal-ai/flux/schnell', 'openai:gpt-image-1'].includes(x.offer_id))) {
        void jobs.submit({ project: 'Spring campaign', params, route: { kind: 'offer', offer_id: o.offer_id }, no_dedup: false }, o.display_name);
      }
      void jobs.submit({ project: 'Tiny test', params: { ...params, n: 8 }, route: { kind: 'offer', offer_id: 'openai:gpt-image-1' }, no_dedup: false }, 'GPT Image 1');
    });
  }
  return root;
}
