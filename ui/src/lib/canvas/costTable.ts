import { cmpUsd } from '../money';
import type { OfferEstimate } from '../api';

export type RowState = 'ok' | 'dedup' | 'nokey' | 'unsupported';

export interface CostRow {
  e: OfferEstimate;
  state: RowState;
  /** What the designer would pay now: $0 for a gallery hit. */
  effective_usd: string;
}

export function rowState(e: OfferEstimate): RowState {
  if (!e.supported) return 'unsupported';
  if (e.dedup_hit) return 'dedup';
  if (!e.has_key) return 'nokey';
  return 'ok';
}

/** Cheapest first by what it would cost now; unsupported rows last. Stable on ties. */
export function sortRows(estimates: OfferEstimate[]): CostRow[] {
  return estimates
    .map((e, i) => ({ e, i, state: rowState(e), effective_usd: e.supported && e.dedup_hit ? '0' : e.expected_usd }))
    .sort((a, b) =>
      Number(a.state === 'unsupported') - Number(b.state === 'unsupported') ||
      cmpUsd(a.effective_usd, b.effective_usd) ||
      cmpUsd(a.e.worst_case_usd, b.e.worst_case_usd) ||
      a.i - b.i)
    .map(({ e, state, effective_usd }) => ({ e, state, effective_usd }));
}

export interface CostGroups {
  usable: CostRow[];
  unsupported: CostRow[];
  cheapest: CostRow | null;
}

export function groupRows(rows: CostRow[], tier: 'all' | 'draft' | 'final' = 'all'): CostGroups {
  const inTier = rows.filter((r) => tier === 'all' || r.e.tier === tier);
  const usable = inTier.filter((r) => r.state !== 'unsupported');
  return { usable, unsupported: inTier.filter((r) => r.state === 'unsupported'), cheapest: usable.find((r) => r.state !== 'nokey') ?? null };
}
