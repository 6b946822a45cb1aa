import { cmpUsd, formatPrice } from '../money';
import type { OfferEstimate } from '../api';

export type RowState = 'ok' | 'dedup' | 'nokey' | 'cooling' | 'unsupported';

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
  // The provider failed repeatedly and cools down: Draft/Final pass it over for now.
  if (e.cooling_down) return 'cooling';
  return 'ok';
}

/** No price is known (a gateway model bound to nothing): never sorted or shown as $0. */
function unpriced(e: OfferEstimate, state: RowState): boolean {
  return !e.price_known && state !== 'dedup' && state !== 'unsupported';
}

/**
 * Cheapest first by what it would cost now; unknown prices after every known one (their
 * amounts are a cap or zero, not a price); unsupported rows last. Stable on ties.
 */
export function sortRows(estimates: OfferEstimate[]): CostRow[] {
  return estimates
    .map((e, i) => ({ e, i, state: rowState(e), effective_usd: e.supported && e.dedup_hit ? '0' : e.expected_usd }))
    .sort((a, b) =>
      Number(a.state === 'unsupported') - Number(b.state === 'unsupported') ||
      Number(unpriced(a.e, a.state)) - Number(unpriced(b.e, b.state)) ||
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
  return { usable, unsupported: inTier.filter((r) => r.state === 'unsupported'), cheapest: cheapestOf(usable) };
}

/**
 * How faithfully a row delivers the request, lower is better: the engine's size fit
 * (0 exact, 1 same shape, 2 other shape), then whether it ignores a parameter asked for.
 */
export function fidelity(r: CostRow): number {
  const ignores = r.e.notes.some((n) => /negative prompt|seed ignored|steps ignored/i.test(n));
  return r.e.fit * 2 + (ignores ? 1 : 0);
}

/**
 * "Cheapest" compares offers that deliver the same request (issue 12 item 1): the
 * cheapest runnable row among those that come closest to what was asked, so a 1024²
 * image is never the cheapest way to get 4096². Rows are in price order already.
 */
export function cheapestOf(rows: CostRow[]): CostRow | null {
  const runnable = rows.filter((r) => r.state === 'dedup' || (r.state === 'ok' && r.e.price_known));
  if (!runnable.length) return null;
  const best = Math.min(...runnable.map(fidelity));
  return runnable.find((r) => fidelity(r) === best) ?? null;
}

export type SortKey = 'price' | 'name' | 'provider' | 'worst' | 'per_image';

/** Re-sorts by a column (the default "price" keeps sortRows' order). Unsupported rows stay last. */
export function sortBy(rows: CostRow[], key: SortKey, dir: 'asc' | 'desc' = 'asc'): CostRow[] {
  if (key === 'price' && dir === 'asc') return rows;
  const s = dir === 'asc' ? 1 : -1;
  const by: Record<SortKey, (a: CostRow, b: CostRow) => number> = {
    price: (a, b) => cmpUsd(a.effective_usd, b.effective_usd),
    worst: (a, b) => cmpUsd(a.e.worst_case_usd, b.e.worst_case_usd),
    per_image: (a, b) => cmpUsd(a.e.per_image_usd, b.e.per_image_usd),
    name: (a, b) => a.e.display_name.localeCompare(b.e.display_name),
    provider: (a, b) => a.e.provider.localeCompare(b.e.provider) || a.e.display_name.localeCompare(b.e.display_name),
  };
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) =>
      Number(a.r.state === 'unsupported') - Number(b.r.state === 'unsupported') || s * by[key](a.r, b.r) || a.i - b.i)
    .map(({ r }) => r);
}

/**
 * What a price cell shows: "—" where the offer cannot serve the request, $0 for a gallery
 * hit, and for an unknown price never $0 — "unknown", or "≤ $X cap" under the user's cap.
 */
export function priceText(r: CostRow, usd: string): string {
  if (r.state === 'unsupported') return '—';
  if (r.state === 'dedup') return '$0.0000';
  if (!r.e.price_known) return cmpUsd(usd, '0') > 0 ? `≤ ${formatPrice(usd)} cap` : 'unknown';
  return formatPrice(usd);
}

/** "Only offers I can use": drops rows without a key / not set up, and unsupported ones. */
export function onlyUsable(rows: CostRow[]): CostRow[] {
  return rows.filter((r) => r.state === 'ok' || r.state === 'dedup');
}

/** True when the row's worst case does not fit what is left of the budget. */
export function overBudget(r: CostRow, remaining: string | null | undefined): boolean {
  if (remaining == null || r.state === 'unsupported' || r.state === 'dedup') return false;
  return cmpUsd(r.e.worst_case_usd, remaining) > 0;
}

/** Which of the project's chains names this offer ("draft", "final", both or none). */
export function chainMark(offerId: string, draft: string[], final: string[]): string | null {
  const d = draft.indexOf(offerId);
  const f = final.indexOf(offerId);
  if (d < 0 && f < 0) return null;
  const parts = [d >= 0 ? `draft #${d + 1}` : '', f >= 0 ? `final #${f + 1}` : ''].filter(Boolean);
  return parts.join(' · ');
}

/** A row's notes, de-duplicated and in plain words ("image(s)" → "images"). */
export function tidyNotes(notes: string[]): string[] {
  return [...new Set(notes.map((n) => n.replace(/\b1 image\(s\)/g, '1 image').replace(/\bimage\(s\)/g, 'images').replace(/\(s\)/g, 's')))];
}

/** The lines of a row's price breakdown that price the input images (issue 15): shown on
 *  the row itself, since inputs can cost more than the output. */
export function inputLines(lines: readonly string[]): string[] {
  // "the image to edit / expand / upscale / vary": the subject's line, priced or included.
  return lines.filter((l) => /\b(input|inputs|reference|references|subject|mask|image-in|to (edit|expand|upscale|vary))\b/i.test(l));
}
