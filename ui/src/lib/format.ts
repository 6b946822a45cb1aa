import { cmpUsd, formatPrice, formatUsd } from './money';
import type { AttemptOutcome, BillingKind, OfferProvider } from './api';

// Keyed by the generated unions: a provider or kind added in Rust fails `npm run check` here.
const PROVIDER_NAMES: Record<OfferProvider, string> = {
  openai: 'OpenAI', google: 'Google', bfl: 'Black Forest Labs', stability: 'Stability AI', fal: 'fal.ai',
  replicate: 'Replicate', ideogram: 'Ideogram', recraft: 'Recraft', together: 'Together AI',
  a1111: 'AUTOMATIC1111', comfyui: 'ComfyUI', openrouter: 'OpenRouter',
  openai_compatible: 'OpenAI-compatible gateway', xai: 'xAI', gateway: 'Gateway',
};

/** Servers on the user's machine: no key, but an address to set. */
export const LOCAL_PROVIDERS: ReadonlySet<OfferProvider> = new Set<OfferProvider>(['a1111', 'comfyui']);

function isOfferProvider(p: string): p is OfferProvider {
  return Object.hasOwn(PROVIDER_NAMES, p);
}

/** Accepts any string because ledger rows (charges, attempts) may predate a provider's removal. */
export function providerName(p: string): string {
  return isOfferProvider(p) ? PROVIDER_NAMES[p] : p;
}

const BILLING: Record<BillingKind, string> = {
  flat_per_image: 'per image', table: 'size × quality', per_megapixel: 'per MP', tokens: 'tokens',
  compute_seconds: 'GPU time', credits: 'credits', step_scaled: 'per step', free: 'free', base_increment: 'base + step',
  unknown: 'unknown',
};

export function billingName(b: BillingKind): string {
  return BILLING[b];
}

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // A bare day ("2026-11-29", a UTC billing day) must not move a day in the local zone.
  const utc = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? { timeZone: 'UTC' } : {};
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', ...utc });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const OUTCOMES: Record<AttemptOutcome, string> = {
  succeeded: 'succeeded', safety_block: 'blocked by safety filter', rate_limited: 'rate limited', quota_exhausted: 'out of credit',
  auth_failed: 'key rejected', invalid_request: 'request refused', transient: 'provider hiccup', timeout: 'timed out',
  malformed_response: 'bad response', cancelled: 'cancelled', skipped: 'skipped', running: 'running',
  unknown: 'ended (unknown outcome)',
};

export function outcomeName(o: AttemptOutcome): string {
  return OUTCOMES[o];
}

/** The catalog's display name for a model key ("openai/gpt-image-1", "openai:gpt-image-1" or a
 *  bare offer id), falling back to the provider's name plus the model id. */
export function modelName(offers: { offer_id: string; provider: string; model: string; display_name: string }[], key: string): string {
  const hit = offers.find((o) => o.offer_id === key || `${o.provider}/${o.model}` === key || `${o.provider}:${o.model}` === key);
  if (hit) return hit.display_name;
  const m = /^([^/:]+)[/:](.+)$/.exec(key);
  return m ? `${providerName(m[1])} ${m[2]}` : key;
}

/** "1 day", "3 days". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Offer ids in a text ("use openai:gpt-image-2.5-sunburst") become their display names. */
export function withOfferNames(text: string, offers: { offer_id: string; display_name: string }[]): string {
  let m = text;
  for (const o of [...offers].sort((a, b) => b.offer_id.length - a.offer_id.length)) {
    if (m.includes(o.offer_id)) m = m.split(o.offer_id).join(o.display_name);
  }
  return m;
}

/**
 * Engine messages name offers and providers by id ("openai:gpt-image-1-mini: cannot make …",
 * "Blocked by openai's safety filter"); the window says their names, and a repeated advice
 * sentence is said once (issue 12 §2).
 */
export function humanize(message: string, offers: { offer_id: string; display_name: string }[] = []): string {
  let m = withOfferNames(message, offers);
  // Developer back-ticks (`published`, `Studio LiteLLM`) read as quotes to a designer.
  m = m.replace(/`([^`]*)`/g, '“$1”');
  // Money in engine messages: cents from $0.10 up, four places below (the window's rule).
  m = m.replace(/\$(\d+(?:\.\d+)?)(?![\d.])/g, (_, x: string) => (cmpUsd(x, '0.1') >= 0 || cmpUsd(x, '0') === 0 ? formatUsd(x) : formatPrice(x)));
  m = m.replace(/\b(openai|stability|google|bfl|fal|replicate|ideogram|recraft|leonardo|runware|together|openrouter|a1111|comfyui|xai)\b(?=('s| failed| is | returned| rejected|:))/g, (p) => providerName(p));
  // Split into sentences, and sentences into "— advice" clauses; a clause said again, or
  // said again at greater length later, is kept once (the longer, later one).
  const key = (c: string) => c.toLowerCase().replace(/[^a-z ]/g, '').replace(/\s+/g, ' ').trim();
  const sentences = m.split(/(?<=[.;])\s+/).map((x) => x.split(/\s+—\s+/));
  const all = sentences.flat().map(key);
  let at = 0;
  m = sentences
    .map((clauses) => clauses.filter(() => {
      const k = all[at];
      const later = all.slice(at + 1);
      at++;
      return !k || !later.some((l) => l === k || (l.startsWith(k) && k.split(' ').length >= 2));
    }).join(' — '))
    .filter((x) => x.trim())
    .join(' ');
  return m.charAt(0).toUpperCase() + m.slice(1);
}
