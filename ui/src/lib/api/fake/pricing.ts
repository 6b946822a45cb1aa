// Prices in the fake: the engine's recorded estimates for the nearest recorded request,
// with the engine's request limits and error texts.
import { dec, mul, round, toStr } from '../../money';
import type * as T from '../types';
import { ESTIMATES, INPUTS, KEYED, LIMITS, OFFERS, clone, engineError } from './fixtures';

/** Refuses what the engine refuses before pricing, with its words. */
export function validateParams(p: T.RequestParams): void {
  const op = p.operation ?? 'generate';
  // As the engine: only text to image needs a prompt everywhere (offers say the rest).
  if (!p.prompt.trim() && op === 'generate') throw engineError('prompt_empty');
  const { min_side: lo, max_side: hi } = LIMITS;
  if (p.width < lo || p.height < lo || p.width > hi || p.height > hi) {
    throw engineError('size_out_of_range', { width: p.width, height: p.height });
  }
  if (p.n < LIMITS.min_n || p.n > LIMITS.max_n) throw engineError('count_out_of_range', { n: p.n });
  if (op !== 'generate' && !(p.inputs ?? []).length) throw engineError('operation_needs_subject');
  if (op === 'inpaint' && !p.mask) throw engineError('inpaint_needs_mask');
}

const LONG_PROMPT = 1000;

/** How far a recorded request is from `p`: count, long prompt and quality first, then size. */
function distance(r: T.StoredParams, p: T.RequestParams): number {
  let d = 0;
  if (r.n !== p.n) d += 1e7 + Math.abs(r.n - p.n) * 1e6;
  if ((r.prompt.length > LONG_PROMPT) !== (p.prompt.length > LONG_PROMPT)) d += 1e7;
  if ((r.quality ?? null) !== (p.quality ?? null)) d += 1e5;
  if ((r.seed != null) !== (p.seed != null) || !!r.negative_prompt !== !!p.negative_prompt) d += 1e4;
  return d + Math.abs(r.width - p.width) + Math.abs(r.height - p.height);
}

/** The engine's estimates on every live offer for the recorded request nearest to `p`. */
export function recordedEstimates(p: T.RequestParams): T.OfferEstimate[] {
  // A request with inputs is priced from the recorded image-input requests (same operation, nearest input count).
  const pool = (p.inputs ?? []).length ? INPUTS.estimates : ESTIMATES;
  const dist = (r: T.StoredParams) => distance(r, p) + ((r.operation ?? 'generate') !== (p.operation ?? 'generate') ? 1e9 : 0) + Math.abs((r.inputs ?? []).length - (p.inputs ?? []).length) * 1e8;
  let best = pool[0];
  for (const r of pool) if (dist(r.params) < dist(best.params)) best = r;
  return clone(best.estimates);
}

/** Providers that had keys when the estimates were recorded (their `has_key` is the fake's). */
const KEYED_AT_RECORDING = new Set<string>(KEYED);

export interface PriceContext {
  hasKey(provider: string): boolean;
  /** The negotiated multiplier of an offer ('1' when none). */
  multiplier(offerId: string): string;
}

/** Estimates for `tier` or for the named offers, as the engine lists them. */
export function estimateOffers(p: T.RequestParams, tier: T.TierFilter, ids: string[], ctx: PriceContext): T.OfferEstimate[] {
  validateParams(p);
  const unknown = ids.filter((id) => !OFFERS.some((o) => o.offer_id === id));
  if (unknown.length) throw engineError('estimate_unknown_offer', { offers: unknown.join(', ') });
  const all = recordedEstimates(p);
  const picked = ids.length
    ? ids.map((id) => all.find((e) => e.offer_id === id)).filter((e): e is T.OfferEstimate => !!e)
    : all.filter((e) => tier === 'all' || e.tier === tier);
  return picked.map((e) => {
    // Keyless offers (local servers) keep what the engine said; keyed ones follow the fake's keys.
    e.has_key = KEYED_AT_RECORDING.has(e.provider) ? ctx.hasKey(e.provider) : e.has_key || ctx.hasKey(e.provider);
    const m = ctx.multiplier(e.offer_id);
    if (m !== '1') {
      for (const k of ['expected_usd', 'worst_case_usd', 'per_image_usd'] as const) e[k] = scale(e[k], m);
      e.lines.push(`× ${m} negotiated rate`);
    }
    return e;
  });
}

export function scale(usd: string, by: string): string {
  return toStr(round(mul(dec(usd), dec(by)), 6));
}

export function offerOrThrow(id: string): T.OfferView {
  const o = OFFERS.find((x) => x.offer_id === id);
  if (!o) throw engineError('estimate_unknown_offer', { offers: id });
  return o;
}
