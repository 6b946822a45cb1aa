import { backend, type DeferredJobView, type FinalizeInput, type GenerateInput, type GenerationResult, type JobEvent } from '../api';
import { friendly, type Friendly } from '../errors';
import { app } from '../app/state.svelte';
import { providerName } from '../format';
import { applyEvent, forRestore, isActive, isJob, newJob, type Job } from './model';
import { isObject, loadJson, saveJson } from '../persist';
import { coalesceCalls } from '../app/coalesce';
import { createSaver } from './saver';

const KEY = 'proofsheet.jobs.v1';
const MAX_JOBS = 100;
const MAX_RESULTS = 24;
type Result = { result: GenerationResult; label: string };

// Many jobs ending together refetch the meters and screens once per 200 ms (issue 17).
const refreshAfterJobs = coalesceCalls(() => {
  app.bump();
  void app.loadProjects();
});
const reloadProjects = coalesceCalls(() => void app.loadProjects());

class JobsState {
  jobs = $state<Job[]>([]);
  results = $state<Result[]>([]);
  /** Generations waiting for a provider's batch ("Later"), polled by the app. */
  deferred = $state<DeferredJobView[]>([]);
  now = $state(Date.now());
  private key = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;

  private update(key: number, f: (j: Job) => Job) {
    this.jobs = this.jobs.map((j) => (j.key === key ? f(j) : j));
    this.tick();
    this.save();
  }

  /** Job history and latest results come back after a restart (issue 12 §1.15). */
  restore() {
    const s = loadJson<Record<string, unknown>>(KEY, {}, isObject);
    const now = Date.now();
    if (Array.isArray(s.jobs)) this.jobs = s.jobs.filter(isJob).slice(0, MAX_JOBS).map((j) => forRestore({ ...j, retry: j.retry ?? null, startedAt: j.startedAt ?? now, endedAt: j.endedAt ?? null }, now));
    if (Array.isArray(s.results)) {
      this.results = s.results
        .filter((r): r is Result => isObject(r) && isObject(r.result) && Array.isArray((r.result as { images?: unknown }).images))
        .slice(0, MAX_RESULTS);
    }
    this.key = this.jobs.reduce((m, j) => Math.max(m, j.key), 0);
  }

  // At most one write per half second while messages stream in; the rest on leaving.
  private saver = createSaver(() => saveJson(KEY, { jobs: this.jobs, results: this.results }));
  private save() {
    this.saver.soon();
  }
  /** Writes what is pending (the window closing). */
  flushSave() {
    this.saver.flush();
  }

  private onEvent(key: number, ev: JobEvent) {
    this.update(key, (j) => applyEvent(j, ev, Date.now()));
    if (ev.stage === 'done' && ev.result.status === 'deferred') {
      // No images yet: it is listed as deferred until the provider delivers.
      void this.loadDeferred();
      void app.loadProjects();
    } else if (ev.stage === 'done') {
      this.results = [{ result: ev.result, label: this.jobs.find((j) => j.key === key)?.label ?? '' }, ...this.results].slice(0, MAX_RESULTS);
      this.save();
      refreshAfterJobs();
    } else if (ev.stage === 'failed' || ev.stage === 'reserved') {
      // Reserved: the top bar shows money held by the running job at once (issue 12 §1.18).
      reloadProjects();
    }
  }

  /** Keeps the clock ticking while a job runs (elapsed time, rate-limit countdown). */
  private tick() {
    const waiting = this.jobs.some(isActive);
    if (waiting && !this.ticker) this.ticker = setInterval(() => (this.now = Date.now()), 250);
    if (!waiting && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  /** Resolves to null once the job is queued, or to the reason it was refused. */
  private async start(label: string, prompt: string, retry: Job['retry'], go: (cb: (e: JobEvent) => void) => Promise<string>): Promise<Friendly | null> {
    const key = ++this.key;
    this.jobs = [newJob(key, label, prompt, Date.now(), retry), ...this.jobs].slice(0, MAX_JOBS);
    try {
      const id = await go((e) => this.onEvent(key, e));
      this.update(key, (j) => ({ ...j, jobId: j.jobId ?? id, phase: j.phase === 'submitting' ? 'queued' : j.phase }));
      return null;
    } catch (e) {
      const f = friendly(e);
      this.update(key, (j) => ({ ...j, phase: 'failed', message: `${f.title}: ${f.message}`, endedAt: Date.now() }));
      return f;
    }
  }

  submit(input: GenerateInput, label: string): Promise<Friendly | null> {
    return this.start(label, input.params.prompt, { kind: 'submit', input }, (cb) => backend().generationSubmit(input, cb));
  }

  /** "Later": the provider's batch API at the batch price; lands in the gallery later. */
  submitLater(input: GenerateInput, label: string): Promise<Friendly | null> {
    return this.start(label, input.params.prompt, { kind: 'later', input }, (cb) => backend().generationSubmitLater(input, cb));
  }

  /** Asks the providers now instead of waiting for the background poll. */
  async pollDeferred(): Promise<Friendly | null> {
    try {
      const r = await backend().deferredPoll();
      await this.loadDeferred();
      if (r.resumed.length || r.failed.length) {
        app.bump();
        void app.loadProjects();
      }
      return null;
    } catch (e) {
      return friendly(e);
    }
  }

  async loadDeferred() {
    try {
      this.deferred = await backend().deferredJobs();
    } catch {
      // Keep the last list; the next change event tries again.
    }
  }

  promote(generationId: string, prompt: string): Promise<Friendly | null> {
    return this.start('Final (promoted)', prompt, { kind: 'promote', generationId }, (cb) => backend().generationPromote(generationId, cb));
  }

  /** A final made from a draft the chosen way (re-render from it, upscale it, re-roll). */
  finalize(input: FinalizeInput, label: string, prompt: string): Promise<Friendly | null> {
    return this.start(label, prompt, { kind: 'finalize', input }, (cb) => backend().generationFinalize(input, cb));
  }

  /** Sends a failed or cancelled job again, as it was. */
  retry(key: number): Promise<Friendly | null> {
    const j = this.jobs.find((x) => x.key === key);
    if (!j?.retry) return Promise.resolve(null);
    if (j.retry.kind === 'later') return this.submitLater(j.retry.input, j.label);
    if (j.retry.kind === 'finalize') return this.finalize(j.retry.input, j.label, j.prompt);
    return j.retry.kind === 'submit' ? this.submit(j.retry.input, j.label) : this.promote(j.retry.generationId, j.prompt);
  }

  /** Money held by jobs still running (shown on the meters while they run). */
  get heldUsd(): string[] {
    return this.jobs.filter((j) => isActive(j) && j.reserved_usd).map((j) => j.reserved_usd as string);
  }

  async cancel(key: number) {
    const j = this.jobs.find((x) => x.key === key);
    if (!j) return;
    if (!j.jobId || !isActive(j)) {
      this.jobs = this.jobs.filter((x) => x.key !== key);
      this.save();
      return;
    }
    try {
      await backend().generationCancel(j.jobId);
      // A request the provider already received may still be billed (issue 12 §1.7): it
      // stays as an unconfirmed charge.
      this.update(key, (x) => (isActive(x) ? { ...x, phase: 'cancelled', endedAt: Date.now(), message: cancelMessage(x) } : x));
    } catch (e) {
      const f = friendly(e);
      this.update(key, (x) => ({ ...x, message: `${f.title}: ${f.message}` }));
    }
  }

  clearFinished() {
    this.jobs = this.jobs.filter(isActive);
    this.save();
  }
}

/** What a cancel can honestly promise: nothing was sent, or the provider may still bill. */
export function cancelMessage(j: Job): string {
  const sent = ['running', 'polling', 'storing', 'waiting'].includes(j.phase) || j.attempt > 0;
  if (!sent) return 'Cancelled before anything was sent — nothing was charged.';
  const who = j.provider ? providerName(j.provider) : 'the provider';
  return `Cancelled. The request had already reached ${who}, which may still bill for it.`;
}

export const jobs = new JobsState();
jobs.restore();
globalThis.addEventListener?.('pagehide', () => jobs.flushSave());
