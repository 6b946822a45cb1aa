// The fake's gallery: a deterministic history of generations on real offers at the
// engine's recorded prices (browser preview and tests).
import { addUsd } from '../../money';
import type * as T from '../types';
import { recordedEstimates } from './pricing';

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

/** A generation id shaped like the engine's (a UUID), numbered so the fake stays deterministic. */
export function fakeGenerationId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** A job id shaped like the engine's (a UUID). */
export function fakeJobId(n: number): string {
  return `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
}

export const GENERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  // Offers the engine priced for a plain 1024² image, paid ones only.
  const usable = recordedEstimates({ prompt: 'x', width: 1024, height: 1024, n: 1 })
    .filter((e) => e.supported && e.price_known && Number(e.expected_usd) > 0);
  const drafts = usable.filter((e) => e.tier === 'draft');
  const finals = usable.filter((e) => e.tier === 'final');
  const priceAt = (w: number, h: number) => recordedEstimates({ prompt: 'x', width: w, height: h, n: 1 });
  const prices = new Map(sizes.map(([w, h]) => [`${w}x${h}`, priceAt(w, h)]));
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
    const est = prices.get(`${w}x${h}`)?.find((e) => e.offer_id === o.offer_id) ?? o;
    const fail = r() < 0.12;
    const attempts: T.AttemptView[] = [];
    if (fail) {
      const outcome = OUTCOME_FAIL[Math.floor(r() * OUTCOME_FAIL.length)];
      const billed = outcome === 'safety_block' && r() < 0.5;
      const other = pool[(pool.indexOf(o) + 1) % pool.length];
      attempts.push({
        provider: other.provider, model: other.model, offer_id: other.offer_id, outcome, billed,
        cost_usd: billed ? other.per_image_usd : '0', error: outcome === 'rate_limited' ? '429 Too Many Requests (Retry-After 4s)' : outcome === 'safety_block' ? 'Blocked by the provider’s content filter' : 'Upstream timed out', duration_ms: 800 + Math.floor(r() * 4000),
        unconfirmed: false, review: null, attempt_id: '0',
      });
    }
    attempts.push({ provider: o.provider, model: o.model, offer_id: o.offer_id, outcome: 'succeeded', billed: true, cost_usd: est.per_image_usd, error: null, duration_ms: 1200 + Math.floor(r() * 9000), unconfirmed: false, review: null, attempt_id: '0' });
    const cost = addUsd(...attempts.map((a) => a.cost_usd));
    gens.push({
      item: {
        generation_id: fakeGenerationId(count - i),
        image: { path: fakeImagePath(seed, w, h), thumb_path: null, hash: `b3:${(seed * 2654435761 >>> 0).toString(16)}`, width: w, height: h, mime: 'image/png', seed },
        prompt, project: projects[pi], provider: o.provider, model: o.model, tier: o.tier, cost_usd: cost,
        created_at: new Date(now - i * step - Math.floor(r() * step * 0.5)).toISOString(),
        favourite: r() < 0.1, rating: r() < 0.3 ? 1 + Math.floor(r() * 5) : 0, image_index: 0, image_count: 1,
      },
      offer_id: o.offer_id, negative: r() < 0.3 ? 'text, watermark, blurry' : null, quality: null,
      steps: null, estimate_usd: est.expected_usd, attempts,
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
