import { describe, expect, it } from 'vitest';
import type { RouteDecision } from '../api';
import { routeLine } from './routeDecision';

function decision(extra: Partial<RouteDecision> = {}): RouteDecision {
  return {
    can_run: true, offer_id: 'openai:gpt-image-1-mini', display_name: 'GPT Image 1 mini', provider: 'openai',
    expected_usd: '0.003304', reserve_usd: '0.004956', width: 1536, height: 1024, quality: 'low', notes: [],
    dedup_hit: false, seed_honoured: false, reason: null, fix: null, skipped: [], ...extra,
  };
}

describe('routing-decision display', () => {
  it('is silent until the engine has decided', () => {
    expect(routeLine(null, 'draft')).toBeNull();
  });
  it('names the offer, its price and what is snapped or ignored', () => {
    const l = routeLine(decision({ notes: ['size snapped to 1536×1024', 'negative prompt not supported — ignored'] }), 'draft');
    expect(l?.ok).toBe(true);
    expect(l?.text).toBe('Draft → GPT Image 1 mini · $0.0033 · size snapped to 1536×1024 · negative prompt not supported — ignored');
    expect(l?.title).toContain('holds up to $0.0050');
  });
  it('puts what changes the image before a retiring model', () => {
    const l = routeLine(decision({ notes: ['retiring on 2026-12-01, use openai:gpt-image-2.5-sunburst', 'size snapped to 1536×1024'] }), 'draft');
    expect(l?.text).toBe('Draft → GPT Image 1 mini · $0.0033 · size snapped to 1536×1024 · retiring on 2026-12-01, use openai:gpt-image-2.5-sunburst');
  });
  it('says a reuse is free', () => {
    const l = routeLine(decision({ dedup_hit: true, expected_usd: '0' }), 'final');
    expect(l?.text).toBe('Final → GPT Image 1 mini · free — already in the gallery');
  });
  it('lists skipped offers (a provider cooling down) in the tooltip', () => {
    const l = routeLine(decision({ skipped: [{ offer_id: 'openai:gpt-image-2', display_name: 'GPT Image 2', reason: 'openai failed repeatedly and is cooling down for 21 s' }] }), 'draft');
    expect(l?.title).toContain('skips GPT Image 2: openai failed repeatedly and is cooling down for 21 s');
  });
  it('says why a route cannot run and the fix, and disables it', () => {
    const l = routeLine(decision({ can_run: false, offer_id: null, display_name: null, reason: 'GPT Image 1 mini: no API key for openai; add one in Settings → Keys', fix: 'add a key in Settings → Keys, or edit the chain in Projects' }), 'final');
    expect(l?.ok).toBe(false);
    expect(l?.text).toBe('Final can’t run: GPT Image 1 mini: no API key for openai; add one in Settings → Keys — add a key in Settings → Keys, or edit the chain in Projects.');
  });
});

describe('size presets from the engine', () => {
  it('lists only sizes a usable model makes exactly, keeps the current one and Custom', async () => {
    const { sizeOptions } = await import('./params');
    const opts = sizeOptions([{ width: 1024, height: 1024, hint: 'square', offers: ['GPT Image 1 mini'] }], '1920x1080');
    expect(opts.map((o) => o.id)).toEqual(['1024x1024', '1920x1080', 'custom']);
    expect(opts[0].title).toBe('Made exactly by GPT Image 1 mini');
    expect(opts[1].hint).toBe('snapped by every usable model');
    expect(sizeOptions([{ width: 1024, height: 1024, hint: 'square', offers: ['x'] }], '1024x1024').map((o) => o.id)).toEqual(['1024x1024', 'custom']);
  });
});
