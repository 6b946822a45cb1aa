const PROVIDER_NAMES: Record<string, string> = {
  openai: 'OpenAI', google: 'Google', bfl: 'Black Forest Labs', stability: 'Stability AI', fal: 'fal.ai',
  replicate: 'Replicate', ideogram: 'Ideogram', recraft: 'Recraft', leonardo: 'Leonardo', runware: 'Runware',
  together: 'Together AI', local: 'Local', a1111: 'AUTOMATIC1111', comfyui: 'ComfyUI', openrouter: 'OpenRouter',
  openai_compatible: 'OpenAI-compatible gateway', google_vertex: 'Google Vertex',
};

export function providerName(p: string): string {
  return PROVIDER_NAMES[p] ?? p;
}

const BILLING: Record<string, string> = {
  per_image: 'per image', table: 'size × quality', per_megapixel: 'per MP', tokens: 'tokens',
  compute_seconds: 'GPU time', credits: 'credits', step_scaled: 'per step', free: 'free', base_increment: 'base + step',
};

export function billingName(b: string): string {
  return BILLING[b] ?? b.replace(/_/g, ' ');
}

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const OUTCOMES: Record<string, string> = {
  succeeded: 'succeeded', safety_block: 'blocked by safety filter', rate_limited: 'rate limited', quota_exhausted: 'out of credit',
  auth_failed: 'key rejected', invalid_request: 'request refused', transient: 'provider hiccup', timeout: 'timed out',
  malformed_response: 'bad response', cancelled: 'cancelled', skipped: 'skipped',
};

export function outcomeName(o: string): string {
  return OUTCOMES[o] ?? o.replace(/_/g, ' ');
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
