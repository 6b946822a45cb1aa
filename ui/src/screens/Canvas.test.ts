import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Canvas from './Canvas.svelte';
import { backend, setBackend } from '../lib/api';
import { createFakeBackend } from '../lib/api/fake';
import { app } from '../lib/app/state.svelte';
import { canvas } from '../lib/canvas/state.svelte';
import { defaultForm } from '../lib/canvas/params';
import { jobs } from '../lib/jobs/jobs.svelte';
import { cmpUsd } from '../lib/money';

async function setup(opts: Parameters<typeof createFakeBackend>[0] = {}) {
  setBackend(createFakeBackend({ galleryCount: 60, stageMs: 5, ...opts }));
  Object.assign(canvas.form, defaultForm());
  canvas.estimate = null;
  canvas.error = null;
  canvas.submitError = null;
  jobs.jobs = [];
  app.projectName = 'Spring campaign';
  await app.loadProjects();
  return render(Canvas);
}

const rows = () => screen.queryAllByTestId('cost-row');

describe('Canvas', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => cleanup());

  it('prices the prompt as the user types, cheapest first', async () => {
    await setup();
    expect(screen.getByTestId('screen-canvas').querySelector('h1')?.textContent).toBe('Canvas');
    expect(rows()).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a lighthouse at dusk' } });
    await waitFor(() => expect(rows().length).toBeGreaterThanOrEqual(40));
    const usable = rows().filter((r) => r.dataset.state !== 'unsupported');
    const prices = usable.map((r) => r.querySelector('.exp')?.textContent?.replace('$', '') ?? '');
    for (let i = 1; i < prices.length; i++) expect(cmpUsd(prices[i - 1], prices[i])).toBeLessThanOrEqual(0);
    // Real catalog offers: a keyed one is usable, one whose provider has no key says so.
    expect(rows().find((r) => r.dataset.offerId === 'bfl:flux-dev')?.dataset.state).toBe('ok');
    expect(rows().find((r) => r.dataset.offerId === 'replicate:black-forest-labs/flux-dev')?.dataset.state).toBe('nokey');
    expect(screen.getByTestId('budget-meter')).toBeTruthy();

    // Asking for 4 images re-prices: the engine prices four images (it never refuses a
    // count it can split into calls), so the same offer costs four times as much.
    const one = rows().find((r) => r.dataset.offerId === 'bfl:flux-dev')?.querySelector('.exp')?.textContent;
    expect(one).toBe('$0.0250');
    await fireEvent.change(screen.getByTestId('count'), { target: { value: '4' } });
    await fireEvent.input(screen.getByTestId('count'), { target: { value: '4' } });
    await waitFor(() => expect(rows().find((r) => r.dataset.offerId === 'bfl:flux-dev')?.querySelector('.exp')?.textContent).toBe('$0.1000'));
  });

  it('shows the engine refusing a request calmly instead of crashing', async () => {
    await setup();
    canvas.form.size = '9000x1024'; // a size the form's own clamps do not touch
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'anything' } });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/size 9000×1024 is out of range; use 64 to 8192 pixels per side/i));
    expect(screen.getByTestId('cost-table')).toBeTruthy();
  });

  it('generates a draft and tracks the job to done', async () => {
    await setup();
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a quiet harbour' } });
    await fireEvent.click(screen.getByTestId('btn-draft'));
    await waitFor(() => expect(screen.getAllByTestId('job')[0].dataset.phase).toBe('done'), { timeout: 3000 });
    expect(screen.getAllByTestId('result-thumb').length).toBeGreaterThan(0);
  });

  it('offers Later (−50 %) with now/later prices, lists the job as deferred, and lands it when polled', async () => {
    await setup();
    canvas.tier = 'final';
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a paper boat at night' } });
    const btn = await screen.findByTestId('btn-later', {}, { timeout: 3000 });
    expect(btn.textContent).toBe('Later (−50 %)');
    expect(screen.getByTestId('later-price').textContent).toMatch(/now \$[\d.]+ \/ later \$[\d.]+ \(within 24 h\)/);
    expect(screen.getAllByTestId('later-cell').length).toBeGreaterThan(0);
    await fireEvent.click(btn);
    await waitFor(() => expect(screen.getAllByTestId('deferred-job')).toHaveLength(1), { timeout: 3000 });
    expect(screen.getAllByTestId('job')[0].dataset.phase).toBe('done');
    expect(screen.getByTestId('deferred-job').textContent).toMatch(/^.*Later.*by /);
    await fireEvent.click(screen.getByTestId('deferred-poll'));
    await waitFor(() => expect(screen.queryAllByTestId('deferred-job')).toHaveLength(0));
    expect(await backend().deferredJobs()).toHaveLength(0);
    canvas.tier = 'draft';
  });

  it('asks for a prompt before generating', async () => {
    await setup();
    await fireEvent.click(screen.getByTestId('btn-final'));
    expect(screen.getByRole('alert').textContent).toMatch(/Write a prompt first/);
    expect(screen.queryAllByTestId('job')).toHaveLength(0);
  });

  it('clears a stale "Choose a project" once a project exists (issue 12 §1.12)', async () => {
    await setup();
    app.projectName = null;
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a quiet harbour' } });
    await fireEvent.click(screen.getByTestId('btn-draft'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/Choose a project/));
    app.selectProject('Spring campaign');
    await waitFor(() => expect(screen.queryByText(/Choose a project/)).toBeNull());
  });

  it('remembers the prompt and recent prompts for the next launch (issue 12 §1.15)', async () => {
    await setup();
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'keep me' } });
    await fireEvent.click(screen.getByTestId('btn-draft'));
    await waitFor(() => expect(JSON.parse(localStorage.getItem('proofsheet.canvas.v1') ?? '{}').form?.prompt).toBe('keep me'));
    expect(canvas.recent[0]).toBe('keep me');
    await waitFor(() => expect(JSON.parse(localStorage.getItem('proofsheet.jobs.v1') ?? '{}').jobs?.length).toBeGreaterThan(0));
  });
});
