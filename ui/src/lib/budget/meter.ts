import { add, cmp, dec, isZero, mul, sub, toFloat, toStr } from '../money';

export interface BudgetLike {
  budget_usd: string | null;
  spent_usd: string;
  reserved_usd: string;
  warn_at: string[];
  hard: boolean;
  request_usd?: string | null;
  request_fits?: boolean;
  /** The part of spent no provider confirmed (issue 11). */
  unconfirmed_usd?: string | null;
  /** Spent is above the budget (a recorded provider overcharge). */
  over_budget?: boolean;
  /** A team project: the figures are the team's; this adds the member's (issue 18). */
  team?: TeamMeterLike | null;
}

export interface TeamMeterLike {
  reachable: boolean;
  member: string | null;
  member_cap_usd: string | null;
  member_month_spent_usd: string;
  member_reserved_usd: string;
  error: string | null;
}

/** The member's line under a team meter: "you: $3.20 this month of your $50.00 cap". */
export function memberLine(t: TeamMeterLike, usd: (v: string | null) => string): string {
  if (!t.reachable) return `The team's figures are not available: showing this library's own. ${t.error ?? ''}`.trim();
  const who = t.member ? `${t.member} (you)` : 'You';
  const cap = t.member_cap_usd != null ? ` of your ${usd(t.member_cap_usd)} monthly cap` : '';
  return `${who}: ${usd(t.member_month_spent_usd)} this month${cap}`;
}

export type Level = 'ok' | 'warn' | 'high' | 'over';

export interface Meter {
  hasBudget: boolean;
  /** Bar geometry (fractions of the budget, clamped to [0,1]); never used for displayed amounts. */
  spentFrac: number;
  reservedFrac: number;
  requestFrac: number;
  /** The unconfirmed part of spent, drawn at the end of the spent segment. */
  unconfirmedFrac: number;
  ticks: number[];
  level: Level;
  /** Remaining after spent + reserved (decimal string), or null without a budget. */
  remaining_usd: string | null;
  /** Remaining if this request ran at its worst case. */
  after_usd: string | null;
  fits: boolean;
}

const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Spent/reserved/request against the budget; the level uses exact decimals. */
export function meter(b: BudgetLike): Meter {
  const spent = dec(b.spent_usd);
  const reserved = dec(b.reserved_usd);
  const req = dec(b.request_usd ?? '0');
  const committed = add(spent, reserved);
  const withReq = add(committed, req);
  if (b.budget_usd == null || isZero(dec(b.budget_usd))) {
    return { hasBudget: false, spentFrac: 0, reservedFrac: 0, requestFrac: 0, unconfirmedFrac: 0, ticks: [], level: 'ok', remaining_usd: null, after_usd: null, fits: b.request_fits ?? true };
  }
  const budget = dec(b.budget_usd);
  const total = toFloat(b.budget_usd);
  const spentFrac = clamp(toFloat(b.spent_usd) / total);
  const reservedFrac = clamp(toFloat(b.reserved_usd) / total);
  const requestFrac = clamp(toFloat(b.request_usd ?? '0') / total);
  const unconfirmedFrac = Math.min(spentFrac, clamp(toFloat(b.unconfirmed_usd ?? '0') / total));
  const ticks = b.warn_at.map(toFloat).filter((t) => t > 0 && t < 1).sort((x, y) => x - y);
  const thresholds = [...b.warn_at].sort((x, y) => cmp(dec(x), dec(y)));
  const fits = b.request_fits ?? (!b.hard || cmp(withReq, budget) <= 0);
  let level: Level = 'ok';
  if (b.over_budget || cmp(withReq, budget) > 0 || !fits) level = 'over';
  else {
    const crossed = thresholds.filter((t) => cmp(withReq, mul(budget, dec(t))) >= 0).length;
    if (crossed > 0) level = crossed === thresholds.length && thresholds.length > 1 ? 'high' : 'warn';
  }
  return {
    hasBudget: true, spentFrac, reservedFrac, requestFrac, unconfirmedFrac, ticks, level,
    remaining_usd: toStr(sub(budget, committed)), after_usd: toStr(sub(budget, withReq)), fits,
  };
}
