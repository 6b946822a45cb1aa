import { describe, expect, it } from 'vitest';
import { meter, memberLine } from './meter';

const base = { budget_usd: '50', spent_usd: '10', reserved_usd: '0', warn_at: ['0.5', '0.8'], hard: true };

describe('budget meter', () => {
  it('is calm below the first threshold', () => {
    const m = meter(base);
    expect(m.level).toBe('ok');
    expect(m.remaining_usd).toBe('40');
    expect(m.spentFrac).toBeCloseTo(0.2);
    expect(m.ticks).toEqual([0.5, 0.8]);
  });

  it('counts reserved and the request toward the thresholds, exactly', () => {
    expect(meter({ ...base, spent_usd: '24.99', reserved_usd: '0.01' }).level).toBe('warn');
    expect(meter({ ...base, spent_usd: '24.98', reserved_usd: '0.01' }).level).toBe('ok');
    expect(meter({ ...base, spent_usd: '39.9958', request_usd: '0.0042' }).level).toBe('high');
  });

  it('is over when the request does not fit a hard budget', () => {
    const m = meter({ ...base, spent_usd: '49.99', request_usd: '0.0421', request_fits: false });
    expect(m.level).toBe('over');
    expect(m.fits).toBe(false);
    expect(m.after_usd).toBe('-0.0321');
  });

  it('turns red when a recorded overcharge took spent over the budget', () => {
    const m = meter({ ...base, spent_usd: '10', over_budget: true });
    expect(m.level).toBe('over');
    expect(meter({ ...base, spent_usd: '10', over_budget: false }).level).toBe('ok');
  });

  it('draws the unconfirmed part inside the spent segment', () => {
    const m = meter({ ...base, spent_usd: '10', unconfirmed_usd: '5' });
    expect(m.unconfirmedFrac).toBeCloseTo(0.1);
    expect(m.spentFrac).toBeCloseTo(0.2);
    // Never wider than spent, never there without a budget.
    expect(meter({ ...base, spent_usd: '1', unconfirmed_usd: '5' }).unconfirmedFrac).toBeCloseTo(0.02);
    expect(meter({ ...base, budget_usd: null, unconfirmed_usd: '5' }).unconfirmedFrac).toBe(0);
    expect(meter(base).unconfirmedFrac).toBe(0);
  });

  it('has no bar without a budget', () => {
    const m = meter({ ...base, budget_usd: null });
    expect(m.hasBudget).toBe(false);
    expect(m.remaining_usd).toBeNull();
  });
});

describe('memberLine (team meters)', () => {
  const usd = (v: string | null) => (v == null ? '—' : `$${v}`);
  it('names the member, the month spend and the cap', () => {
    expect(memberLine({ reachable: true, member: 'ben', member_cap_usd: '2', member_month_spent_usd: '0.04', member_reserved_usd: '0', error: null }, usd))
      .toBe('ben (you): $0.04 this month of your $2 monthly cap');
    expect(memberLine({ reachable: true, member: null, member_cap_usd: null, member_month_spent_usd: '0', member_reserved_usd: '0', error: null }, usd))
      .toBe('You: $0 this month');
  });
  it('says the figures are local when the server is away', () => {
    expect(memberLine({ reachable: false, member: null, member_cap_usd: null, member_month_spent_usd: '0', member_reserved_usd: '0', error: 'the team server cannot be reached' }, usd))
      .toContain("showing this library's own. the team server cannot be reached");
  });
});
