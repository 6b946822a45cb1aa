import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBackend } from './fake';
import { ApiError } from './backend';
import type { JobEvent } from './types';

const params = { prompt: 'a red bicycle', width: 1024, height: 1024, n: 1 };

describe('fake backend', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('prices at least 40 offers, cheapest supported first', async () => {
    const b = createFakeBackend({ galleryCount: 50 });
    const r = await b.pricingEstimate({ params, tier: 'all', offers: [], project: 'Spring campaign' });
    expect(r.estimates.length).toBeGreaterThanOrEqual(40);
    expect(r.budget?.project).toBe('Spring campaign');
    expect(r.estimates.some((e) => !e.supported && e.reason)).toBe(true);
  });

  it('runs a job through its stages and adds it to the gallery', async () => {
    const b = createFakeBackend({ galleryCount: 10, stageMs: 10 });
    const before = (await b.galleryPage({ favourites_only: false, limit: 5 })).total;
    const events: JobEvent[] = [];
    await b.generationSubmit({ project: 'Spring campaign', params, route: { kind: 'draft' }, no_dedup: false }, (e) => events.push(e));
    await vi.runAllTimersAsync();
    const stages = events.map((e) => e.stage);
    expect(stages[0]).toBe('queued');
    expect(stages).toContain('running');
    expect(stages.at(-1)).toBe('done');
    expect((await b.galleryPage({ favourites_only: false, limit: 5 })).total).toBe(before + 1);
  });

  it('refuses what a hard budget cannot take, before running', async () => {
    const b = createFakeBackend({ galleryCount: 200 });
    const err = await b
      .generationSubmit({ project: 'Tiny test', params: { ...params, n: 8 }, route: { kind: 'offer', offer_id: 'openai/gpt-image-1:high' }, no_dedup: false }, () => undefined)
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('budget');
  });

  it('pages the gallery with a keyset cursor and searches prompts', async () => {
    const b = createFakeBackend({ galleryCount: 120 });
    const p1 = await b.galleryPage({ favourites_only: false, limit: 50 });
    const p2 = await b.galleryPage({ favourites_only: false, limit: 50, cursor: p1.next_cursor });
    expect(p1.total).toBe(120);
    expect(p2.items[0].generation_id).not.toBe(p1.items[0].generation_id);
    const s = await b.galleryPage({ favourites_only: false, limit: 200, search: 'coffee' });
    expect(s.items.every((i) => i.prompt.includes('coffee'))).toBe(true);
  });

  it('fails unfinished commands like the engine does', async () => {
    const b = createFakeBackend({ unbuilt: ['dashboardData'] });
    await expect(b.dashboardData(null)).rejects.toMatchObject({ kind: 'internal' });
  });
});
