// Realistic in-memory data for the fake backend (browser preview and tests).
import { addUsd, dec, mul, round, toStr } from '../money';
import { LOCAL_PROVIDERS } from '../format';
import type * as T from './types';

export interface FakeOffer extends T.OfferView {
  base_usd: string;
  /** Allowed sizes ("WxH"); empty means any size up to maxSide. */
  sizes: string[];
  maxSide: number;
  qualities: string[];
  seed: boolean;
  negative: boolean;
  maxN: number;
  unavailable?: string;
}

type Row = [string, string, string, string, T.Tier, string, string, Partial<FakeOffer>?];

const OAI = ['1024x1024', '1536x1024', '1024x1536'];
const D3 = ['1024x1024', '1792x1024', '1024x1792'];
// [offer_id, provider, model, display, tier, billing, base per image, extras]
const ROWS: Row[] = [
  ['openai/gpt-image-1:low', 'openai', 'gpt-image-1', 'gpt-image-1 · low', 'draft', 'tokens', '0.011', { sizes: OAI, qualities: ['low'] }],
  ['openai/gpt-image-1:medium', 'openai', 'gpt-image-1', 'gpt-image-1 · medium', 'final', 'tokens', '0.042', { sizes: OAI, qualities: ['medium'] }],
  ['openai/gpt-image-1:high', 'openai', 'gpt-image-1', 'gpt-image-1 · high', 'final', 'tokens', '0.167', { sizes: OAI, qualities: ['high'] }],
  ['openai/gpt-image-1-mini:low', 'openai', 'gpt-image-1-mini', 'gpt-image-1 mini · low', 'draft', 'tokens', '0.005', { sizes: OAI }],
  ['openai/dall-e-3:standard', 'openai', 'dall-e-3', 'DALL·E 3 standard', 'final', 'table', '0.04', { sizes: D3, maxN: 1, qualities: ['standard'] }],
  ['openai/dall-e-3:hd', 'openai', 'dall-e-3', 'DALL·E 3 HD', 'final', 'table', '0.08', { sizes: D3, maxN: 1, qualities: ['hd'] }],
  ['openai/dall-e-2', 'openai', 'dall-e-2', 'DALL·E 2', 'draft', 'table', '0.02', { sizes: ['1024x1024'], seed: false }],
  ['google/imagen-4-fast', 'google', 'imagen-4.0-fast', 'Imagen 4 Fast', 'draft', 'per_image', '0.02', { maxN: 4, negative: false }],
  ['google/imagen-4', 'google', 'imagen-4.0', 'Imagen 4', 'final', 'per_image', '0.04', { maxN: 4, negative: false }],
  ['google/imagen-4-ultra', 'google', 'imagen-4.0-ultra', 'Imagen 4 Ultra', 'final', 'per_image', '0.06', { maxN: 1, negative: false }],
  ['google/gemini-2.5-flash-image', 'google', 'gemini-2.5-flash-image', 'Gemini 2.5 Flash Image', 'draft', 'tokens', '0.039', { seed: false }],
  ['bfl/flux-schnell', 'bfl', 'flux-schnell', 'FLUX.1 schnell', 'draft', 'per_megapixel', '0.003'],
  ['bfl/flux-dev', 'bfl', 'flux-dev', 'FLUX.1 dev', 'draft', 'per_megapixel', '0.025'],
  ['bfl/flux-pro-1.1', 'bfl', 'flux-pro-1.1', 'FLUX1.1 pro', 'final', 'per_image', '0.04', { maxSide: 1440 }],
  ['bfl/flux-pro-1.1-ultra', 'bfl', 'flux-pro-1.1-ultra', 'FLUX1.1 pro ultra', 'final', 'per_image', '0.06', { maxSide: 2752 }],
  ['bfl/flux-kontext-pro', 'bfl', 'flux-kontext-pro', 'FLUX.1 Kontext pro', 'final', 'per_image', '0.04'],
  ['stability/sd3.5-large', 'stability', 'sd3.5-large', 'SD 3.5 Large', 'final', 'credits', '0.065'],
  ['stability/sd3.5-large-turbo', 'stability', 'sd3.5-large-turbo', 'SD 3.5 Large Turbo', 'draft', 'credits', '0.04'],
  ['stability/sd3.5-medium', 'stability', 'sd3.5-medium', 'SD 3.5 Medium', 'draft', 'credits', '0.035'],
  ['stability/stable-image-core', 'stability', 'stable-image-core', 'Stable Image Core', 'draft', 'credits', '0.03'],
  ['stability/stable-image-ultra', 'stability', 'stable-image-ultra', 'Stable Image Ultra', 'final', 'credits', '0.08'],
  ['fal/flux-schnell', 'fal', 'fal-ai/flux/schnell', 'FLUX.1 schnell (fal)', 'draft', 'per_megapixel', '0.003'],
  ['fal/flux-dev', 'fal', 'fal-ai/flux/dev', 'FLUX.1 dev (fal)', 'draft', 'per_megapixel', '0.025'],
  ['fal/flux-pro-1.1', 'fal', 'fal-ai/flux-pro/v1.1', 'FLUX1.1 pro (fal)', 'final', 'per_megapixel', '0.04'],
  ['fal/recraft-v3', 'fal', 'fal-ai/recraft-v3', 'Recraft V3 (fal)', 'final', 'per_image', '0.04', { seed: false }],
  ['fal/hidream-i1-fast', 'fal', 'fal-ai/hidream-i1-fast', 'HiDream I1 Fast', 'draft', 'per_megapixel', '0.01'],
  ['replicate/flux-schnell', 'replicate', 'black-forest-labs/flux-schnell', 'FLUX.1 schnell (Replicate)', 'draft', 'per_image', '0.003'],
  ['replicate/sdxl', 'replicate', 'stability-ai/sdxl', 'SDXL (Replicate)', 'draft', 'compute_seconds', '0.0023', { maxSide: 1536 }],
  ['replicate/flux-1.1-pro', 'replicate', 'black-forest-labs/flux-1.1-pro', 'FLUX1.1 pro (Replicate)', 'final', 'per_image', '0.04'],
  ['replicate/ideogram-v3-turbo', 'replicate', 'ideogram-ai/ideogram-v3-turbo', 'Ideogram 3 Turbo (Replicate)', 'draft', 'per_image', '0.03'],
  ['ideogram/v3-turbo', 'ideogram', 'V_3_TURBO', 'Ideogram 3 Turbo', 'draft', 'per_image', '0.03'],
  ['ideogram/v3-balanced', 'ideogram', 'V_3_BALANCED', 'Ideogram 3 Balanced', 'final', 'per_image', '0.06'],
  ['ideogram/v3-quality', 'ideogram', 'V_3_QUALITY', 'Ideogram 3 Quality', 'final', 'per_image', '0.09'],
  ['recraft/v3', 'recraft', 'recraftv3', 'Recraft V3', 'final', 'per_image', '0.04', { seed: false }],
  ['recraft/v3-vector', 'recraft', 'recraftv3-vector', 'Recraft V3 vector', 'final', 'per_image', '0.08', { seed: false }],
  ['leonardo/phoenix', 'leonardo', 'phoenix-1.0', 'Leonardo Phoenix', 'final', 'credits', '0.0245'],
  ['leonardo/flux-schnell', 'leonardo', 'flux-schnell', 'FLUX schnell (Leonardo)', 'draft', 'credits', '0.0042'],
  ['runware/flux-schnell', 'runware', 'runware:100@1', 'FLUX schnell (Runware)', 'draft', 'step_scaled', '0.0006'],
  ['runware/sdxl', 'runware', 'civitai:101055@128078', 'SDXL (Runware)', 'draft', 'step_scaled', '0.0019'],
  ['together/flux-schnell-free', 'together', 'FLUX.1-schnell-Free', 'FLUX schnell Free (Together)', 'draft', 'free', '0', { maxSide: 1440 }],
  ['together/flux-pro', 'together', 'FLUX.1-pro', 'FLUX.1 pro (Together)', 'final', 'per_megapixel', '0.05'],
  ['local/sdxl-comfy', 'local', 'sdxl-base-1.0', 'SDXL on this Mac (ComfyUI)', 'draft', 'free', '0', { unavailable: 'Local server not configured — add it under Settings → Endpoints' }],
];

export const FAKE_OFFERS: FakeOffer[] = ROWS.map(([offer_id, provider, model, display_name, tier, billing, base, extra]) => ({
  // The fake's invented rows (leonardo, runware, local, per_image) are not the real vocabulary;
  // the generated fixtures replace them (issue 13 item 2). Cast until then.
  offer_id, provider: provider as T.OfferProvider, model, display_name, tier, billing: billing as T.BillingKind, base_usd: base,
  source: `https://${provider === 'bfl' ? 'docs.bfl.ai' : provider + '.com'}/pricing`,
  verified_on: '2025-06-02',
  status: 'live', deprecated_on: null, shutdown_on: null, replaced_by: null, price_basis: 'published',
  sizes: [], maxSide: 2048, qualities: [], seed: true, negative: true, maxN: 8,
  ...extra,
}));

export const PROVIDERS = [...new Set(FAKE_OFFERS.map((o) => o.provider))];

export const DEFAULT_URLS: Record<string, string> = {
  openai: 'https://api.openai.com/v1', google: 'https://generativelanguage.googleapis.com/v1beta',
  bfl: 'https://api.bfl.ai/v1', stability: 'https://api.stability.ai', fal: 'https://queue.fal.run',
  replicate: 'https://api.replicate.com/v1', ideogram: 'https://api.ideogram.ai', recraft: 'https://external.api.recraft.ai/v1',
  leonardo: 'https://cloud.leonardo.ai/api/rest/v1', runware: 'https://api.runware.ai/v1',
  together: 'https://api.together.xyz/v1', local: 'http://127.0.0.1:8188',
};

const QUALITY_MULT: Record<string, string> = { low: '0.25', medium: '1', high: '4', standard: '1', hd: '2', auto: '1' };

function snapSize(o: FakeOffer, w: number, h: number): string | null {
  if (!o.sizes.length) return null;
  const want = w / h;
  let best = o.sizes[0];
  let bestD = Infinity;
  for (const s of o.sizes) {
    const [sw, sh] = s.split('x').map(Number);
    const d = Math.abs(sw / sh - want);
    if (d < bestD) { bestD = d; best = s; }
  }
  return best === `${w}x${h}` ? null : best;
}

/** Prices one request on one offer, the way the engine would explain it. */
export function priceOffer(o: FakeOffer, p: T.RequestParams, hasKey: boolean, dedupHit: boolean): T.OfferEstimate {
  const notes: string[] = [];
  const lines: string[] = [];
  let reason: string | null = null;
  const n = Math.max(1, p.n | 0);
  let w = p.width;
  let h = p.height;
  if (o.unavailable) reason = o.unavailable;
  else if (n > o.maxN) reason = `makes at most ${o.maxN} image${o.maxN > 1 ? 's' : ''} per request`;
  else if (!o.sizes.length && Math.max(w, h) > o.maxSide) reason = `max ${o.maxSide} px per side`;
  const snapped = snapSize(o, w, h);
  if (snapped) {
    notes.push(`size snapped to ${snapped}`);
    [w, h] = snapped.split('x').map(Number);
  }
  if (p.seed != null && !o.seed) notes.push('seed ignored by this model');
  if (p.negative_prompt && !o.negative) notes.push('negative prompt ignored');
  if (p.steps != null && !['compute_seconds', 'step_scaled'].includes(o.billing)) notes.push('steps ignored');
  const q = p.quality ?? 'auto';
  if (o.qualities.length && q !== 'auto' && !o.qualities.includes(q)) notes.push(`quality ${q} → ${o.qualities[0]}`);

  let per = dec(o.base_usd);
  const mp = round({ v: BigInt(w * h), s: 6 }, 2); // megapixels (10^6), two decimals
  if (o.billing === 'per_megapixel') {
    per = mul(per, mp);
    lines.push(`${o.base_usd} $/MP × ${toStr(mp)} MP`);
  } else if (o.billing === 'table' || o.billing === 'tokens') {
    const qm = o.qualities.length ? '1' : (QUALITY_MULT[q] ?? '1');
    per = mul(per, dec(qm));
    if (w * h > 1_100_000) per = mul(per, dec('1.5'));
    lines.push(`${o.billing === 'tokens' ? 'output tokens' : 'table'} ${w}x${h} ${q} → ${toStr(round(per, 6))}`);
  } else if (o.billing === 'compute_seconds' || o.billing === 'step_scaled') {
    const steps = p.steps ?? 28;
    per = mul(per, dec(String(Math.max(1, steps) / 4)));
    lines.push(`${o.base_usd} per 4 steps × ${steps} steps`);
  } else if (o.billing === 'credits') {
    lines.push(`${o.base_usd} per image in credits at $0.01/credit`);
  } else {
    lines.push(o.billing === 'free' ? 'free tier / local' : `${o.base_usd} per image`);
  }
  per = round(per, 6);
  const expected = round(mul(per, dec(String(n))), 6);
  const worstFactor = o.billing === 'compute_seconds' ? '2' : '1.5';
  const worst = round(mul(expected, dec(worstFactor)), 6);
  lines.push(`× ${n} image${n > 1 ? 's' : ''}; worst case ×${worstFactor} for a retry`);
  return {
    offer_id: o.offer_id, provider: o.provider, model: o.model, display_name: o.display_name, tier: o.tier,
    billing: o.billing, expected_usd: toStr(expected), worst_case_usd: toStr(worst), per_image_usd: toStr(per),
    supported: reason === null, reason, notes, lines,
    confidence: o.billing === 'compute_seconds' ? 'calibrated' : o.billing === 'tokens' ? 'assumed' : 'published',
    dedup_hit: dedupHit && reason === null, has_key: hasKey, availability: hasKey ? 'ready' : LOCAL_PROVIDERS.has(o.provider) ? 'not_configured' : 'no_key',
    price_source: o.billing === 'compute_seconds' ? 'calibrated' : 'published',
    calibration_samples: o.billing === 'compute_seconds' ? 12 : null,
    price_known: true, lifecycle: null, replacement: null,
    fit: !snapped ? 0 : Math.abs(w / h / (p.width / p.height) - 1) <= 0.03 ? 1 : 2, cooling_down: null,
    deferred: reason === null && hasBatch(o) ? {
      expected_usd: toStr(round(mul(expected, dec('0.5')), 6)), worst_case_usd: toStr(round(mul(worst, dec('0.5')), 6)),
      within_hours: 24, saving_pct: '50', mode: 'batch', source: 'Batch API: 50% off, within 24 h',
    } : null,
  };
}

/** Gemini image and GPT Image models have a batch (deferred) tier at half price. */
export function hasBatch(o: { provider: string; model: string }): boolean {
  return (o.provider === 'google' && o.model.startsWith('gemini')) || (o.provider === 'openai' && o.model.startsWith('gpt-image'));
}

export const PROMPTS = [
  'isometric coffee shop, warm morning light, soft shadows',
  'product shot of a matte black water bottle on wet slate, studio lighting',
  'spring campaign hero, cherry blossoms over a quiet tram stop, pastel',
  'aurora over a Nordic fjord, wide, cinematic, brand colours teal and ink',
  'flat vector icon set, garden tools, two-colour',
  'macro photo of linen texture with morning dew',
  'portrait of a ceramicist in her studio, 35mm film look',
  'minimal poster, single red circle on cream paper, grain',
  'aerial view of a rooftop garden in a dense city, golden hour',
  'packaging mockup, kraft paper box with foil logo',
  'cosy reading nook, rain on the window, lamp light',
  'abstract fluid shapes in ink blue and coral, editorial',
];

export const BOARDS = ['Hero options', 'Client review', 'Textures'];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FakeGen {
  item: T.GalleryItem;
  offer_id: string;
  negative: string | null;
  quality: string | null;
  steps: number | null;
  estimate_usd: string;
  attempts: T.AttemptView[];
  parent_id: string | null;
  children: string[];
  boards: string[];
}

export function fakeImagePath(seed: number, w: number, h: number): string {
  return `/fake/images/${seed}_${w}x${h}.png`;
}

const svgCache = new Map<string, string>();

/** An abstract, deterministic placeholder image for a fake path. */
export function fakeImageUrl(path: string): string {
  const hit = svgCache.get(path);
  if (hit) return hit;
  const m = /(\d+)_(\d+)x(\d+)/.exec(path);
  const seed = m ? Number(m[1]) : 1;
  const w = m ? Number(m[2]) : 1024;
  const h = m ? Number(m[3]) : 1024;
  const r = mulberry32(seed * 7919 + 13);
  const h1 = Math.floor(r() * 360);
  const h2 = (h1 + 40 + Math.floor(r() * 120)) % 360;
  const vw = 160;
  const vh = Math.round((vw * h) / w);
  const circles = Array.from({ length: 3 }, () => {
    const cx = Math.round(r() * vw);
    const cy = Math.round(r() * vh);
    const rad = Math.round(18 + r() * 50);
    const hue = (h1 + Math.floor(r() * 90)) % 360;
    return `<circle cx='${cx}' cy='${cy}' r='${rad}' fill='hsl(${hue},70%,${55 + Math.floor(r() * 25)}%)' opacity='.55'/>`;
  }).join('');
  const horizon = Math.round(vh * (0.55 + r() * 0.25));
  const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ${vw} ${vh}' width='${vw}' height='${vh}'>` +
    `<defs><linearGradient id='g' x1='0' y1='0' x2='0' y2='1'><stop offset='0' stop-color='hsl(${h1},55%,28%)'/>` +
    `<stop offset='1' stop-color='hsl(${h2},60%,62%)'/></linearGradient></defs>` +
    `<rect width='${vw}' height='${vh}' fill='url(#g)'/>${circles}` +
    `<rect y='${horizon}' width='${vw}' height='${vh - horizon}' fill='hsl(${h2},35%,18%)' opacity='.7'/></svg>`;
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  svgCache.set(path, url);
  return url;
}

const OUTCOME_FAIL: T.AttemptOutcome[] = ['rate_limited', 'transient', 'safety_block', 'timeout'];

/** A deterministic gallery, newest first. */
export function makeGallery(count: number, projects: string[], now: number): FakeGen[] {
  const r = mulberry32(42);
  const gens: FakeGen[] = [];
  const sizes: [number, number][] = [[1024, 1024], [1536, 1024], [1024, 1536], [1792, 1024], [1024, 1024]];
  const drafts = FAKE_OFFERS.filter((o) => o.tier === 'draft' && !o.unavailable && o.billing !== 'free');
  const finals = FAKE_OFFERS.filter((o) => o.tier === 'final');
  const weights = [0.45, 0.3, 0.2, 0.05];
  const step = count > 5000 ? 60_000 : 37 * 60_000;
  for (let i = 0; i < count; i++) {
    const x = r();
    let pi = 0;
    for (let acc = weights[0]; x > acc && pi < projects.length - 1; acc += weights[++pi]);
    const final = r() < 0.22;
    const pool = final ? finals : drafts;
    const o = pool[Math.floor(r() * pool.length)];
    const [w, h] = sizes[Math.floor(r() * sizes.length)];
    const seed = 1000 + i;
    const prompt = PROMPTS[Math.floor(r() * PROMPTS.length)];
    const est = priceOffer(o, { prompt, width: w, height: h, n: 1 }, true, false);
    const fail = r() < 0.12;
    const attempts: T.AttemptView[] = [];
    if (fail) {
      const outcome = OUTCOME_FAIL[Math.floor(r() * OUTCOME_FAIL.length)];
      const billed = outcome === 'safety_block' && r() < 0.5;
      const other = pool[(pool.indexOf(o) + 1) % pool.length];
      attempts.push({
        provider: other.provider, model: other.model, offer_id: other.offer_id, outcome, billed,
        cost_usd: billed ? other.base_usd : '0', error: outcome === 'rate_limited' ? '429 Too Many Requests (Retry-After 4s)' : outcome === 'safety_block' ? 'Blocked by the provider’s content filter' : 'Upstream timed out', duration_ms: 800 + Math.floor(r() * 4000),
        unconfirmed: false, review: null, attempt_id: '0',
      });
    }
    attempts.push({ provider: o.provider, model: o.model, offer_id: o.offer_id, outcome: 'succeeded', billed: true, cost_usd: est.per_image_usd, error: null, duration_ms: 1200 + Math.floor(r() * 9000), unconfirmed: false, review: null, attempt_id: '0' });
    const cost = addUsd(...attempts.map((a) => a.cost_usd));
    gens.push({
      item: {
        generation_id: `g${String(count - i).padStart(6, '0')}`,
        image: { path: fakeImagePath(seed, w, h), thumb_path: null, hash: `b3:${(seed * 2654435761 >>> 0).toString(16)}`, width: w, height: h, mime: 'image/png', seed },
        prompt, project: projects[pi], provider: o.provider, model: o.model, tier: o.tier, cost_usd: cost,
        created_at: new Date(now - i * step - Math.floor(r() * step * 0.5)).toISOString(),
        favourite: r() < 0.1, rating: r() < 0.3 ? 1 + Math.floor(r() * 5) : 0, image_index: 0, image_count: 1,
      },
      offer_id: o.offer_id, negative: r() < 0.3 ? 'text, watermark, blurry' : null, quality: null,
      steps: o.billing === 'compute_seconds' ? 28 : null, estimate_usd: est.expected_usd, attempts,
      parent_id: null, children: [], boards: r() < 0.15 ? [BOARDS[Math.floor(r() * BOARDS.length)]] : [],
    });
  }
  // Lineage: a final with an older draft of the same prompt in the same project was promoted from it.
  const lastDraft = new Map<string, FakeGen>();
  for (let i = gens.length - 1; i >= 0; i--) {
    const g = gens[i];
    const key = `${g.item.project}|${g.item.prompt}`;
    if (g.item.tier === 'draft') lastDraft.set(key, g);
    else {
      const d = lastDraft.get(key);
      if (d) { g.parent_id = d.item.generation_id; d.children.push(g.item.generation_id); }
    }
  }
  return gens;
}
