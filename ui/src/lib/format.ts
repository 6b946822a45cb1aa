import { cmpUsd, formatPrice, formatUsd } from './money';
import type { AttemptOutcome, BillingKind, OfferProvider, ProviderId } from './api';

/** What the window needs to know about who serves an offer (the Rust `vocab` crate says the
 *  same: `display_name`, `is_local`). */
type ProviderFacts = {
  name: string;
  /** A server on the user's machine: no key, but an address to set. */
  local: boolean;
  /** Served through an OpenAI-compatible gateway (set up in Settings → Gateways), not by a
   *  provider's own endpoint or key. */
  gateway: boolean;
};

const p = (name: string, local = false, gateway = false): ProviderFacts => ({ name, local, gateway });

// Keyed by the generated union: a provider added in Rust fails `npm run check` here. Keys are
// bare identifiers on purpose: the ids are spelled as strings only in the vocabulary crate.
const PROVIDERS = {
  openai: p('OpenAI'), google: p('Google'), bfl: p('Black Forest Labs'), stability: p('Stability AI'),
  fal: p('fal.ai'), replicate: p('Replicate'), ideogram: p('Ideogram'), recraft: p('Recraft'),
  together: p('Together AI'), openrouter: p('OpenRouter'), xai: p('xAI'),
  a1111: p('AUTOMATIC1111', true), comfyui: p('ComfyUI', true),
  openai_compatible: p('OpenAI-compatible gateway', false, true), gateway: p('Gateway', false, true),
} as const satisfies Record<OfferProvider, ProviderFacts>;

export function providerName(id: OfferProvider): string {
  return PROVIDERS[id].name;
}

/** A server on the user's machine (AUTOMATIC1111, ComfyUI): no key, an address to set. */
export function isLocalProvider(id: OfferProvider): boolean {
  return PROVIDERS[id].local;
}

/** Reached through a gateway (a named one, or the legacy unnamed `openai_compatible`). */
export function isGatewayProvider(id: OfferProvider): boolean {
  return PROVIDERS[id].gateway;
}

/** The provider whose key it is; null for a named gateway (its key lives in Gateways). */
export function keyProvider(id: OfferProvider): ProviderId | null {
  return id === 'gateway' ? null : id;
}

/** A provider id in an engine message ("openai's safety filter", "fal failed …"). */
const PROVIDER_IN_TEXT = new RegExp(
  `\\b(${Object.keys(PROVIDERS).filter((id) => id !== 'gateway').join('|')})\\b(?=('s| failed| is | returned| rejected|:))`, 'g');

/** A provider's name for text that may hold its id (a spend row's key); other text as is. */
export function providerLabel(text: string): string {
  const id = asOfferProvider(text);
  return id ? providerName(id) : text;
}

/** Reads a provider id out of text (an offer id's prefix); null when it names none. */
export function asOfferProvider(text: string): OfferProvider | null {
  return Object.hasOwn(PROVIDERS, text) ? (text as OfferProvider) : null;
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
export function modelName(offers: { offer_id: string; provider: OfferProvider; model: string; display_name: string }[], key: string): string {
  const hit = offers.find((o) => o.offer_id === key || `${o.provider}/${o.model}` === key || `${o.provider}:${o.model}` === key);
  if (hit) return hit.display_name;
  const m = /^([^/:]+)[/:](.+)$/.exec(key);
  if (!m) return key;
  const provider = asOfferProvider(m[1]);
  return `${provider ? providerName(provider) : m[1]} ${m[2]}`;
}

/** "1 day", "3 days". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Offer ids in a text ("use openai:gpt-image-2.5-sunburst") become their display names. */
type Named = { offer_id: string; display_name: string };
// The cost table names offers in every row's notes on every keystroke: the longest-first
// order is sorted once per offer list, not per call (issue 17).
const longestFirst = new WeakMap<readonly Named[], Named[]>();
function byLength(offers: readonly Named[]): Named[] {
  let sorted = longestFirst.get(offers);
  if (!sorted) {
    sorted = [...offers].sort((a, b) => b.offer_id.length - a.offer_id.length);
    longestFirst.set(offers, sorted);
  }
  return sorted;
}

export function withOfferNames(text: string, offers: Named[]): string {
  if (!text) return text;
  let m = text;
  for (const o of byLength(offers)) {
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
  m = m.replace(PROVIDER_IN_TEXT, (id) => providerLabel(id));
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
