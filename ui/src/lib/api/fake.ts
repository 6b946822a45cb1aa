// In-memory backend: the browser preview (no Tauri) and vitest run against it.
import { addUsd, cmpUsd, dec, formatUsd, mul, mulUsd, percentToFraction, round, subUsd, toStr } from '../money';
import { providerName } from '../format';
import { ApiError, type Backend, type JobListener } from './backend';
import {
  BOARDS, DEFAULT_URLS, FAKE_OFFERS, PROVIDERS, fakeImagePath, fakeImageUrl, makeGallery, priceOffer,
  type FakeGen, type FakeOffer,
} from './fakeData';
import { createFakeCatalog } from './fakeCatalog';
import { createFakeDrift } from './fakeDrift';
import type * as T from './types';
import { fakeGateways } from './fakeGateways';

export interface FakeOptions {
  galleryCount?: number;
  /** Delay per job stage in ms (0 in tests that drive timers). */
  stageMs?: number;
  /** Latency of every call in ms (0 = next microtask). */
  latencyMs?: number;
  /** Commands that fail like the unfinished engine does. */
  unbuilt?: (keyof Backend)[];
  /** Start with no projects, keys or images (first-run). */
  empty?: boolean;
  now?: number;
  /** Seed one unconfirmed charge (a timed-out call) on the first project's newest image. */
  unconfirmed?: boolean;
  /** The catalog feed cannot be reached. */
  offline?: boolean;
  /** What the native folder/file pickers return (null: the user cancelled). */
  pickedPath?: string | null;
  /** Seed one drift from real bills (FLUX1.1 pro billed 25 % above its estimate). */
  drift?: boolean;
}

interface FakeProject {
  view: T.ProjectView;
}

interface FakeJob {
  id: string;
  cancelled: boolean;
  timers: ReturnType<typeof setTimeout>[];
  emit: JobListener;
}

const NOT_BUILT = 'this part of the engine is not built yet';

export function createFakeBackend(opts: FakeOptions = {}): Backend & { jobsRunning(): number } {
  const now = opts.now ?? Date.now();
  const stageMs = opts.stageMs ?? 450;
  const latency = opts.latencyMs ?? 0;
  const empty = opts.empty ?? false;
  const projectNames = ['Spring campaign', 'Nordlicht rebrand', 'Internal moodboards', 'Tiny test'];
  const gens: FakeGen[] = empty ? [] : makeGallery(opts.galleryCount ?? 640, projectNames, now);
  const byId = new Map(gens.map((g) => [g.item.generation_id, g]));
  const deletedBoards = new Set<string>();
  let uiState: string | null = null;
  if (opts.unconfirmed) seedUnconfirmed(gens.find((g) => g.item.project === projectNames[0]));
  const listeners = new Set<(topic: T.DataTopic) => void>();
  const jobs = new Map<string, FakeJob>();
  let seq = 0;
  const deferred: { view: T.DeferredJobView; params: T.RequestParams; offer: T.OfferEstimate }[] = [];
  let overrides: T.PriceOverrideInput[] = [];
  const catalog = createFakeCatalog(now, opts.offline ?? false);
  const keys = new Map<string, T.KeyView>(
    empty ? [] : [
      ['openai', { provider: 'openai', added_at: '2025-05-12T09:14:00Z', last4: 'x7Qa', source: 'keychain' }],
      ['bfl', { provider: 'bfl', added_at: '2025-05-20T16:02:00Z', last4: '91c2', source: 'keychain' }],
      ['fal', { provider: 'fal', added_at: '2025-06-01T08:40:00Z', last4: 'e0f3', source: 'keychain' }],
      ['stability', { provider: 'stability', added_at: null, last4: '5d1e', source: 'environment' }],
      ['google', { provider: 'google', added_at: '2025-06-03T11:27:00Z', last4: 'QkA9', source: 'keychain' }],
    ],
  );
  let settings: T.SettingsView = {
    endpoints: PROVIDERS.filter((p): p is T.ProviderId => p !== 'gateway').map((p) => ({ provider: p, base_url: null, default_base_url: DEFAULT_URLS[p] ?? '', env_base_url: null })),
    gateways: empty ? [] : [{ name: 'studio-litellm', base_url: 'http://10.0.4.2:4000/v1', models: ['flux-dev', 'sdxl'], price_per_image_usd: '0.012' }],
    max_concurrent_jobs: 4,
    data_dir: '/home/designer/.local/share/proofsheet',
    catalog_version: '2025.06.2 (bundled)',
    price_overrides: [],
  };

  const spentOf = (name: string) => addUsd(...gens.filter((g) => g.item.project === name).map((g) => g.item.cost_usd));
  const mkProject = (name: string, p: Partial<T.ProjectView>): T.ProjectView => ({
    name, client: null, budget_usd: null, period: 'total', hard: true, warn_at: ['0.5', '0.8'],
    spent_usd: spentOf(name), reserved_usd: '0', remaining_usd: null, saved_usd: '0', draft_chain: [],
    final_chain: [], allow_safety_fallback: false, preflight_moderation: false, final_quality: null,
    generations: gens.filter((g) => g.item.project === name).length, archived: false, unconfirmed_usd: '0', over_budget: false, ...p,
    chain_warnings: p.chain_warnings ?? [],
  });
  const projects = new Map<string, FakeProject>();
  if (!empty) {
    const s = spentOf('Spring campaign');
    for (const v of [
      mkProject('Spring campaign', { client: 'Halde & Co.', budget_usd: addUsd(toStr(round(mul(dec(s), dec('1.6')), 0)), '5'), saved_usd: '1.84',
        draft_chain: ['bfl/flux-schnell', 'fal/flux-schnell'], final_chain: ['google/imagen-4', 'openai/gpt-image-1:medium'] }),
      mkProject('Nordlicht rebrand', { client: 'Nordlicht GmbH', budget_usd: '200', period: 'monthly', hard: false, warn_at: ['0.75'], saved_usd: '0.42' }),
      mkProject('Internal moodboards', { hard: false, warn_at: [] }),
      mkProject('Tiny test', { client: 'QA', budget_usd: toStr(round(mul(dec(spentOf('Tiny test')), dec('1.02')), 2)), warn_at: ['0.5', '0.9'] }),
    ]) projects.set(v.name, { view: v });
  }

  function refresh(name: string) {
    const p = projects.get(name);
    if (!p) return;
    const v = p.view;
    v.spent_usd = spentOf(name);
    v.unconfirmed_usd = addUsd(...unconfirmedOf(name).map((c) => c.amount_usd));
    v.generations = gens.filter((g) => g.item.project === name).length;
    v.remaining_usd = v.budget_usd == null ? null : subUsd(v.budget_usd, addUsd(v.spent_usd, v.reserved_usd));
  }
  for (const n of projects.keys()) refresh(n);

  const changed = (topic: T.DataTopic) => listeners.forEach((l) => l(topic));
  const drift = createFakeDrift(opts.drift ?? false, changed);

  async function call<R>(name: keyof Backend, f: () => R): Promise<R> {
    if (latency) await new Promise((r) => setTimeout(r, latency));
    else await Promise.resolve();
    if (opts.unbuilt?.includes(name)) throw new ApiError('internal', NOT_BUILT);
    return structuredCloneSafe(f());
  }

  function getProject(name: string): T.ProjectView {
    const p = projects.get(name);
    if (!p) throw new ApiError('not_found', `There is no project called “${name}”.`);
    return p.view;
  }

  function multiplier(offerId: string): string {
    return overrides.find((o) => o.offer_id === offerId)?.multiplier ?? '1';
  }

  function estimateAll(params: T.RequestParams, tier: T.TierFilter, ids: string[], project: string | null) {
    const offers = FAKE_OFFERS.filter((o) => (ids.length ? ids.includes(o.offer_id) : tier === 'all' || o.tier === tier));
    const prompt = params.prompt.trim().toLowerCase();
    // Dedup: the newest identical request (prompt, size, seed when locked) is reused on its own offer.
    const prior = prompt ? gens.find((g) => g.item.prompt.toLowerCase() === prompt && g.item.image.width === params.width &&
      g.item.image.height === params.height && (params.seed == null || g.item.image.seed === params.seed) &&
      (project == null || g.item.project === project)) : undefined;
    const ests = offers.map((o) => {
      const hit = prior?.offer_id === o.offer_id;
      const e = priceOffer(o, params, keys.has(o.provider), hit);
      const m = multiplier(o.offer_id);
      if (m !== '1') {
        for (const k of ['expected_usd', 'worst_case_usd', 'per_image_usd'] as const) e[k] = toStr(round(mul(dec(e[k]), dec(m)), 6));
        e.lines.push(`× ${m} negotiated rate`);
      }
      return e;
    });
    ests.sort((a, b) => Number(b.supported) - Number(a.supported) || cmpUsd(a.expected_usd, b.expected_usd));
    return ests;
  }

  function budgetFor(name: string, request: string | null): T.BudgetView {
    const v = getProject(name);
    const committed = addUsd(v.spent_usd, v.reserved_usd, request ?? '0');
    return {
      project: v.name, budget_usd: v.budget_usd, spent_usd: v.spent_usd, reserved_usd: v.reserved_usd,
      remaining_usd: v.remaining_usd, saved_usd: v.saved_usd, hard: v.hard, warn_at: [...v.warn_at], request_usd: request,
      request_fits: !v.hard || v.budget_usd == null || cmpUsd(committed, v.budget_usd) <= 0,
      unconfirmed_usd: v.unconfirmed_usd, over_budget: v.over_budget,
    };
  }

  function pickOffer(project: T.ProjectView, route: T.Route, params: T.RequestParams): T.OfferEstimate {
    if (route.kind === 'offer') {
      const o = FAKE_OFFERS.find((x) => x.offer_id === route.offer_id);
      if (!o) throw new ApiError('not_found', `The offer ${route.offer_id} is not in the catalog.`);
      const e = priceOffer(o, params, keys.has(o.provider), false);
      if (!e.supported) throw new ApiError('validation', `${o.display_name} cannot make this image: ${e.reason}.`);
      return e;
    }
    const chain = route.kind === 'draft' ? project.draft_chain : project.final_chain;
    const ests = estimateAll(params, route.kind, chain, null).filter((e) => e.supported && e.has_key);
    if (!ests.length) throw new ApiError('provider', `No ${route.kind} offer with a key can make this image. Add a key in Settings or change the size.`);
    if (chain.length) return ests.sort((a, b) => chain.indexOf(a.offer_id) - chain.indexOf(b.offer_id))[0];
    return route.kind === 'final' ? ests[Math.min(2, ests.length - 1)] : ests[0];
  }

  /** The fake's routing decision: the first chain offer with a key that can make it. */
  function decide(project: T.ProjectView, route: T.Route, params: T.RequestParams): T.RouteDecision {
    const refused = (reason: string, fix: string): T.RouteDecision => ({
      can_run: false, offer_id: null, display_name: null, provider: null, expected_usd: null, reserve_usd: null,
      width: params.width, height: params.height, quality: params.quality ?? null, notes: [], dedup_hit: false,
      seed_honoured: false, reason, fix, skipped: [],
    });
    let e: T.OfferEstimate;
    try {
      e = pickOffer(project, route, params);
    } catch (err) {
      return refused(err instanceof ApiError ? err.message : String(err), 'add a key in Settings → Keys, or edit the chain in Projects');
    }
    const snapped = e.notes.find((n) => n.startsWith('size snapped to '))?.slice(16).split('x').map(Number);
    return {
      can_run: true, offer_id: e.offer_id, display_name: e.display_name, provider: e.provider, expected_usd: e.expected_usd,
      reserve_usd: e.worst_case_usd, width: snapped?.[0] ?? params.width, height: snapped?.[1] ?? params.height,
      quality: params.quality ?? null, notes: e.notes, dedup_hit: e.dedup_hit, seed_honoured: false, reason: null, fix: null, skipped: [],
    };
  }

  function runJob(project: T.ProjectView, params: T.RequestParams, offer: T.OfferEstimate, emit: JobListener, parent: string | null): string {
    const id = `job-${++seq}`;
    const job: FakeJob = { id, cancelled: false, timers: [], emit };
    jobs.set(id, job);
    project.reserved_usd = addUsd(project.reserved_usd, offer.worst_case_usd);
    refresh(project.name);
    const attempts: T.AttemptView[] = [];
    const slow = ['replicate', 'fal'].includes(offer.provider);
    const limited = ['ideogram', 'stability'].includes(offer.provider);
    const steps: (() => void)[] = [
      () => emit({ stage: 'queued', job_id: id }),
      () => emit({ stage: 'estimating' }),
      () => emit({ stage: 'reserved', amount_usd: offer.worst_case_usd, warning: null }),
      () => emit({ stage: 'running', provider: offer.provider, model: offer.model, attempt: 1 }),
    ];
    if (limited) {
      steps.push(() => {
        attempts.push({ provider: offer.provider, model: offer.model, offer_id: offer.offer_id, outcome: 'rate_limited', billed: false, cost_usd: '0', error: '429 Too Many Requests (Retry-After 3s)', duration_ms: 310, unconfirmed: false, review: null, attempt_id: '0' });
        emit({ stage: 'waiting_rate_limit', provider: offer.provider, seconds: 3 });
      });
      steps.push(() => emit({ stage: 'running', provider: offer.provider, model: offer.model, attempt: 2 }));
    }
    if (slow) for (const s of [1, 2, 3]) steps.push(() => emit({ stage: 'polling', provider: offer.provider, remote_id: `rq_${id}`, elapsed_s: s }));
    steps.push(() => emit({ stage: 'storing' }));
    steps.push(() => {
      jobs.delete(id);
      project.reserved_usd = subUsd(project.reserved_usd, offer.worst_case_usd);
      attempts.push({ provider: offer.provider, model: offer.model, offer_id: offer.offer_id, outcome: 'succeeded', billed: true, cost_usd: offer.expected_usd, error: null, duration_ms: 2400, unconfirmed: false, review: null, attempt_id: '0' });
      const images: T.ImageView[] = [];
      const n = Math.max(1, params.n);
      const newIds: string[] = [];
      for (let i = 0; i < n; i++) {
        const seed = params.seed ?? 5000 + seq * 10 + i;
        const gid = `g${String(gens.length + 1).padStart(6, '0')}`;
        const img: T.ImageView = { path: fakeImagePath(seed + i, params.width, params.height), thumb_path: null, hash: `b3:${gid}`, width: params.width, height: params.height, mime: 'image/png', seed: seed + i };
        images.push(img);
        const g: FakeGen = {
          item: { generation_id: gid, image: img, prompt: params.prompt, project: project.name, provider: offer.provider, model: offer.model, tier: offer.tier, cost_usd: i === 0 ? offer.expected_usd : '0', created_at: new Date().toISOString(), favourite: false, rating: 0, image_index: 0, image_count: 1 },
          offer_id: offer.offer_id, negative: params.negative_prompt ?? null, quality: params.quality ?? null, steps: params.steps ?? null,
          estimate_usd: offer.expected_usd, attempts: [...attempts], parent_id: parent, children: [], boards: [],
        };
        if (parent) byId.get(parent)?.children.push(gid);
        gens.unshift(g);
        byId.set(gid, g);
        newIds.push(gid);
      }
      refresh(project.name);
      emit({ stage: 'done', result: { generation_id: newIds[0], status: 'succeeded', dedup_hit: false, cost_usd: offer.expected_usd, saved_usd: '0', images, attempts: structuredCloneSafe(attempts), error: null, budget_warning: null, unconfirmed_usd: '0' } });
      changed('gallery');
      changed('projects');
    });
    let at = 0;
    steps.forEach((f, i) => {
      job.timers.push(setTimeout(() => { if (!job.cancelled) f(); }, at));
      // The rate-limit wait lasts a few stages so the countdown is visible.
      at += limited && i === 4 ? stageMs * 6 : stageMs;
    });
    return id;
  }

  const b: Backend & { jobsRunning(): number } = {
    name: 'fake',
    jobsRunning: () => jobs.size,
    appInfo: () => call('appInfo', () => ({ version: '0.1.0', data_dir: settings.data_dir, channel: 'dev (browser preview)', first_paint_ms: null })),
    appReady: () => call('appReady', () => Math.round(performance.now())),
    uiStateGet: () => call('uiStateGet', () => uiState),
    uiStateSet: (json) => call('uiStateSet', () => { uiState = json; }),
    pricingOffers: () => call('pricingOffers', () => FAKE_OFFERS.map(({ offer_id, provider, model, display_name, tier, billing, source, verified_on, status, deprecated_on, shutdown_on, replaced_by, price_basis }: FakeOffer) => ({ offer_id, provider, model, display_name, tier, billing, source, verified_on, status, deprecated_on, shutdown_on, replaced_by, price_basis }))),
    pricingEstimate: (input) => call('pricingEstimate', () => {
      const ests = estimateAll(input.params, input.tier, input.offers, input.project ?? null).map((e) => {
        const rate = drift.rateFor(e.offer_id);
        const scale = (v: string) => (rate ? toStr(round(mul(dec(v), dec(rate)), 6)) : v);
        const mark = drift.markFor(e.offer_id);
        return { ...e, expected_usd: scale(e.expected_usd), worst_case_usd: scale(e.worst_case_usd), per_image_usd: scale(e.per_image_usd), ...(mark ? { drift: mark } : {}) };
      });
      const cheapest = ests.find((e) => e.supported);
      const req = cheapest ? (cheapest.dedup_hit ? '0' : cheapest.worst_case_usd) : null;
      return { estimates: ests, budget: input.project ? budgetFor(input.project, req) : null };
    }),
    generationSubmit: (input, onEvent) => call('generationSubmit', () => {
      const p = getProject(input.project);
      if (!input.params.prompt.trim()) throw new ApiError('validation', 'Write a prompt first.');
      const offer = pickOffer(p, input.route, input.params);
      const budget = budgetFor(p.name, offer.worst_case_usd);
      if (!budget.request_fits) {
        throw new ApiError('budget', `This could cost up to ${formatUsd(offer.worst_case_usd)} but only ${formatUsd(p.remaining_usd)} is left of the hard budget of “${p.name}”. Raise the budget or pick a cheaper offer.`);
      }
      return runJob(p, input.params, offer, onEvent, null);
    }),
    generationSubmitLater: (input, onEvent) => call('generationSubmitLater', () => {
      const p = getProject(input.project);
      if (!input.params.prompt.trim()) throw new ApiError('validation', 'Write a prompt first.');
      const offer = pickOffer(p, input.route, input.params);
      const later = offer.deferred;
      if (!later) throw new ApiError('validation', `${offer.display_name} has no cheaper “later” tier; send it now instead.`);
      const id = `job-${++seq}`;
      const gid = `g${String(gens.length + deferred.length + 1).padStart(6, '0')}`;
      p.reserved_usd = addUsd(p.reserved_usd, later.worst_case_usd);
      refresh(p.name);
      const now = Date.now();
      deferred.push({
        view: { generation_id: gid, project: p.name, prompt: input.params.prompt, offer_id: offer.offer_id, provider: offer.provider, model: offer.model,
          remote_id: `batches/${gid}`, submitted_at: new Date(now).toISOString(), expected_by: new Date(now + later.within_hours * 3600_000).toISOString(),
          reserved_usd: later.worst_case_usd, expected_usd: later.expected_usd },
        params: input.params, offer: { ...offer, expected_usd: later.expected_usd, worst_case_usd: later.worst_case_usd },
      });
      const attempt: T.AttemptView = { provider: offer.provider, model: offer.model, offer_id: offer.offer_id, outcome: 'timeout', billed: false, cost_usd: '0', error: null, duration_ms: 400, unconfirmed: false, review: null, attempt_id: '0' };
      setTimeout(() => {
        onEvent({ stage: 'queued', job_id: id });
        onEvent({ stage: 'reserved', amount_usd: later.worst_case_usd, warning: null });
        onEvent({ stage: 'running', provider: offer.provider, model: offer.model, attempt: 1 });
        onEvent({ stage: 'done', result: { generation_id: gid, status: 'deferred', dedup_hit: false, cost_usd: '0', saved_usd: '0', images: [], attempts: [attempt], error: null, budget_warning: null, unconfirmed_usd: '0' } });
        changed('jobs');
        changed('projects');
      }, stageMs);
      return id;
    }),
    deferredJobs: () => call('deferredJobs', () => deferred.map((d) => d.view)),
    deferredPoll: () => call('deferredPoll', () => {
      // The fake provider has always finished: every waiting job lands at its batch price.
      const landed = deferred.splice(0, deferred.length);
      for (const d of landed) {
        const p = getProject(d.view.project);
        p.reserved_usd = subUsd(p.reserved_usd, d.view.reserved_usd);
        // Its held money moves to the landing job, which charges the batch price.
        runJob(p, d.params, d.offer, () => undefined, null);
      }
      if (landed.length) changed('jobs');
      return { resumed: landed.map((d) => d.view.generation_id), failed: [], still_running: [], charged_usd: '0', released_usd: '0', messages: [] };
    }),
    generationCancel: (jobId) => call('generationCancel', () => {
      const j = jobs.get(jobId);
      if (!j) return false;
      j.cancelled = true;
      j.timers.forEach(clearTimeout);
      jobs.delete(jobId);
      for (const p of projects.values()) p.view.reserved_usd = '0';
      j.emit({ stage: 'failed', message: 'Cancelled — nothing was charged.', result: null });
      changed('projects');
      return true;
    }),
    generationPromotePreview: (id) => call('generationPromotePreview', () => {
      const g = byId.get(id);
      if (!g) throw new ApiError('not_found', 'That image is no longer in the gallery.');
      const p = getProject(g.item.project);
      const params = paramsOf(g);
      const ests = estimateAll(params, 'final', p.final_chain, null);
      const first = ests.find((e) => e.supported);
      const decision = decide(p, { kind: 'final' }, params);
      const differences = first ? [`Quality: ${g.quality ?? 'default'} → ${decision.quality ?? 'default'}`, `Model: ${g.item.model} → ${first.display_name}`, `Seed: ${first.display_name} ignores seeds: expect a new image, not this one refined`] : [];
      return { generation_id: id, draft_cost_usd: g.item.cost_usd, estimates: ests.slice(0, 6), difference_usd: first ? subUsd(first.expected_usd, g.item.cost_usd) : '0', decision, differences, already_promoted: g.children.length > 0 };
    }),
    routeSizePresets: () => call('routeSizePresets', () => {
      const usable = FAKE_OFFERS.filter((o) => keys.has(o.provider) && !o.unavailable);
      return [['1024x1024', 'square'], ['1536x1024', '3:2'], ['1024x1536', '2:3'], ['1792x1024', '7:4'], ['1920x1080', '16:9']]
        .map(([id, hint]) => ({ id, hint, offers: usable.filter((o) => o.sizes.includes(id)).map((o) => o.display_name) }))
        .filter((p) => p.offers.length)
        .map(({ id, hint, offers }) => ({ width: Number(id.split('x')[0]), height: Number(id.split('x')[1]), hint, offers }));
    }),
    routePreview: (input) => call('routePreview', () => decide(getProject(input.project), input.route, input.params)),
    generationPromote: (id, onEvent) => call('generationPromote', () => {
      const g = byId.get(id);
      if (!g) throw new ApiError('not_found', 'That image is no longer in the gallery.');
      if (g.item.tier === 'final') throw new ApiError('validation', 'This image is already a final.');
      const p = getProject(g.item.project);
      const params = paramsOf(g);
      const offer = pickOffer(p, { kind: 'final' }, params);
      if (!budgetFor(p.name, offer.worst_case_usd).request_fits) throw new ApiError('budget', `Promoting would exceed the hard budget of “${p.name}”.`);
      return runJob(p, params, offer, onEvent, id);
    }),
    projectList: () => call('projectList', () => [...projects.values()].map((p) => p.view)),
    projectShow: (name) => call('projectShow', () => getProject(name)),
    projectSave: (input) => call('projectSave', () => {
      if (!input.name.trim()) throw new ApiError('validation', 'name: a project needs a name');
      if (input.budget_usd != null && cmpUsd(input.budget_usd, '0') <= 0) throw new ApiError('validation', 'budget_usd: must be more than zero');
      const prev = projects.get(input.name)?.view;
      const v = mkProject(input.name, {
        ...(prev ?? {}), client: input.client ?? null, budget_usd: input.budget_usd ?? null, period: input.period, hard: input.hard,
        warn_at: input.warn_at, draft_chain: input.draft_chain, final_chain: input.final_chain,
        allow_safety_fallback: input.allow_safety_fallback, preflight_moderation: input.preflight_moderation, final_quality: input.final_quality ?? null,
      });
      projects.set(v.name, { view: v });
      refresh(v.name);
      changed('projects');
      return v;
    }),
    projectRename: (name, newName) => call('projectRename', () => {
      const p = projects.get(name);
      const next = newName.trim();
      if (!p) throw new ApiError('not_found', `no project named "${name}"`);
      if (!next) throw new ApiError('validation', 'the project needs a name');
      if (next !== name && projects.has(next)) throw new ApiError('validation', `a project named "${next}" already exists`);
      projects.delete(name);
      p.view = { ...p.view, name: next };
      projects.set(next, p);
      for (const g of gens) if (g.item.project === name) g.item.project = next;
      changed('projects');
      return p.view;
    }),
    projectArchive: (name, archived) => call('projectArchive', () => {
      const p = projects.get(name);
      if (!p) throw new ApiError('not_found', `no project named "${name}"`);
      p.view = { ...p.view, archived };
      changed('projects');
      return p.view;
    }),
    galleryPage: (q) => call('galleryPage', () => {
      const s = q.search?.trim().toLowerCase();
      const words = s ? s.split(/\s+/) : [];
      const match = (g: FakeGen) => {
        const it = g.item;
        if (q.project && it.project !== q.project) return false;
        if (q.board && !g.boards.includes(q.board)) return false;
        if (q.provider && it.provider !== q.provider) return false;
        if (q.tier && it.tier !== q.tier) return false;
        if (q.from && it.created_at < q.from) return false;
        if (q.to && it.created_at > q.to) return false;
        if (q.favourites_only && !it.favourite) return false;
        if (q.min_rating && it.rating < q.min_rating) return false;
        if (words.length) {
          const hay = `${it.prompt} ${g.negative ?? ''} ${it.provider} ${it.model}`.toLowerCase();
          if (!words.every((w) => hay.includes(w))) return false;
        }
        return true;
      };
      const all = gens.filter(match);
      const start = q.cursor ? Number(q.cursor.slice(2)) : 0;
      const items = all.slice(start, start + Math.max(1, q.limit)).map((g) => g.item);
      const next = start + items.length;
      return { items, next_cursor: next < all.length ? `o:${next}` : null, total: all.length };
    }),
    galleryDetail: (id) => call('galleryDetail', () => {
      const g = byId.get(id);
      if (!g) throw new ApiError('not_found', 'That image is no longer in the gallery.');
      const it = g.item;
      return {
        generation_id: id, project: it.project, status: 'succeeded', tier: it.tier, offer_id: g.offer_id, provider: it.provider,
        model: it.model, params: { ...paramsOf(g), negative_prompt: g.negative, quality: g.quality, steps: g.steps, seed: it.image.seed },
        estimate_usd: g.estimate_usd, cost_usd: it.cost_usd, unconfirmed_usd: addUsd(...g.attempts.filter((a) => a.unconfirmed).map((a) => a.cost_usd)), saved_usd: '0', created_at: it.created_at, images: [it.image],
        attempts: g.attempts, parent_id: g.parent_id, children: g.children, favourite: it.favourite, rating: it.rating, boards: g.boards,
      } satisfies T.GenerationDetail;
    }),
    gallerySetFavourite: (id, fav) => call('gallerySetFavourite', () => { mustGen(id).item.favourite = fav; }),
    gallerySetRating: (id, rating) => call('gallerySetRating', () => {
      if (rating < 0 || rating > 5) throw new ApiError('validation', 'A rating is 0 to 5 stars.');
      mustGen(id).item.rating = rating;
    }),
    galleryAddToBoard: (id, board) => call('galleryAddToBoard', () => {
      if (!board.trim()) throw new ApiError('validation', 'Name the board first.');
      const g = mustGen(id);
      if (!g.boards.includes(board)) g.boards.push(board);
    }),
    galleryDelete: (ids) => call('galleryDelete', () => {
      let n = 0;
      for (const id of ids) {
        const g = byId.get(id.split('#')[0]);
        if (!g) continue;
        gens.splice(gens.indexOf(g), 1);
        byId.delete(g.item.generation_id);
        n++;
      }
      return n;
    }),
    galleryBoards: () => call('galleryBoards', () => [...new Set([...BOARDS, ...gens.flatMap((g) => g.boards)])].filter((b) => !deletedBoards.has(b) || gens.some((g) => g.boards.includes(b)))),
    galleryRemoveFromBoard: (id, board) => call('galleryRemoveFromBoard', () => {
      const g = mustGen(id);
      g.boards = g.boards.filter((b) => b !== board);
    }),
    galleryDeleteBoard: (board) => call('galleryDeleteBoard', () => {
      const known = BOARDS.includes(board) || gens.some((g) => g.boards.includes(board));
      if (!known || deletedBoards.has(board) && !gens.some((g) => g.boards.includes(board))) throw new ApiError('not_found', `no board named "${board}"`);
      for (const g of gens) g.boards = g.boards.filter((b) => b !== board);
      deletedBoards.add(board);
    }),
    galleryExport: (ids, folder) => call('galleryExport', () => {
      if (!/^[/~]/.test(folder.trim()) && !/^[A-Za-z]:\\/.test(folder.trim())) throw new ApiError('validation', 'Choose a folder as a full path, e.g. ~/Pictures/export.');
      return ids.map((id) => `${folder.replace(/\/$/, '')}/${id}.png`);
    }),
    galleryReveal: (path) => call('galleryReveal', () => { void path; }),
    dashboardData: (project, from = null, to = null) => call('dashboardData', () => dashboard(project, from, to)),
    dashboardInvoice: (q) => call('dashboardInvoice', () => invoice(q)),
    dashboardInvoiceCsv: (q, file) => call('dashboardInvoiceCsv', () => {
      invoice(q);
      if (!file.trim()) throw new ApiError('validation', 'name the CSV file to write, e.g. spend.csv');
      return file.trim().endsWith('.csv') ? file.trim() : `${file.trim()}.csv`;
    }),
    pickFolder: (title) => call('pickFolder', () => { void title; return opts.pickedPath ?? null; }),
    pickSaveFile: (title, name) => call('pickSaveFile', () => { void title; return opts.pickedPath ? `${opts.pickedPath}/${name}` : null; }),
    dashboardReportCsv: (project, file) => call('dashboardReportCsv', () => {
      getProject(project);
      if (!file.trim().endsWith('.csv')) throw new ApiError('validation', 'The report file should end in .csv.');
      return file.trim();
    }),
    keysList: () => call('keysList', () => [...keys.values()]),
    keysSet: (provider, secret) => call('keysSet', () => {
      if (!PROVIDERS.some((p) => p === provider)) throw new ApiError('validation', `Unknown provider “${provider}”.`);
      if (secret.trim().length < 8) throw new ApiError('validation', 'That key looks too short — paste the whole key.');
      const k: T.KeyView = { provider, added_at: new Date().toISOString(), last4: secret.trim().slice(-4), source: 'keychain' };
      keys.set(provider, k);
      changed('keys');
      return k;
    }),
    keysDelete: (provider) => call('keysDelete', () => { keys.delete(provider); changed('keys'); }),
    keysTest: (provider) => call('keysTest', () => {
      if (!keys.has(provider)) throw new ApiError('not_found', `No key stored for ${provider}.`);
      if (provider === 'stability') return { provider, status: 'invalid', balance: null, message: '401 Unauthorized — the key was revoked or mistyped.' };
      if (provider === 'google') return { provider, status: 'unreachable', balance: null, message: 'Could not reach generativelanguage.googleapis.com (timed out after 10 s).' };
      return { provider, status: 'valid', balance: provider === 'bfl' ? '42.17' : null, message: 'Key accepted.' };
    }),
    settingsGet: () => call('settingsGet', () => settings),
    settingsSave: (input) => call('settingsSave', () => {
      if (input.max_concurrent_jobs < 1 || input.max_concurrent_jobs > 32) throw new ApiError('validation', 'max_concurrent_jobs: choose between 1 and 32');
      for (const e of input.endpoints) if (e.base_url && !/^https?:\/\//.test(e.base_url)) throw new ApiError('validation', `${e.provider}: the base URL must start with http:// or https://`);
      settings = {
        ...settings, max_concurrent_jobs: input.max_concurrent_jobs,
        endpoints: input.endpoints.map((e) => ({ provider: e.provider, base_url: e.base_url ?? null, default_base_url: e.default_base_url, env_base_url: null })),
        gateways: input.gateways.map((g) => ({ ...g, price_per_image_usd: g.price_per_image_usd ?? null })),
      };
      changed('settings');
      return settings;
    }),
    settingsSetOverrides: (o) => call('settingsSetOverrides', () => {
      for (const x of o) {
        if (!FAKE_OFFERS.some((f) => f.offer_id === x.offer_id)) throw new ApiError('validation', `Unknown offer “${x.offer_id}”.`);
        if (!/^\d+(\.\d+)?$/.test(x.multiplier) || cmpUsd(x.multiplier, '0') <= 0) throw new ApiError('validation', `${x.offer_id}: the multiplier must be a positive number like 0.8.`);
      }
      overrides = o.filter((x) => x.price_cap_usd || cmpUsd(x.multiplier, '1') !== 0).map((x) => ({ ...x, price_cap_usd: x.price_cap_usd ?? null }));
      settings = { ...settings, price_overrides: overrides.map((x) => ({ ...x, price_cap_usd: x.price_cap_usd ?? null })) };
    }),
    settingsImportCatalog: (json) => call('settingsImportCatalog', () => importCatalog(json)),
    chargesList: (project) => call('chargesList', () => unconfirmedOf(project)),
    chargeConfirm: (id, amount) => call('chargeConfirm', () => settleCharge(id, amount ?? null, true)),
    chargeRefund: (id) => call('chargeRefund', () => settleCharge(id, null, false)),
    catalogStatus: () => call('catalogStatus', () => catalog.status()),
    catalogSetFeedUrl: (url) => call('catalogSetFeedUrl', () => catalog.setUrl(url)),
    catalogCheck: () => call('catalogCheck', () => catalog.check()),
    catalogApply: (version) => call('catalogApply', () => {
      const st = catalog.apply(version);
      settings = { ...settings, catalog_version: st.version };
      return st;
    }),
    catalogRestore: () => call('catalogRestore', () => {
      const st = catalog.restore();
      settings = { ...settings, catalog_version: st.version };
      return st;
    }),
    ...drift.methods,
    ...fakeGateways(call, changed, () => FAKE_OFFERS.map((o) => o.offer_id)),
    onDataChanged(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    imageUrl: (path) => fakeImageUrl(path),
  };

  function mustGen(id: string): FakeGen {
    // "<generation id>#<index>" names one variation; each fake generation has one image.
    const g = byId.get(id.split('#')[0]);
    if (!g) throw new ApiError('not_found', 'That image is no longer in the gallery.');
    return g;
  }

  function unconfirmedOf(project: string | null): T.ChargeView[] {
    return gens.filter((g) => !project || g.item.project === project).flatMap((g) => g.attempts.filter((a) => a.unconfirmed).map((a) => ({
      id: a.attempt_id, generation_id: g.item.generation_id, project: g.item.project, prompt: g.item.prompt, provider: a.provider,
      model: a.model, amount_usd: a.cost_usd, reason: a.error, review: a.review, created_at: g.item.created_at,
    })));
  }

  /** Confirm keeps the money spent (at `amount` when given); refund gives it back. Returns the change. */
  function settleCharge(id: string, amount: string | null, billed: boolean): string {
    for (const g of gens) {
      const a = g.attempts.find((x) => x.unconfirmed && x.attempt_id === id);
      if (!a) continue;
      const to = billed ? (amount ?? a.cost_usd) : '0';
      const change = subUsd(to, a.cost_usd);
      Object.assign(a, { unconfirmed: false, billed, cost_usd: to });
      g.item.cost_usd = addUsd(g.item.cost_usd, change);
      refresh(g.item.project);
      changed('projects');
      return billed ? change : subUsd('0', change);
    }
    throw new ApiError('not_found', 'That charge is no longer unconfirmed (it was confirmed or refunded already).');
  }

  function seedUnconfirmed(g: FakeGen | undefined) {
    if (!g) return;
    g.attempts = [{ provider: 'openai', model: 'gpt-image-1', offer_id: 'openai/gpt-image-1:low', outcome: 'timeout', billed: true, cost_usd: '0.04',
      error: 'the connection closed after the request was sent', duration_ms: 60000, unconfirmed: true, review: null, attempt_id: 'att-unconfirmed-1' }, ...g.attempts];
    g.item.cost_usd = addUsd(g.item.cost_usd, '0.04');
  }

  function paramsOf(g: FakeGen): T.RequestParams {
    return { prompt: g.item.prompt, negative_prompt: g.negative, width: g.item.image.width, height: g.item.image.height, quality: g.quality, n: 1, steps: g.steps, seed: g.item.image.seed };
  }

  const inRange = (g: FakeGen, from: string | null, to: string | null) => {
    const day = g.item.created_at.slice(0, 10);
    return (!from || day >= from) && (!to || day <= to);
  };

  /** The same shape as the engine's invoice: items from billed or successful attempts and reuses. */
  function invoice(q: T.InvoiceQuery): T.Invoice {
    const p = getProject(q.project);
    if (q.from && q.to && q.from > q.to) throw new ApiError('validation', `the date range starts (${q.from}) after it ends (${q.to}); swap the dates`);
    const markup = q.markup_percent ?? '0';
    const factor = addUsd('1', percentToFraction(markup));
    const sel = gens.filter((g) => g.item.project === p.name && inRange(g, q.from ?? null, q.to ?? null))
      .sort((a, b) => a.item.created_at.localeCompare(b.item.created_at));
    const items: T.InvoiceItem[] = sel.flatMap((g) => g.attempts.filter((a) => a.billed || a.outcome === 'succeeded').map((a) => {
      const model = FAKE_OFFERS.find((o) => o.offer_id === a.offer_id)?.display_name ?? a.model;
      return {
        date_utc: g.item.created_at.slice(0, 19).replace('T', ' '), generation_id: g.item.generation_id, tier: g.item.tier,
        provider: providerName(a.provider), model, prompt: g.item.prompt, outcome: a.outcome === 'succeeded' ? 'succeeded' : `${a.outcome} (billed)`,
        images: a.outcome === 'succeeded' ? g.item.image_count : 0, cost_usd: a.cost_usd, charged_usd: mulUsd(a.cost_usd, factor),
        saved_usd: '0', line: model,
      };
    }));
    const lines: T.InvoiceLine[] = [];
    const charged = new Map<string, string>();
    for (const it of items) {
      let l = lines.find((x) => x.label === it.line);
      if (!l) { l = { label: it.line, images: 0, calls: 0, cost_usd: '0', amount_usd: '0' }; lines.push(l); }
      l.images += it.images;
      l.calls += 1;
      l.cost_usd = addUsd(l.cost_usd, it.cost_usd);
      charged.set(l.label, addUsd(charged.get(l.label) ?? '0', it.charged_usd));
    }
    for (const l of lines) l.amount_usd = toStr(round(dec(charged.get(l.label) ?? '0'), 2));
    const days = sel.map((g) => g.item.created_at.slice(0, 10));
    return {
      project: p.name, client: p.client ?? null, period_from: q.from ?? days[0] ?? null, period_to: q.to ?? days[days.length - 1] ?? null,
      issued: new Date().toISOString().slice(0, 10), markup_percent: markup, lines, items,
      total_usd: addUsd(...lines.map((l) => l.amount_usd)),
      failed_usd: addUsd(...items.filter((i) => i.outcome !== 'succeeded').map((i) => i.cost_usd)), saved_usd: '0',
    };
  }

  function dashboard(project: string | null, from: string | null = null, to: string | null = null): T.DashboardData {
    const sel = (project ? gens.filter((g) => g.item.project === project) : gens).filter((g) => inRange(g, from, to));
    const group = (key: (g: FakeGen) => string) => {
      const m = new Map<string, { spend: string; count: number }>();
      for (const g of sel) {
        const k = key(g);
        const cur = m.get(k) ?? { spend: '0', count: 0 };
        m.set(k, { spend: addUsd(cur.spend, g.item.cost_usd), count: cur.count + 1 });
      }
      return [...m].map(([key, v]) => ({ key, spend_usd: v.spend, count: v.count }));
    };
    const byDesc = (a: T.SpendPoint, b: T.SpendPoint) => cmpUsd(b.spend_usd, a.spend_usd);
    const failed = sel.flatMap((g) => g.attempts.filter((a) => a.outcome !== 'succeeded' && a.billed));
    const total = addUsd(...sel.map((g) => g.item.cost_usd));
    const days = group((g) => g.item.created_at.slice(0, 10)).sort((a, b) => a.key.localeCompare(b.key)).slice(-30);
    return {
      total_spend_usd: total, by_day: days, by_provider: group((g) => g.item.provider).sort(byDesc),
      by_model: group((g) => g.item.model).sort(byDesc).slice(0, 12), by_project: group((g) => g.item.project).sort(byDesc),
      failed_spend_usd: addUsd(...failed.map((a) => a.cost_usd)),
      retry_spend_usd: addUsd(...sel.filter((g) => g.attempts.length > 1).map((g) => g.attempts[0].cost_usd)),
      saved_usd: addUsd(...[...projects.values()].filter((p) => !project || p.view.name === project).map((p) => p.view.saved_usd)),
      estimated_usd: addUsd(...sel.map((g) => g.estimate_usd)), actual_usd: total,
      ...(drift.open().length ? { drifts: drift.open() } : {}),
    };
  }

  return b;
}

function importCatalog(json: string): T.CatalogImportReport {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new ApiError('validation', `The catalog is not valid JSON: ${(e as Error).message}`);
  }
  const d = doc as { version?: unknown; offers?: unknown };
  if (typeof d?.version !== 'string') throw new ApiError('validation', 'catalog: field “version”: missing — add a version string like "2025.07".');
  if (!Array.isArray(d.offers)) throw new ApiError('validation', 'catalog: field “offers”: must be a list of offers.');
  d.offers.forEach((o: Record<string, unknown>, i: number) => {
    const id = typeof o?.offer_id === 'string' ? o.offer_id : `#${i + 1}`;
    for (const f of ['offer_id', 'provider', 'model']) if (typeof o?.[f] !== 'string') throw new ApiError('validation', `offer ${id}: field “${f}”: missing or not text.`);
    if (typeof o.price_usd !== 'string' || !/^\d+(\.\d+)?$/.test(o.price_usd)) throw new ApiError('validation', `offer ${id}: field “price_usd”: must be a decimal string like "0.04".`);
  });
  return { version: d.version, offers: d.offers.length };
}

function structuredCloneSafe<R>(x: R): R {
  return x === undefined ? x : (JSON.parse(JSON.stringify(x)) as R);
}
