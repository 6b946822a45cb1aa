import { formatPrice } from '../money';
import type { AttemptView, FinalizeInput, GenerateInput, GenerationResult, JobEvent, OfferProvider } from '../api';

export type JobPhase = 'submitting' | 'queued' | 'estimating' | 'awaiting_approval' | 'reserved' | 'waiting' | 'running' | 'polling' | 'storing' | 'done' | 'failed' | 'cancelled';

export interface Job {
  key: number;
  jobId: string | null;
  label: string;
  prompt: string;
  phase: JobPhase;
  provider: OfferProvider | null;
  model: string | null;
  attempt: number;
  /** Epoch ms when a rate-limit wait ends. */
  waitUntil: number | null;
  pollElapsed: number;
  reserved_usd: string | null;
  /** A team project's request above its approval threshold: nothing is reserved or sent
   *  until an admin approves it (id on the team server, worst-case estimate). */
  approval?: { id: string; estimate_usd: string } | null;
  result: GenerationResult | null;
  message: string | null;
  /** Epoch ms: when it was pressed, and when it ended (for the elapsed time). */
  startedAt: number;
  endedAt: number | null;
  /** What to send again on Retry (a submit's input, or the draft a promote started from). */
  retry: { kind: 'submit'; input: GenerateInput } | { kind: 'later'; input: GenerateInput } | { kind: 'promote'; generationId: string } | { kind: 'finalize'; input: FinalizeInput } | null;
}

export function newJob(key: number, label: string, prompt: string, now = Date.now(), retry: Job['retry'] = null): Job {
  return { key, jobId: null, label, prompt, phase: 'submitting', provider: null, model: null, attempt: 0, waitUntil: null, pollElapsed: 0, reserved_usd: null, result: null, message: null, startedAt: now, endedAt: null, retry };
}

/** Folds one channel event into the job (pure; `now` for the countdown). */
export function applyEvent(job: Job, ev: JobEvent, now: number): Job {
  const j = { ...job };
  switch (ev.stage) {
    case 'queued': j.phase = 'queued'; j.jobId = ev.job_id; break;
    case 'estimating': j.phase = 'estimating'; break;
    case 'awaiting_approval': j.phase = 'awaiting_approval'; j.approval = { id: ev.approval_id, estimate_usd: ev.estimate_usd }; break;
    case 'reserved': j.phase = 'reserved'; j.reserved_usd = ev.amount_usd; break;
    case 'waiting_rate_limit': j.phase = 'waiting'; j.provider = ev.provider; j.waitUntil = now + ev.seconds * 1000; break;
    case 'running': j.phase = 'running'; j.provider = ev.provider; j.model = ev.model; j.attempt = ev.attempt; j.waitUntil = null; break;
    case 'polling': j.phase = 'polling'; j.provider = ev.provider; j.pollElapsed = ev.elapsed_s; break;
    case 'storing': j.phase = 'storing'; break;
    case 'done': j.phase = 'done'; j.result = ev.result; j.waitUntil = null; j.endedAt = now; break;
    case 'failed':
      j.phase = ev.result?.status === 'cancelled' || /cancel/i.test(ev.message) ? 'cancelled' : 'failed';
      j.message = ev.message; j.result = ev.result ?? null; j.waitUntil = null; j.endedAt = now; break;
  }
  return j;
}

export function isActive(j: Job): boolean {
  return !['done', 'failed', 'cancelled'].includes(j.phase);
}

/** The attempt chain is worth showing when anything other than one clean success happened. */
export function showAttempts(attempts: AttemptView[]): boolean {
  return attempts.length > 1 || attempts.some((a) => a.outcome !== 'succeeded');
}

export function phaseLabel(j: Job, now: number): string {
  switch (j.phase) {
    case 'submitting': return 'sending…';
    case 'queued': return 'queued';
    case 'estimating': return 'pricing';
    case 'awaiting_approval': return `Awaiting approval · est ${formatPrice(j.approval?.estimate_usd)}`;
    case 'reserved': return 'budget reserved';
    case 'waiting': return `waiting for rate limit · ${Math.max(0, Math.ceil(((j.waitUntil ?? now) - now) / 1000))}s`;
    case 'running': return j.attempt > 1 ? `running · attempt ${j.attempt}` : 'running';
    case 'polling': return `polling · ${j.pollElapsed}s`;
    case 'storing': return 'saving to gallery';
    case 'done': return j.result?.dedup_hit ? 'reused from gallery' : j.result?.status === 'deferred' ? 'in the batch' : 'done';
    case 'failed': return 'failed';
    case 'cancelled': return 'cancelled';
  }
}

/** "0:07", "1:05", "12:00" — elapsed time of a running or finished job. */
export function elapsed(j: Job, now: number): string {
  const ms = Math.max(0, (j.endedAt ?? now) - j.startedAt);
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A job as saved for the next launch: one that was still running is marked interrupted. */
export function forRestore(j: Job, now: number): Job {
  if (!isActive(j)) return { ...j, waitUntil: null };
  return {
    ...j, phase: 'failed', waitUntil: null, endedAt: j.endedAt ?? now,
    message: 'Interrupted: Proofsheet was closed while this ran. Any money held for it is released; check the Gallery before retrying.',
  };
}

export function isJob(v: unknown): v is Job {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.key === 'number' && typeof o.label === 'string' && typeof o.prompt === 'string' && typeof o.phase === 'string';
}

/** When a deferred job is due, short enough for the jobs panel ("Nov 30, 10:31 AM"). */
export function dueShort(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}
