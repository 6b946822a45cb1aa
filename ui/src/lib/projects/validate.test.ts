import { describe, expect, it } from 'vitest';
import { emptyDraft, formFieldOf, moveItem, validateDraft } from './validate';

describe('project form validation', () => {
  it('asks for a name and a budget for a hard stop', () => {
    const r = validateDraft(emptyDraft());
    expect(r.input).toBeNull();
    expect(r.errors.name).toMatch(/name/);
    expect(r.errors.budget).toMatch(/hard stop needs a budget/);
  });

  it('explains bad amounts and thresholds in plain words', () => {
    const r = validateDraft({ ...emptyDraft(), name: 'X', budget: 'fifty', warn: '50, 180' });
    expect(r.errors.budget).toMatch(/like 250 or 49.99/);
    expect(r.errors.warn).toMatch(/between 1 and 100/);
    expect(validateDraft({ ...emptyDraft(), name: 'X', budget: '0' }).errors.budget).toMatch(/more than \$0/);
  });

  it('builds the input with exact strings and fractions', () => {
    const r = validateDraft({ ...emptyDraft(), name: ' Spring ', client: 'Halde', budget: '$1,250.50', warn: '80%, 50' });
    expect(r.errors).toEqual({});
    expect(r.input).toMatchObject({ name: 'Spring', client: 'Halde', budget_usd: '1250.50', warn_at: ['0.5', '0.8'], hard: true });
  });

  it('refuses duplicate names and allows soft budgets without an amount', () => {
    expect(validateDraft({ ...emptyDraft(), name: 'spring', budget: '5' }, ['Spring']).errors.name).toMatch(/already/);
    expect(validateDraft({ ...emptyDraft(), name: 'Moodboards', hard: false }).input?.budget_usd).toBeNull();
  });

  it('routes the engine error field to the form field and reorders chains', () => {
    expect(formFieldOf('budget_usd')).toBe('budget');
    expect(formFieldOf('final_chain')).toBe('chains');
    expect(formFieldOf('prompt')).toBeNull();
    expect(formFieldOf(null)).toBeNull();
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });
});
