import { afterEach, describe, expect, it } from 'vitest';
import { applyPreset, loadPresets, presetFrom, savePresets, upsertPreset } from './presets';
import { defaultForm } from './params';
import { saveJson } from '../persist';

describe('saved presets (issue 12 §3.7)', () => {
  afterEach(() => localStorage.clear());

  it('saves every parameter but the prompt, and applying one keeps the prompt', () => {
    const f = { ...defaultForm(), prompt: 'a pier', size: '1536x1024', quality: 'high', n: 3, negative: 'text' };
    const p = presetFrom(' Social 3:2 ', f);
    expect(p.name).toBe('Social 3:2');
    expect('prompt' in p).toBe(false);
    savePresets(upsertPreset([], p));

    const g = { ...defaultForm(), prompt: 'a lighthouse' };
    applyPreset(g, loadPresets()[0]);
    expect(g).toMatchObject({ prompt: 'a lighthouse', size: '1536x1024', quality: 'high', n: 3, negative: 'text' });
  });

  it('replaces a preset of the same name and ignores damaged entries', () => {
    const a = presetFrom('Drafts', defaultForm());
    const b = presetFrom('drafts', { ...defaultForm(), n: 4 });
    expect(upsertPreset([a], b)).toEqual([b]);
    saveJson('proofsheet.presets.v1', [{ name: '' }, 7, b]);
    expect(loadPresets()).toEqual([b]);
  });
});
