// The fake's in-memory library: projects, gallery, keys and settings, shared by the
// command modules (jobs, gallery, settings). Fresh-library shapes come from the engine.
import { addUsd, dec, mul, round, subUsd, toStr } from '../../money';
import { type Backend } from '../backend';
import type * as T from '../types';
import { GENERATION_ID, makeGallery, type FakeGen } from './data';
import { ENGINE, KEYED, clone, engineError, offerOf } from './fixtures';

export interface FakeOptions {
  galleryCount?: number;
  /** Delay per job stage in ms (0 in tests that drive timers). */
  stageMs?: number;
  /** Latency of every call in ms (0 = next microtask). */
  latencyMs?: number;
  /** Start with no projects, keys or images (first-run). */
  empty?: boolean;
  now?: number;
  /** Seed one unconfirmed charge (a timed-out call) on the first project's newest image. */
  unconfirmed?: boolean;
  /** The catalog feed cannot be reached. */
  offline?: boolean;
  /** What the native folder/file pickers return (null: the user cancelled). */
  pickedPath?: string | null;
  /** Seed one drift from real bills (FLUX1.1 [pro] billed 25 % above its estimate). */
  drift?: boolean;
}

export type Call = <R>(name: keyof Backend, f: () => R) => Promise<R>;

export interface World {
  opts: FakeOptions;
  now: number;
  gens: FakeGen[];
  byId: Map<string, FakeGen>;
  projects: Map<string, { view: T.ProjectView }>;
  keys: Map<string, T.KeyView>;
  overrides: T.PriceOverrideInput[];
  settings: T.SettingsView;
  call: Call;
  changed(topic: T.DataTopic): void;
  getProject(name: string): T.ProjectView;
  /** Recomputes a project's spend, count and remaining budget from the gallery. */
  refresh(name: string): void;
  mustGen(id: string): FakeGen;
  unconfirmedOf(project: string | null): T.ChargeView[];
  mkProject(name: string, p: Partial<T.ProjectView>): T.ProjectView;
}

export const PROJECT_NAMES = ['Spring campaign', 'Nordlicht rebrand', 'Internal moodboards', 'Tiny test'];

/** Keys for the providers that had keys at recording (so `has_key` agrees with the
 *  recorded estimates); the fourth comes from the environment. */
const KEY_LOOKS: Omit<T.KeyView, 'provider'>[] = [
  { added_at: '2025-05-12T09:14:00Z', last4: 'x7Qa', source: 'keychain' },
  { added_at: '2025-05-20T16:02:00Z', last4: '91c2', source: 'keychain' },
  { added_at: '2025-06-01T08:40:00Z', last4: 'e0f3', source: 'keychain' },
  { added_at: null, last4: '5d1e', source: 'environment' },
  { added_at: '2025-06-03T11:27:00Z', last4: 'QkA9', source: 'keychain' },
];
const SEEDED_KEYS: T.KeyView[] = KEYED.map((provider, i) => ({ provider, ...KEY_LOOKS[i % KEY_LOOKS.length] }));

export function createWorld(opts: FakeOptions, listeners: Set<(topic: T.DataTopic) => void>): World {
  const now = opts.now ?? Date.now();
  const latency = opts.latencyMs ?? 0;
  const empty = opts.empty ?? false;
  const gens: FakeGen[] = empty ? [] : makeGallery(opts.galleryCount ?? 640, PROJECT_NAMES, now);
  const settings = clone(ENGINE.settings);
  if (!empty) {
    settings.gateways = [{ name: 'studio-litellm', base_url: 'http://10.0.4.2:4000/v1', models: ['flux-dev', 'sdxl'], price_per_image_usd: '0.012' }];
  }

  const w: World = {
    opts,
    now,
    gens,
    byId: new Map(gens.map((g) => [g.item.generation_id, g])),
    projects: new Map(),
    keys: new Map(empty ? [] : SEEDED_KEYS.map((k) => [k.provider, { ...k }])),
    overrides: [],
    settings,
    async call(name, f) {
      void name;
      if (latency) await new Promise((r) => setTimeout(r, latency));
      else await Promise.resolve();
      return clone(f());
    },
    changed: (what) => listeners.forEach((l) => l(what)),
    getProject(name) {
      const p = w.projects.get(name);
      if (!p) throw engineError('project_not_found', { name });
      return p.view;
    },
    refresh(name) {
      const p = w.projects.get(name);
      if (!p) return;
      const v = p.view;
      v.spent_usd = spentOf(name);
      v.unconfirmed_usd = addUsd(...w.unconfirmedOf(name).map((c) => c.amount_usd));
      v.generations = gens.filter((g) => g.item.project === name).length;
      v.remaining_usd = v.budget_usd == null ? null : subUsd(v.budget_usd, addUsd(v.spent_usd, v.reserved_usd));
    },
    mustGen(id) {
      // "<generation id>#<index>" names one variation; each fake generation has one image.
      const gid = id.split('#')[0];
      if (!GENERATION_ID.test(gid)) throw engineError('generation_id_invalid', { id: gid });
      const g = w.byId.get(gid);
      if (!g) throw engineError('generation_not_found', { id: gid });
      return g;
    },
    unconfirmedOf(project) {
      return gens.filter((g) => !project || g.item.project === project).flatMap((g) => g.attempts.filter((a) => a.unconfirmed).map((a) => ({
        id: a.attempt_id, generation_id: g.item.generation_id, project: g.item.project, prompt: g.item.prompt, provider: a.provider,
        model: a.model, amount_usd: a.cost_usd, reason: a.error, review: a.review, created_at: g.item.created_at,
      })));
    },
    mkProject(name, p) {
      // A new project as the engine returns it, with the fake's spend from its gallery.
      return {
        ...clone(ENGINE.new_project), name, client: null, budget_usd: null, warn_at: [], spent_usd: spentOf(name),
        generations: gens.filter((g) => g.item.project === name).length, ...p, chain_warnings: p.chain_warnings ?? [],
      };
    },
  };
  const spentOf = (name: string) => addUsd(...gens.filter((g) => g.item.project === name).map((g) => g.item.cost_usd));

  if (opts.unconfirmed) seedUnconfirmed(gens.find((g) => g.item.project === PROJECT_NAMES[0]));
  if (!empty) seedProjects(w, spentOf);
  for (const n of w.projects.keys()) w.refresh(n);
  return w;
}

function seedProjects(w: World, spentOf: (name: string) => string) {
  const s = spentOf('Spring campaign');
  for (const v of [
    w.mkProject('Spring campaign', {
      client: 'Halde & Co.', budget_usd: addUsd(toStr(round(mul(dec(s), dec('1.6')), 0)), '5'), saved_usd: '1.84', warn_at: ['0.5', '0.8'],
      draft_chain: ['bfl:flux-dev', 'fal:fal-ai/flux/schnell'], final_chain: ['openai:gpt-image-2', 'bfl:flux-pro-1.1'],
    }),
    w.mkProject('Nordlicht rebrand', { client: 'Nordlicht GmbH', budget_usd: '200', period: 'monthly', hard: false, warn_at: ['0.75'], saved_usd: '0.42' }),
    w.mkProject('Internal moodboards', { hard: false }),
    w.mkProject('Tiny test', { client: 'QA', budget_usd: toStr(round(mul(dec(spentOf('Tiny test')), dec('1.02')), 2)), warn_at: ['0.5', '0.9'] }),
  ]) w.projects.set(v.name, { view: v });
}

function seedUnconfirmed(g: FakeGen | undefined) {
  if (!g) return;
  g.attempts = [{ ...offerOf('openai:gpt-image-2'), offer_id: 'openai:gpt-image-2', outcome: 'timeout', billed: true, cost_usd: '0.04',
    error: 'the connection closed after the request was sent', duration_ms: 60000, unconfirmed: true, review: null, attempt_id: '9001' }, ...g.attempts];
  g.item.cost_usd = addUsd(g.item.cost_usd, '0.04');
}
