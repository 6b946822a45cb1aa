import { describe, expect, it } from 'vitest';
import {
  OVER_BUDGET_REASON, attemptCharge, overBudgetReason, positive, resultCost, reviewMark, totalOf, unconfirmedLine,
} from './unconfirmed';

const attempt = { billed: false, cost_usd: '0', unconfirmed: false, review: null };

describe('unconfirmed charges in words', () => {
  it('says what the unconfirmed money is and what to do, only when there is some', () => {
    expect(unconfirmedLine('0.04')).toBe('$0.04 unconfirmed — the provider may have billed; confirm or refund');
    expect(unconfirmedLine('0.0042')).toBe('< $0.01 unconfirmed — the provider may have billed; confirm or refund');
    expect(unconfirmedLine('0')).toBeNull();
    expect(unconfirmedLine('0.000')).toBeNull();
    expect(unconfirmedLine(null)).toBeNull();
    expect(unconfirmedLine(undefined)).toBeNull();
    expect(positive('0.000001')).toBe(true);
    expect(positive('-1')).toBe(false);
  });

  it('blocks new work only when a hard budget is over', () => {
    expect(overBudgetReason({ over_budget: true, hard: true })).toBe(OVER_BUDGET_REASON);
    expect(OVER_BUDGET_REASON).toBe('over budget — raise the budget to continue');
    expect(overBudgetReason({ over_budget: true, hard: false })).toBeNull();
    expect(overBudgetReason({ over_budget: false, hard: true })).toBeNull();
    expect(overBudgetReason({ hard: true })).toBeNull();
    expect(overBudgetReason(null)).toBeNull();
  });

  it('never calls an attempt with an unknown outcome "not billed"', () => {
    // The engine books an unknown outcome at the estimate: billed may be either way.
    for (const billed of [true, false]) {
      expect(attemptCharge({ ...attempt, billed, cost_usd: '0.04', unconfirmed: true })).toEqual({ kind: 'unconfirmed', text: 'unconfirmed charge $0.0400' });
    }
    expect(attemptCharge({ ...attempt, billed: true, cost_usd: '0.011' })).toEqual({ kind: 'billed', text: '$0.0110' });
    expect(attemptCharge(attempt)).toEqual({ kind: 'free', text: 'not billed' });
    // Money recorded is money shown, even if the billed flag was not set.
    expect(attemptCharge({ ...attempt, cost_usd: '0.02' }).kind).toBe('billed');
  });

  it('marks costs flagged for review', () => {
    expect(reviewMark({ ...attempt, review: 'reported $4.00, 100× the estimate' })).toBe('review: reported $4.00, 100× the estimate');
    expect(reviewMark({ ...attempt, review: '  ' })).toBeNull();
    expect(reviewMark(attempt)).toBeNull();
  });

  it('shows a job cost with its unconfirmed part', () => {
    const r = { dedup_hit: false, cost_usd: '0.04', saved_usd: '0', unconfirmed_usd: '0.04' };
    expect(resultCost(r)).toBe('$0.0400 unconfirmed');
    expect(resultCost({ ...r, cost_usd: '0.10' })).toBe('$0.1000 ($0.0400 unconfirmed)');
    expect(resultCost({ ...r, unconfirmed_usd: '0' })).toBe('$0.0400');
    expect(resultCost({ ...r, dedup_hit: true, cost_usd: '0', saved_usd: '0.04' })).toBe('$0.0000 · saved $0.0400');
  });

  it('totals charges exactly', () => {
    expect(totalOf([{ amount_usd: '0.1' }, { amount_usd: '0.2' }])).toBe('0.3');
    expect(totalOf([])).toBe('0');
  });
});
