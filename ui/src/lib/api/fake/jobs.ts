// Pricing, routing and jobs in the fake: recorded engine estimates, the engine's refusals
// (a submit returns a job id, then the job fails with the engine's events), staged
// progress events, Later (batch) jobs and promotion.
import { addUsd, cmpUsd, subUsd } from '../../money';
import type { Backend, JobListener } from '../backend';
import type * as T from '../types';
import type { FakeGen } from './data';
import { fakeGenerationId, fakeImagePath, fakeJobId } from './data';
import type { FakeDrift } from './drift';
import { ENGINE, clone, engineError, factsOf } from './fixtures';
import { estimateOffers, offerOrThrow, scale, validateParams } from './pricing';
import type { World } from './world';

interface FakeJob {
  cancelled: boolean;
  timers: ReturnType<typeof setTimeout>[];
  emit: JobListener;
}

type JobMethods = Pick<Backend, 'pricingEstimate' | 'generationSubmit' | 'generationSubmitLater' | 'deferredJobs' | 'deferredPoll' |
  'generationCancel' | 'generationPromotePreview' | 'routeSizePresets' | 'routePreview' | 'generationPromote'>;

export function fakeJobs(w: World, drift: FakeDrift): JobMethods & { jobsRunning(): number } {
  const stageMs = w.opts.stageMs ?? 450;
  const jobs = new Map<string, FakeJob>();
  let seq = 0;
  const deferred: { view: T.DeferredJobView; params: T.RequestParams; offer: T.OfferEstimate }[] = [];

  const ctx = {
    hasKey: (p: string) => w.keys.has(p),
    multiplier: (id: string) => w.overrides.find((o) => o.offer_id === id)?.multiplier ?? '1',
  };

  function estimateAll(params: T.RequestParams, tier: T.TierFilter, ids: string[], project: string | null) {
    const prompt = params.prompt.trim().toLowerCase();
    // Dedup: the newest identical request (prompt, size, seed when locked) is reused on its own offer.
    const prior = w.gens.find((g) => g.item.prompt.toLowerCase() === prompt && g.item.image.width === params.width &&
      g.item.image.height === params.height && (params.seed == null || g.item.image.seed === params.seed) &&
      (project == null || g.item.project === project));
    return estimateOffers(params, tier, ids, ctx).map((e) => {
      e.dedup_hit = e.supported && prior?.offer_id === e.offer_id;
      const rate = drift.rateFor(e.offer_id);
      if (rate) for (const k of ['expected_usd', 'worst_case_usd', 'per_image_usd'] as const) e[k] = scale(e[k], rate);
      const mark = drift.markFor(e.offer_id);
      return mark ? { ...e, drift: mark } : e;
    });
  }

  function budgetFor(name: string, request: string | null): T.BudgetView {
    const v = w.getProject(name);
    const committed = addUsd(v.spent_usd, v.reserved_usd, request ?? '0');
    return {
      project: v.name, budget_usd: v.budget_usd, spent_usd: v.spent_usd, reserved_usd: v.reserved_usd,
      remaining_usd: v.remaining_usd, saved_usd: v.saved_usd, hard: v.hard, warn_at: [...v.warn_at], request_usd: request,
      request_fits: !v.hard || v.budget_usd == null || cmpUsd(committed, v.budget_usd) <= 0,
      unconfirmed_usd: v.unconfirmed_usd, over_budget: v.over_budget,
    };
  }

  /** The offer a route lands on: the named offer, else the first usable offer of the chain (or tier). */
  function pickOffer(project: T.ProjectView, route: T.Route, params: T.RequestParams): T.OfferEstimate | string {
    if (route.kind === 'offer') {
      offerOrThrow(route.offer_id);
      const e = estimateAll(params, 'all', [route.offer_id], null)[0];
      if (!e) return `${route.offer_id} is shut down`;
      return e.supported ? e : (e.reason ?? 'this offer cannot make this request');
    }
    const chain = route.kind === 'draft' ? project.draft_chain : project.final_chain;
    const ests = estimateAll(params, route.kind, chain, null).filter((e) => e.supported && e.has_key);
    if (!ests.length) return `no ${route.kind} offer with a key can make this image`;
    if (chain.length) return ests.sort((a, b) => chain.indexOf(a.offer_id) - chain.indexOf(b.offer_id))[0];
    return ests.sort((a, b) => cmpUsd(a.expected_usd, b.expected_usd))[0];
  }

  function decide(project: T.ProjectView, route: T.Route, params: T.RequestParams): T.RouteDecision {
    const e = pickOffer(project, route, params);
    if (typeof e === 'string') {
      return {
        can_run: false, offer_id: null, display_name: null, provider: null, expected_usd: null, reserve_usd: null,
        width: params.width, height: params.height, quality: params.quality ?? null, notes: [], dedup_hit: false,
        seed_honoured: false, reason: e, fix: 'add a key in Settings → Keys, or edit the chain in Projects', skipped: [],
      };
    }
    return {
      can_run: true, offer_id: e.offer_id, display_name: e.display_name, provider: e.provider, expected_usd: e.expected_usd,
      reserve_usd: e.worst_case_usd, width: params.width, height: params.height, quality: params.quality ?? null, notes: e.notes,
      dedup_hit: e.dedup_hit, seed_honoured: params.seed != null, reason: null, fix: null, skipped: [],
    };
  }

  /** A refused job as the engine reports it: the recorded events, with this job's id and reason. */
  function refuse(recorded: T.JobEvent[], id: string, emit: JobListener, message?: string) {
    const events = clone(recorded).map((e) => {
      if (e.stage === 'queued') return { ...e, job_id: id };
      if (e.stage === 'failed' && message) return { ...e, message };
      return e;
    });
    setTimeout(() => events.forEach(emit), stageMs);
  }

  /** Validates and routes a submit; a refusal is sent as events and returns null. */
  function admit(input: T.GenerateInput, id: string, emit: JobListener, later: boolean) {
    const p = w.getProject(input.project);
    try {
      validateParams(input.params);
    } catch (err) {
      refuse(ENGINE.submit_prompt_empty.events, id, emit, (err as Error).message);
      return null;
    }
    const offer = pickOffer(p, input.route, input.params);
    if (typeof offer === 'string') {
      refuse(ENGINE.submit_prompt_empty.events, id, emit, `Not sent: ${offer}.`);
      return null;
    }
    const hold = later && offer.deferred ? offer.deferred.worst_case_usd : offer.worst_case_usd;
    if (!budgetFor(p.name, hold).request_fits) {
      refuse(ENGINE.over_budget.events, id, emit, overBudgetMessage(p, hold));
      return null;
    }
    return { p, offer };
  }

  function runJob(project: T.ProjectView, params: T.RequestParams, offer: T.OfferEstimate, emit: JobListener, parent: string | null, id = fakeJobId(++seq)): string {
    const job: FakeJob = { cancelled: false, timers: [], emit };
    jobs.set(id, job);
    project.reserved_usd = addUsd(project.reserved_usd, offer.worst_case_usd);
    w.refresh(project.name);
    const attempts: T.AttemptView[] = [];
    const polls = factsOf(offer.provider)?.polls_for_result ?? false;
    const steps: (() => void)[] = [
      () => emit({ stage: 'queued', job_id: id }),
      () => emit({ stage: 'estimating' }),
      () => emit({ stage: 'reserved', amount_usd: offer.worst_case_usd, warning: null }),
      () => emit({ stage: 'running', provider: offer.provider, model: offer.model, attempt: 1 }),
    ];
    if (polls) for (const s of [1, 2, 3]) steps.push(() => emit({ stage: 'polling', provider: offer.provider, remote_id: `rq_${id}`, elapsed_s: s }));
    steps.push(() => emit({ stage: 'storing' }));
    steps.push(() => {
      jobs.delete(id);
      project.reserved_usd = subUsd(project.reserved_usd, offer.worst_case_usd);
      attempts.push({ provider: offer.provider, model: offer.model, offer_id: offer.offer_id, outcome: 'succeeded', billed: true, cost_usd: offer.expected_usd, error: null, duration_ms: 2400, unconfirmed: false, review: null, attempt_id: String(++seq) });
      const images: T.ImageView[] = [];
      const newIds: string[] = [];
      for (let i = 0; i < Math.max(1, params.n); i++) {
        const seed = params.seed ?? 5000 + seq * 10 + i;
        const gid = fakeGenerationId(w.gens.length + 1);
        const img: T.ImageView = { path: fakeImagePath(seed + i, params.width, params.height), thumb_path: null, hash: `b3:${gid}`, width: params.width, height: params.height, mime: 'image/png', seed: seed + i };
        images.push(img);
        const g: FakeGen = {
          item: { generation_id: gid, image: img, prompt: params.prompt, project: project.name, provider: offer.provider, model: offer.model, tier: offer.tier, cost_usd: i === 0 ? offer.expected_usd : '0', created_at: new Date().toISOString(), favourite: false, rating: 0, image_index: 0, image_count: 1 },
          offer_id: offer.offer_id, negative: params.negative_prompt ?? null, quality: params.quality ?? null, steps: params.steps ?? null,
          estimate_usd: offer.expected_usd, attempts: [...attempts], parent_id: parent, children: [], boards: [],
        };
        if (parent) w.byId.get(parent)?.children.push(gid);
        w.gens.unshift(g);
        w.byId.set(gid, g);
        newIds.push(gid);
      }
      w.refresh(project.name);
      emit({ stage: 'done', result: { generation_id: newIds[0], status: 'succeeded', dedup_hit: false, cost_usd: offer.expected_usd, saved_usd: '0', images, attempts: clone(attempts), error: null, budget_warning: null, unconfirmed_usd: '0' } });
      w.changed('gallery');
      w.changed('projects');
    });
    steps.forEach((f, i) => job.timers.push(setTimeout(() => { if (!job.cancelled) f(); }, i * stageMs)));
    return id;
  }

  const paramsOf = (g: FakeGen): T.RequestParams => ({
    prompt: g.item.prompt, negative_prompt: g.negative, width: g.item.image.width, height: g.item.image.height,
    quality: g.quality, n: 1, steps: g.steps, seed: g.item.image.seed,
  });

  return {
    jobsRunning: () => jobs.size,
    pricingEstimate: (input) => w.call('pricingEstimate', () => {
      const ests = estimateAll(input.params, input.tier, input.offers, input.project ?? null);
      const cheapest = ests.filter((e) => e.supported).sort((a, b) => cmpUsd(a.expected_usd, b.expected_usd))[0];
      const req = cheapest ? (cheapest.dedup_hit ? '0' : cheapest.worst_case_usd) : null;
      return { estimates: ests, budget: input.project ? budgetFor(input.project, req) : null };
    }),
    generationSubmit: (input, onEvent) => w.call('generationSubmit', () => {
      const id = fakeJobId(++seq);
      const ok = admit(input, id, onEvent, false);
      return ok ? runJob(ok.p, input.params, ok.offer, onEvent, null, id) : id;
    }),
    generationSubmitLater: (input, onEvent) => w.call('generationSubmitLater', () => {
      const id = fakeJobId(++seq);
      const ok = admit(input, id, onEvent, true);
      if (!ok) return id;
      const { p, offer } = ok;
      const later = offer.deferred;
      if (!later) {
        refuse(ENGINE.submit_prompt_empty.events, id, onEvent, `Not sent: ${offer.display_name} has no batch tier; send it now instead.`);
        return id;
      }
      const gid = fakeGenerationId(w.gens.length + deferred.length + 1);
      p.reserved_usd = addUsd(p.reserved_usd, later.worst_case_usd);
      w.refresh(p.name);
      const now = Date.now();
      deferred.push({
        view: { generation_id: gid, project: p.name, prompt: input.params.prompt, offer_id: offer.offer_id, provider: offer.provider, model: offer.model,
          remote_id: `batches/${gid}`, submitted_at: new Date(now).toISOString(), expected_by: new Date(now + later.within_hours * 3600_000).toISOString(),
          reserved_usd: later.worst_case_usd, expected_usd: later.expected_usd },
        params: input.params, offer: { ...offer, expected_usd: later.expected_usd, worst_case_usd: later.worst_case_usd },
      });
      const attempt: T.AttemptView = { provider: offer.provider, model: offer.model, offer_id: offer.offer_id, outcome: 'timeout', billed: false, cost_usd: '0', error: null, duration_ms: 400, unconfirmed: false, review: null, attempt_id: String(++seq) };
      setTimeout(() => {
        onEvent({ stage: 'queued', job_id: id });
        onEvent({ stage: 'reserved', amount_usd: later.worst_case_usd, warning: null });
        onEvent({ stage: 'running', provider: offer.provider, model: offer.model, attempt: 1 });
        onEvent({ stage: 'done', result: { generation_id: gid, status: 'deferred', dedup_hit: false, cost_usd: '0', saved_usd: '0', images: [], attempts: [attempt], error: null, budget_warning: null, unconfirmed_usd: '0' } });
        w.changed('jobs');
        w.changed('projects');
      }, stageMs);
      return id;
    }),
    deferredJobs: () => w.call('deferredJobs', () => deferred.map((d) => d.view)),
    deferredPoll: () => w.call('deferredPoll', () => {
      // The fake provider has always finished: every waiting job lands at its batch price.
      const landed = deferred.splice(0, deferred.length);
      for (const d of landed) {
        const p = w.getProject(d.view.project);
        p.reserved_usd = subUsd(p.reserved_usd, d.view.reserved_usd);
        runJob(p, d.params, d.offer, () => undefined, null);
      }
      if (landed.length) w.changed('jobs');
      return { resumed: landed.map((d) => d.view.generation_id), failed: [], still_running: [], charged_usd: '0', released_usd: '0', messages: [] };
    }),
    generationCancel: (jobId) => w.call('generationCancel', () => {
      const j = jobs.get(jobId);
      if (!j) return false;
      j.cancelled = true;
      j.timers.forEach(clearTimeout);
      jobs.delete(jobId);
      for (const p of w.projects.values()) p.view.reserved_usd = '0';
      // The engine's words for a job cancelled before sending (engine/src/jobs.rs; not recorded:
      // a recorded cancel would race the job).
      j.emit({ stage: 'failed', message: 'cancelled before anything was sent; nothing was charged', result: null });
      w.changed('projects');
      return true;
    }),
    generationPromotePreview: (id) => w.call('generationPromotePreview', () => {
      const g = w.mustGen(id);
      const p = w.getProject(g.item.project);
      const params = paramsOf(g);
      const ests = estimateAll(params, 'final', p.final_chain, null);
      const first = ests.find((e) => e.supported);
      const decision = decide(p, { kind: 'final' }, params);
      const differences = first ? [`Quality: ${g.quality ?? 'default'} → ${decision.quality ?? 'default'}`, `Model: ${g.item.model} → ${first.display_name}`] : [];
      return { generation_id: id, draft_cost_usd: g.item.cost_usd, estimates: ests.slice(0, 6), difference_usd: first ? subUsd(first.expected_usd, g.item.cost_usd) : '0', decision, differences, already_promoted: g.children.length > 0 };
    }),
    routeSizePresets: () => w.call('routeSizePresets', () => ENGINE.size_presets),
    routePreview: (input) => w.call('routePreview', () => decide(w.getProject(input.project), input.route, input.params)),
    generationPromote: (id, onEvent) => w.call('generationPromote', () => {
      const g = w.mustGen(id);
      const p = w.getProject(g.item.project);
      const jobId = fakeJobId(++seq);
      const ok = admit({ project: p.name, params: paramsOf(g), route: { kind: 'final' }, no_dedup: false }, jobId, onEvent, false);
      return ok ? runJob(p, paramsOf(g), ok.offer, onEvent, id, jobId) : jobId;
    }),
  };
}

/** The engine's over-budget text (recorded as a template) for this project and request. */
function overBudgetMessage(p: T.ProjectView, needed: string): string {
  return engineError('submit_over_budget', {
    needed, remaining: p.remaining_usd ?? '0', budget: p.budget_usd ?? '0', spent: p.spent_usd, reserved: p.reserved_usd,
  }).message;
}
