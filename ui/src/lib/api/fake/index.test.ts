// The fake against the engine's recorded behaviour (../fixtures, tests/ipc/fake_fixtures.rs):
// real offer ids, real prices, real refusals and their texts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeBackend } from '.';
import { ApiError } from '../backend';
import type { JobEvent } from '../types';

const params = { prompt: 'a red bicycle', width: 1024, height: 1024, n: 1 };

describe('fake backend', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('prices every live offer of the bundled catalog with the engine\'s figures, in its order', async () => {
    const b = createFakeBackend({ galleryCount: 50 });
    const r = await b.pricingEstimate({ params, tier: 'all', offers: [], project: 'Spring campaign' });
    expect(r.estimates.length).toBeGreaterThanOrEqual(60);
    expect(r.budget?.project).toBe('Spring campaign');
    const flux = r.estimates.find((e) => e.offer_id === 'bfl:flux-pro-1.1');
    expect(flux).toMatchObject({ provider: 'bfl', expected_usd: '0.04', billing: 'credits', supported: true, has_key: true });
    // Shut-down models are not priced (gpt-image-1 shut down on 2026-10-23).
    expect(r.estimates.some((e) => e.offer_id === 'openai:gpt-image-1')).toBe(false);
    // A very long prompt is past some offer's limit: the engine marks it, with why.
    const long = await b.pricingEstimate({ params: { ...params, prompt: 'a quiet harbour '.repeat(400) }, tier: 'all', offers: [], project: null });
    expect(long.estimates.some((e) => !e.supported && e.reason)).toBe(true);
  });

  it('refuses what the engine refuses, in its words', async () => {
    const b = createFakeBackend({ galleryCount: 5 });
    const est = (p: object, offers: string[] = []) => b.pricingEstimate({ params: { ...params, ...p }, tier: 'all', offers, project: null }).catch((e: unknown) => e);
    expect(await est({ prompt: '  ' })).toMatchObject({ kind: 'validation', message: 'the prompt is empty; describe the image first' });
    expect(await est({ width: 9000 })).toMatchObject({ kind: 'validation', message: 'size 9000×1024 is out of range; use 64 to 8192 pixels per side' });
    expect(await est({ n: 17 })).toMatchObject({ message: 'n = 17 images; ask for 1 to 16' });
    expect(await est({}, ['openai/gpt-image-1:low'])).toMatchObject({ message: 'not in the price catalog: openai/gpt-image-1:low' });
    expect(await b.projectShow('Nope').catch((e: unknown) => e)).toMatchObject({ kind: 'not_found', message: 'no project named "Nope"; create it first' });
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

  it('refuses what a hard budget cannot take as the engine does: a job id, then the job fails unsent', async () => {
    const b = createFakeBackend({ galleryCount: 200, stageMs: 10 });
    const events: JobEvent[] = [];
    const id = await b.generationSubmit({ project: 'Tiny test', params: { ...params, n: 8 }, route: { kind: 'offer', offer_id: 'openai:gpt-image-2' }, no_dedup: false }, (e) => events.push(e));
    await vi.runAllTimersAsync();
    expect(events.map((e) => e.stage)).toEqual(['queued', 'estimating', 'failed']);
    expect(events[0]).toEqual({ stage: 'queued', job_id: id });
    const failed = events[2];
    expect(failed.stage === 'failed' && failed.message).toMatch(/^Not sent: this request needs up to \$[\d.]+ but only \$[\d.-]+ is left of the \$[\d.]+ budget/);
    expect(b.jobsRunning()).toBe(0);
  });

  it('pages the gallery with a keyset cursor and searches prompts', async () => {
    const b = createFakeBackend({ galleryCount: 120 });
    const p1 = await b.galleryPage({ favourites_only: false, limit: 50 });
    const p2 = await b.galleryPage({ favourites_only: false, limit: 50, cursor: p1.next_cursor });
    expect(p1.total).toBe(120);
    expect(p2.items[0].generation_id).not.toBe(p1.items[0].generation_id);
    const s = await b.galleryPage({ favourites_only: false, limit: 200, search: 'coffee' });
    expect(s.items.every((i) => i.prompt.includes('coffee'))).toBe(true);
    // Generation ids have the engine's shape; anything else is refused as the engine does.
    expect(p1.items[0].generation_id).toMatch(/^[0-9a-f-]{36}$/);
    const err = await b.galleryDetail('g000001').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'validation', message: '`g000001` is not a generation id' });
  });
});
