// Whether Draft / Final can run, said before the button is pressed (issue 12 items 1 and 8).
import type { OfferEstimate } from '../api';

export interface Readiness {
  ok: boolean;
  /** Why not, in a designer's words, with the fix. */
  reason: string | null;
}

const READY: Readiness = { ok: true, reason: null };

/**
 * `estimates` are the cost table's rows (all tiers it priced); `chain` is the project's chain
 * for this route (empty: the engine picks from the tier). Unknown (no estimate yet) is ready.
 */
export function routeReadiness(estimates: OfferEstimate[] | null, chain: string[], tier: 'draft' | 'final'): Readiness {
  if (!estimates || !estimates.length) return READY;
  const label = tier === 'draft' ? 'Draft' : 'Final';
  if (chain.length) {
    const rows = chain.map((id) => estimates.find((e) => e.offer_id === id)).filter((e): e is OfferEstimate => !!e);
    if (!rows.length) return READY; // chain offers not priced in this view
    if (rows.some((e) => e.supported && e.has_key)) return READY;
    const why = rows.map((e) => `${e.display_name}: ${e.supported ? 'no key' : e.reason ?? 'cannot make this'}`).join('; ');
    const fix = rows.some((e) => e.supported) ? 'add a key in Settings' : 'change the size or parameters, or edit the chain in Projects';
    return { ok: false, reason: `${label} chain can’t make this (${why}) — ${fix}.` };
  }
  const inTier = estimates.filter((e) => e.tier === tier);
  if (!inTier.length) return READY;
  if (inTier.some((e) => e.supported && e.has_key)) return READY;
  return inTier.some((e) => e.supported)
    ? { ok: false, reason: `No ${tier} offer can run yet — add an API key in Settings (or set up a local server).` }
    : { ok: false, reason: `No ${tier} offer can make this request — change the size or parameters.` };
}
