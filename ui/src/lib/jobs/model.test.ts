import { describe, expect, it } from 'vitest';
import { applyEvent, elapsed, forRestore, isJob, newJob, phaseLabel } from './model';
import { cancelMessage } from './jobs.svelte';

describe('jobs', () => {
  it('shows a team request waiting for approval with its estimate, nothing reserved', () => {
    const j = applyEvent(newJob(1, 'Final', 'p', 0), { stage: 'awaiting_approval', approval_id: '7', estimate_usd: '0.250000' }, 10);
    expect(j.phase).toBe('awaiting_approval');
    expect(j.approval).toEqual({ id: '7', estimate_usd: '0.250000' });
    expect(j.reserved_usd).toBeNull();
    expect(phaseLabel(j, 20)).toBe('Awaiting approval · est $0.2500');
    expect(cancelMessage(j)).toBe('Cancelled before anything was sent — nothing was charged.');
  });
  it('shows elapsed time while running and freezes it when done', () => {
    const j = newJob(1, 'Draft', 'p', 1_000);
    expect(elapsed(j, 8_500)).toBe('0:07');
    expect(elapsed(j, 66_000)).toBe('1:05');
    const done = applyEvent(j, { stage: 'failed', message: 'safety', result: null }, 13_000);
    expect(elapsed(done, 99_000)).toBe('0:12');
  });
  it('marks a job that was running at quit as interrupted, keeps finished ones as they were', () => {
    const running = applyEvent(newJob(1, 'Draft', 'p', 0), { stage: 'running', provider: 'openai', model: 'm', attempt: 1 }, 10);
    const r = forRestore(running, 50);
    expect(r.phase).toBe('failed');
    expect(r.message).toMatch(/Interrupted/);
    const failed = applyEvent(newJob(2, 'Draft', 'p', 0), { stage: 'failed', message: 'quota', result: null }, 10);
    expect(forRestore(failed, 50).message).toBe('quota');
    expect(isJob(JSON.parse(JSON.stringify(failed)))).toBe(true);
    expect(isJob({ nope: 1 })).toBe(false);
  });
  it('a cancel after the request was sent says it may still be billed (issue 12 §1.7)', () => {
    const queued = newJob(1, 'Draft', 'p', 0);
    expect(cancelMessage(queued)).toMatch(/nothing was charged/);
    const running = applyEvent(queued, { stage: 'running', provider: 'openai', model: 'm', attempt: 1 }, 10);
    expect(cancelMessage(running)).toMatch(/OpenAI, which may still bill/);
  });
});
