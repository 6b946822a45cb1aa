import { cmp, dec, parseDec, percentToFraction, fractionToPercent } from '../money';
import type { BudgetPeriod, ErrorField, ProjectInput, ProjectView } from '../api';

export interface ProjectDraft {
  name: string;
  client: string;
  budget: string;
  hard: boolean;
  period: BudgetPeriod;
  /** Percentages, comma separated: "50, 80". */
  warn: string;
  draft_chain: string[];
  final_chain: string[];
  allow_safety_fallback: boolean;
  preflight_moderation: boolean;
  /** Quality promoted finals render at; "auto": the final model's best standard. */
  final_quality: string;
}

export type DraftErrors = Partial<Record<'name' | 'client' | 'budget' | 'warn' | 'chains', string>>;

export function emptyDraft(): ProjectDraft {
  return { name: '', client: '', budget: '', hard: true, period: 'total', warn: '50, 80', draft_chain: [], final_chain: [], allow_safety_fallback: false, preflight_moderation: false, final_quality: 'auto' };
}

export function draftFrom(p: ProjectView): ProjectDraft {
  return {
    name: p.name, client: p.client ?? '', budget: budgetText(p.budget_usd), hard: p.hard, period: p.period,
    warn: p.warn_at.map((w) => fractionToPercent(w).replace('%', '')).join(', '),
    draft_chain: [...p.draft_chain], final_chain: [...p.final_chain],
    allow_safety_fallback: p.allow_safety_fallback, preflight_moderation: p.preflight_moderation,
    final_quality: p.final_quality ?? 'auto',
  };
}

/** "1000.5" → "1000.50": a budget reads back in cents, the way it was typed. */
export function budgetText(x: string | null | undefined): string {
  if (!x) return '';
  const [int, frac = ''] = x.split('.');
  return `${int}.${frac.padEnd(2, '0')}`;
}

/** Checks the form in designer language; returns the backend input when it is valid. */
export function validateDraft(d: ProjectDraft, taken: string[] = []): { errors: DraftErrors; input: ProjectInput | null } {
  const errors: DraftErrors = {};
  const name = d.name.trim();
  if (!name) errors.name = 'Give the project a name, e.g. “Spring campaign”.';
  else if (name.length > 80) errors.name = 'Keep the name under 80 characters.';
  else if (taken.some((t) => t.toLowerCase() === name.toLowerCase())) errors.name = 'Another project already has this name.';
  if (d.client.trim().length > 120) errors.client = 'Keep the client name under 120 characters.';

  let budget: string | null = null;
  const raw = d.budget.replace(/[$,\s]/g, '').replace(/usd$/i, '');
  if (raw) {
    const b = parseDec(raw);
    if (!b || !/^\d+(\.\d+)?$/.test(raw)) errors.budget = 'Enter the budget as an amount in dollars, like 250 or 49.99.';
    else if (cmp(b, dec('0')) <= 0) errors.budget = 'A budget must be more than $0 — leave it empty for no budget.';
    else budget = raw;
  } else if (d.hard) {
    errors.budget = 'A hard stop needs a budget — enter an amount or switch to “soft”.';
  }

  const warn: string[] = [];
  const parts = d.warn.split(/[,;\s]+/).map((s) => s.replace('%', '').trim()).filter(Boolean);
  for (const p of parts) {
    const v = parseDec(p);
    if (!v || !/^\d+(\.\d+)?$/.test(p) || cmp(v, dec('0')) <= 0 || cmp(v, dec('100')) > 0) {
      errors.warn = 'Warnings are percentages of the budget between 1 and 100, like “50, 80”.';
      break;
    }
    warn.push(percentToFraction(p));
  }
  const uniq = [...new Set(warn)].sort((a, b) => cmp(dec(a), dec(b)));

  const input: ProjectInput = {
    name, client: d.client.trim() || null, budget_usd: budget, period: d.period, hard: d.hard, warn_at: uniq,
    draft_chain: d.draft_chain, final_chain: d.final_chain,
    allow_safety_fallback: d.allow_safety_fallback, preflight_moderation: d.preflight_moderation,
    final_quality: d.final_quality === 'auto' ? null : d.final_quality,
  };
  return { errors, input: Object.keys(errors).length ? null : input };
}

/** The form field of an engine error's `field` (None: show it above the form). */
const FORM_FIELD: Record<ErrorField, keyof DraftErrors | null> = {
  name: 'name', client: 'client', budget_usd: 'budget', warn_at: 'warn', draft_chain: 'chains', final_chain: 'chains',
  prompt: null, width: null, height: null, n: null, steps: null, quality: null, offer: null, provider: null,
  model: null, base_url: null, key: null, multiplier: null, price_cap_usd: null, gateway: null, catalog: null, settings: null,
};

export function formFieldOf(field: ErrorField | null): keyof DraftErrors | null {
  return field ? FORM_FIELD[field] : null;
}

export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list;
  const copy = [...list];
  const [x] = copy.splice(from, 1);
  copy.splice(to, 0, x);
  return copy;
}

/** Same settings (what the form edits), ignoring spend and counts. */
export function sameDraft(a: ProjectDraft, b: ProjectDraft): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What to do when the saved project is refreshed under an open form (issue 12 §1.3):
 * a clean form follows the saved one; a dirty form is never overwritten, and says so
 * when the saved settings really changed.
 */
export function onRefresh(form: ProjectDraft, baseline: ProjectDraft, saved: ProjectDraft): { form: ProjectDraft; baseline: ProjectDraft; changedUnderneath: boolean } {
  if (sameDraft(form, baseline)) return { form: saved, baseline: saved, changedUnderneath: false };
  return { form, baseline, changedUnderneath: !sameDraft(baseline, saved) };
}
