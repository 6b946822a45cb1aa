// How unconfirmed charges and the over-budget state read in the window (issue 11).
// An unconfirmed charge is money booked at the estimate for a call whose outcome the
// provider never confirmed (timeout after sending, app killed mid-call): it counts as
// spent until the user confirms or refunds it. Pure functions: vitest covers them.
import { addUsd, cmpUsd, formatPrice, formatUsd } from '../money';

/** True when a `_usd` amount is above zero (a missing field reads as zero). */
export function positive(usd: string | null | undefined): boolean {
  return cmpUsd(usd ?? '0', '0') > 0;
}

/** "$0.04 unconfirmed — the provider may have billed; confirm or refund", or null. */
export function unconfirmedLine(usd: string | null | undefined): string | null {
  if (!positive(usd)) return null;
  return `${formatUsd(usd)} unconfirmed — the provider may have billed; confirm or refund`;
}

export interface OverBudgetLike {
  over_budget?: boolean;
  hard: boolean;
}

export const OVER_BUDGET_REASON = 'over budget — raise the budget to continue';

/**
 * Why new work is refused: spent is above a hard budget (a provider billed more than was
 * held). A soft budget that is over still runs, so it never blocks.
 */
export function overBudgetReason(b: OverBudgetLike | null | undefined): string | null {
  return b?.over_budget && b.hard ? OVER_BUDGET_REASON : null;
}

export interface AttemptChargeLike {
  billed: boolean;
  cost_usd: string;
  unconfirmed?: boolean;
  review?: string | null;
  /** What a gateway said the call cost, recorded beside our price. */
  gateway_reported_usd?: string | null;
}

export type ChargeKind = 'unconfirmed' | 'billed' | 'free';

/** What one attempt cost, in words: an unknown outcome is never "not billed". */
export function attemptCharge(a: AttemptChargeLike): { kind: ChargeKind; text: string } {
  if (a.unconfirmed) return { kind: 'unconfirmed', text: `unconfirmed charge ${formatPrice(a.cost_usd)}` };
  if (a.billed || positive(a.cost_usd)) return { kind: 'billed', text: formatPrice(a.cost_usd) };
  return { kind: 'free', text: 'not billed' };
}

/** "review: …" for a cost flagged by the engine's bounds, or null. */
export function reviewMark(a: AttemptChargeLike): string | null {
  const r = a.review?.trim();
  return r ? `review: ${r}` : null;
}

export interface ResultLike {
  dedup_hit: boolean;
  cost_usd: string;
  saved_usd: string;
  unconfirmed_usd?: string | null;
}

/** The cost cell of a finished job. */
export function resultCost(r: ResultLike): string {
  if (r.dedup_hit) return `$0.0000 · saved ${formatPrice(r.saved_usd)}`;
  if (positive(r.unconfirmed_usd)) {
    return cmpUsd(r.unconfirmed_usd, r.cost_usd) >= 0
      ? `${formatPrice(r.unconfirmed_usd)} unconfirmed`
      : `${formatPrice(r.cost_usd)} (${formatPrice(r.unconfirmed_usd)} unconfirmed)`;
  }
  return formatPrice(r.cost_usd);
}

/** The total of a list of charges (exact decimals). */
export function totalOf(charges: { amount_usd: string }[]): string {
  return addUsd(...charges.map((c) => c.amount_usd));
}
