import type { DeferredPrice, OfferEstimate } from '../api';

/** The offer a "Later" press sends to, with its batch price: the first of the route's
 *  chain that has a later tier (any usable one, cheapest, when the chain is empty). */
export function laterChoice(estimates: OfferEstimate[] | null, chain: string[]): { e: OfferEstimate; d: DeferredPrice } | null {
  const usable = (estimates ?? []).filter((e) => e.supported && e.has_key && e.price_known && !e.dedup_hit && e.deferred);
  const pick = chain.length
    ? chain.map((id) => usable.find((e) => e.offer_id === id)).find((e) => e !== undefined)
    : [...usable].sort((a, b) => Number(a.deferred?.expected_usd) - Number(b.deferred?.expected_usd))[0];
  return pick?.deferred ? { e: pick, d: pick.deferred } : null;
}

/** "now $0.0387 / later $0.0194 (within 24 h)". */
export function laterText(e: OfferEstimate, d: DeferredPrice, price: (usd: string) => string): string {
  return `now ${price(e.expected_usd)} / later ${price(d.expected_usd)} (within ${d.within_hours} h)`;
}

/** "Later (−50 %)". */
export function laterLabel(d: DeferredPrice): string {
  return `Later (−${d.saving_pct} %)`;
}
