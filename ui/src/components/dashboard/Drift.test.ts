// Drift from real bills and model discovery in the window (issue 14 §5, §6): the cost
// table marks a drifting offer, the dashboard lists it with the evidence and accepts it
// in one step (the estimate follows, the mark goes), and Settings → Pricing lists the
// models a key can use and imports one only when asked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import Canvas from '../../screens/Canvas.svelte';
import Dashboard from '../../screens/Dashboard.svelte';
import DiscoverySection from '../settings/DiscoverySection.svelte';
import { backend, setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';
import { DRIFT_OFFER } from '../../lib/api/fake/drift';
import { app } from '../../lib/app/state.svelte';
import { canvas } from '../../lib/canvas/state.svelte';
import { defaultForm } from '../../lib/canvas/params';
import { jobs } from '../../lib/jobs/jobs.svelte';

async function setup(drift = true) {
  setBackend(createFakeBackend({ galleryCount: 40, stageMs: 5, drift }));
  Object.assign(canvas.form, defaultForm());
  canvas.estimate = null;
  canvas.error = null;
  jobs.jobs = [];
  app.projectName = 'Spring campaign';
  await app.loadProjects();
}

async function priceOnCanvas() {
  render(Canvas);
  await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a lighthouse at dusk' } });
  await waitFor(() => expect(screen.queryAllByTestId('cost-row').length).toBeGreaterThan(10));
  return () => screen.getAllByTestId('cost-row').find((r) => r.dataset.offerId === DRIFT_OFFER)!;
}

describe('drift from real bills', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => cleanup());

  it('the cost table marks only the drifting offer, with its evidence in the tooltip', async () => {
    await setup();
    const row = await priceOnCanvas();
    const mark = within(row()).getByTestId('drift-mark');
    expect(mark.textContent).toBe('real bills +25% vs this estimate (last 5 attempts)');
    expect(mark.getAttribute('title')).toContain('$0.25 billed vs $0.2 estimated');
    expect(screen.getAllByTestId('drift-mark')).toHaveLength(1);
  });

  it('no drift, no mark and no dashboard panel', async () => {
    await setup(false);
    await priceOnCanvas();
    expect(screen.queryAllByTestId('drift-mark')).toHaveLength(0);
    cleanup();
    render(Dashboard);
    await waitFor(() => expect(screen.getByTestId('total-spend')).toBeTruthy());
    expect(screen.queryByTestId('drift-panel')).toBeNull();
  });

  it('the dashboard lists the drift with estimate vs actual per attempt and accepts it in one step', async () => {
    await setup();
    render(Dashboard);
    const item = await screen.findByTestId('drift-item');
    expect(item.dataset.offerId).toBe(DRIFT_OFFER);
    expect(within(item).getByTestId('drift-pct').textContent).toBe('+25%');
    await fireEvent.click(within(item).getByTestId('drift-evidence-toggle'));
    const rows = screen.getAllByTestId('drift-evidence-row');
    expect(rows).toHaveLength(5);
    expect(rows[0].textContent).toContain('$0.0400');
    expect(rows[0].textContent).toContain('$0.0500');

    await fireEvent.click(within(item).getByTestId('drift-accept'));
    await waitFor(() => expect(screen.getByTestId('drift-done').textContent).toContain('1.25×'));
    await waitFor(() => expect(screen.queryAllByTestId('drift-item')).toHaveLength(0));
    const est = await backend().pricingEstimate({
      params: { ...defaultForm(), prompt: 'x', negative_prompt: null, width: 1024, height: 1024, quality: null, n: 1, steps: null, seed: null },
      project: null, tier: 'all', offers: [DRIFT_OFFER],
    });
    expect(est.estimates[0].drift).toBeUndefined();
    expect(est.estimates[0].expected_usd).toBe('0.05');
    expect((await backend().driftList())[0].status).toBe('accepted');
  });

  it('ignoring keeps the price and clears the mark', async () => {
    await setup();
    render(Dashboard);
    await fireEvent.click(await screen.findByTestId('drift-ignore'));
    await waitFor(() => expect(screen.getByTestId('drift-done').textContent).toContain('keeps its price'));
    expect((await backend().driftList())[0].status).toBe('ignored');
  });

  it('Settings lists the models a key can use and imports a listed price only when asked', async () => {
    await setup();
    render(DiscoverySection);
    await waitFor(() => expect((screen.getByTestId('drift-window') as HTMLInputElement).value).toBe('10'));
    await fireEvent.input(screen.getByTestId('drift-window'), { target: { value: '1' } });
    await fireEvent.click(screen.getByTestId('drift-save'));
    expect((await screen.findByTestId('error')).textContent).toContain('between 2 and 500');

    await fireEvent.click(screen.getByTestId('discover'));
    const together = (await screen.findAllByTestId('discover-provider')).find((p) => p.dataset.provider === 'together')!;
    const model = within(together).getByTestId('discover-model');
    expect(model.textContent).toContain('$0.025 per megapixel');
    const importBtn = within(together).getByTestId('discover-import') as HTMLButtonElement;
    expect(importBtn.disabled).toBe(true);
    expect(screen.getAllByTestId('discover-unlisted')[0].textContent).toContain('openai:gpt-image-1');
    await fireEvent.click(within(together).getByTestId('discover-pick'));
    await fireEvent.click(importBtn);
    await waitFor(() => expect(screen.getByTestId('discover-imported').textContent).toContain('together:black-forest-labs/FLUX.1-krea-dev'));
  });
});
