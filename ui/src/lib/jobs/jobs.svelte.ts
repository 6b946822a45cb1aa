import { backend, type GenerateInput, type GenerationResult, type JobEvent } from '../api';
import { friendly, type Friendly } from '../errors';
import { app } from '../app/state.svelte';
import { applyEvent, isActive, newJob, type Job } from './model';

class JobsState {
  jobs = $state<Job[]>([]);
  results = $state<{ result: GenerationResult; label: string }[]>([]);
  now = $state(Date.now());
  private key = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;

  private update(key: number, f: (j: Job) => Job) {
    this.jobs = this.jobs.map((j) => (j.key === key ? f(j) : j));
    this.tick();
  }

  private onEvent(key: number, ev: JobEvent) {
    this.update(key, (j) => applyEvent(j, ev, Date.now()));
    if (ev.stage === 'done') {
      this.results = [{ result: ev.result, label: this.jobs.find((j) => j.key === key)?.label ?? '' }, ...this.results].slice(0, 24);
      app.bump();
      void app.loadProjects();
    } else if (ev.stage === 'failed') {
      void app.loadProjects();
    }
  }

  /** Keeps the countdown ticking only while someone waits on a rate limit. */
  private tick() {
    const waiting = this.jobs.some((j) => j.phase === 'waiting');
    if (waiting && !this.ticker) this.ticker = setInterval(() => (this.now = Date.now()), 250);
    if (!waiting && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  /** Resolves to null once the job is queued, or to the reason it was refused. */
  private async start(label: string, prompt: string, go: (cb: (e: JobEvent) => void) => Promise<string>): Promise<Friendly | null> {
    const key = ++this.key;
    this.jobs = [newJob(key, label, prompt), ...this.jobs].slice(0, 30);
    try {
      const id = await go((e) => this.onEvent(key, e));
      this.update(key, (j) => ({ ...j, jobId: j.jobId ?? id, phase: j.phase === 'submitting' ? 'queued' : j.phase }));
      return null;
    } catch (e) {
      const f = friendly(e);
      this.update(key, (j) => ({ ...j, phase: 'failed', message: `${f.title}: ${f.message}` }));
      return f;
    }
  }

  submit(input: GenerateInput, label: string): Promise<Friendly | null> {
    return this.start(label, input.params.prompt, (cb) => backend().generationSubmit(input, cb));
  }

  promote(generationId: string, prompt: string): Promise<Friendly | null> {
    return this.start('Final (promoted)', prompt, (cb) => backend().generationPromote(generationId, cb));
  }

  async cancel(key: number) {
    const j = this.jobs.find((x) => x.key === key);
    if (!j) return;
    if (!j.jobId || !isActive(j)) {
      this.jobs = this.jobs.filter((x) => x.key !== key);
      return;
    }
    try {
      await backend().generationCancel(j.jobId);
      this.update(key, (x) => (isActive(x) ? { ...x, phase: 'cancelled', message: 'Cancelled — a call already sent stays as an unconfirmed charge.' } : x));
    } catch (e) {
      const f = friendly(e);
      this.update(key, (x) => ({ ...x, message: `${f.title}: ${f.message}` }));
    }
  }

  clearFinished() {
    this.jobs = this.jobs.filter(isActive);
  }
}

export const jobs = new JobsState();
