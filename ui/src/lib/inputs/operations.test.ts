import { describe, expect, it } from 'vitest';
import { keepOperation, operationChoices, requestProblem, roleForNew, setRole } from './operations';

const ok = (inputs: { role: 'subject' | 'reference' | 'style' }[]) => operationChoices(inputs).filter((c) => c.ok).map((c) => c.op);

describe('operations for the inputs', () => {
  it('offers only Generate without inputs or with references only', () => {
    expect(ok([])).toEqual(['generate']);
    expect(ok([{ role: 'reference' }, { role: 'style' }])).toEqual(['generate']);
    expect(operationChoices([]).find((c) => c.op === 'edit')?.why).toMatch(/Add an image/);
  });

  it('offers the subject operations once there is a subject, and says why Generate is not', () => {
    expect(ok([{ role: 'subject' }, { role: 'reference' }])).toEqual(['edit', 'inpaint', 'expand', 'upscale', 'vary']);
    expect(operationChoices([{ role: 'subject' }]).find((c) => c.op === 'generate')?.why).toMatch(/reference/);
  });

  it('keeps the operation when still offered, else moves to Edit or Generate', () => {
    expect(keepOperation('upscale', [{ role: 'subject' }])).toBe('upscale');
    expect(keepOperation('generate', [{ role: 'subject' }])).toBe('edit');
    expect(keepOperation('inpaint', [])).toBe('generate');
  });

  it('keeps one subject, first', () => {
    const xs = [{ role: 'subject' as const, k: 'a' }, { role: 'reference' as const, k: 'b' }, { role: 'style' as const, k: 'c' }];
    const r = setRole(xs, 2, 'subject');
    expect(r.map((x) => `${x.k}:${x.role}`)).toEqual(['c:subject', 'a:reference', 'b:reference']);
    expect(setRole(r, 0, 'style').map((x) => x.role)).toEqual(['style', 'reference', 'reference']);
    expect(roleForNew([])).toBe('subject');
    expect(roleForNew(xs)).toBe('reference');
  });

  it('says what is missing before pricing', () => {
    const s = [{ role: 'subject' as const }];
    expect(requestProblem('inpaint', s, { maskPainted: false, prompt: 'x', marginsZero: true })).toMatch(/Paint the region/);
    expect(requestProblem('expand', s, { maskPainted: false, prompt: '', marginsZero: true })).toMatch(/margin/);
    expect(requestProblem('upscale', s, { maskPainted: false, prompt: '', marginsZero: true })).toBeNull();
    expect(requestProblem('edit', s, { maskPainted: false, prompt: ' ', marginsZero: true })).toMatch(/prompt/);
  });
});
