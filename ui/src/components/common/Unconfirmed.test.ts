// The window's side of issue 11: unconfirmed money and the over-budget state in the
// budget meter, the jobs panel, the gallery detail, the canvas and the dashboard.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import BudgetMeter from '../shell/BudgetMeter.svelte';
import JobsPanel from '../canvas/JobsPanel.svelte';
import DetailPanel from '../gallery/DetailPanel.svelte';
import Canvas from '../../screens/Canvas.svelte';
import Dashboard from '../../screens/Dashboard.svelte';
import { backend, setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';
import { app } from '../../lib/app/state.svelte';
import { jobs } from '../../lib/jobs/jobs.svelte';
import { newJob } from '../../lib/jobs/model';

const budget = { budget_usd: '1', spent_usd: '0.04', reserved_usd: '0', warn_at: ['0.5'], hard: true, request_usd: '0.02', request_fits: true, unconfirmed_usd: '0.04', over_budget: false };
const LINE = '$0.04 unconfirmed — the provider may have billed; confirm or refund';

async function withUnconfirmed() {
  setBackend(createFakeBackend({ galleryCount: 40, stageMs: 5, unconfirmed: true }));
  app.projectName = 'Spring campaign';
  await app.loadProjects();
  const [charge] = await backend().chargesList('Spring campaign');
  return charge;
}

describe('unconfirmed charges and over budget in the window', () => {
  afterEach(() => cleanup());

  it('the canvas meter shows unconfirmed money as its own segment and line', () => {
    render(BudgetMeter, { budget, project: 'P' });
    expect(screen.getByTestId('budget-meter-unconfirmed').textContent).toContain(LINE);
    expect(document.querySelector('.bar .unconfirmed')).toBeTruthy();
    expect(screen.queryByTestId('budget-meter-over')).toBeNull();
    expect(screen.getByTestId('budget-meter').dataset.level).toBe('ok');
  });

  it('the top bar meter shows a short unconfirmed chip with the full text on hover', () => {
    render(BudgetMeter, { budget, compact: true, testid: 'topbar-budget' });
    const chip = screen.getByTestId('topbar-budget-unconfirmed');
    expect(chip.textContent).toBe('$0.04 unconfirmed');
    expect(chip.getAttribute('title')).toBe(LINE);
  });

  it('a meter with nothing unconfirmed says nothing about it', () => {
    render(BudgetMeter, { budget: { ...budget, unconfirmed_usd: '0' }, project: 'P' });
    expect(screen.queryByTestId('budget-meter-unconfirmed')).toBeNull();
    expect(document.querySelector('.bar .unconfirmed')).toBeNull();
  });

  it('an overcharged hard budget is red and says to raise it, instead of the per-request stop', () => {
    render(BudgetMeter, { budget: { ...budget, spent_usd: '1.30', over_budget: true, request_fits: false }, project: 'P' });
    expect(screen.getByTestId('budget-meter').dataset.level).toBe('over');
    expect(screen.getByTestId('budget-meter-over').textContent).toBe('over budget — raise the budget to continue');
    expect(screen.queryByTestId('budget-stop')).toBeNull();
  });

  it('the canvas disables Draft and Final with the reason when the hard budget is over', async () => {
    setBackend(createFakeBackend({ galleryCount: 40, stageMs: 5 }));
    app.projectName = 'Spring campaign';
    await app.loadProjects();
    app.projects = app.projects.map((p) => (p.name === 'Spring campaign' ? { ...p, hard: true, over_budget: true } : p));
    render(Canvas);
    const draft = screen.getByTestId('btn-draft') as HTMLButtonElement;
    expect(draft.disabled).toBe(true);
    expect((screen.getByTestId('btn-final') as HTMLButtonElement).disabled).toBe(true);
    expect(draft.title).toBe('over budget — raise the budget to continue');
    expect(screen.getByTestId('over-budget-reason').textContent).toBe('over budget — raise the budget to continue');
    expect(screen.getByTestId('budget-meter-over').textContent).toBe('over budget — raise the budget to continue');
  });

  it('the jobs panel shows an unknown outcome as an unconfirmed charge and flags reviewed costs', () => {
    const job = newJob(1, 'Draft', 'a lighthouse');
    job.phase = 'failed';
    job.message = 'The provider never answered after the request was sent.';
    job.result = {
      generation_id: 'g1', status: 'failed', dedup_hit: false, cost_usd: '0.06', saved_usd: '0', images: [], error: null, budget_warning: null, unconfirmed_usd: '0.04',
      attempts: [
        { provider: 'openai', model: 'gpt-image-1', offer_id: 'o1', outcome: 'malformed_response', billed: true, cost_usd: '0.02', error: null, duration_ms: 1, unconfirmed: false, review: 'reported $9.00, far above the estimate', attempt_id: 'a1' },
        { provider: 'openai', model: 'gpt-image-1', offer_id: 'o1', outcome: 'timeout', billed: false, cost_usd: '0.04', error: null, duration_ms: 1, unconfirmed: true, review: null, attempt_id: 'a2' },
      ],
    };
    jobs.jobs = [job];
    render(JobsPanel);
    const charges = screen.getAllByTestId('attempt-charge').map((e) => e.textContent);
    expect(charges).toEqual(['$0.0200', 'unconfirmed charge $0.0400']);
    expect(screen.queryByText('not billed')).toBeNull();
    expect(screen.getByTestId('attempt-review').textContent).toBe('review: reported $9.00, far above the estimate');
    expect(screen.getByText('$0.0600 ($0.0400 unconfirmed)')).toBeTruthy();
    jobs.jobs = [];
  });

  it('the gallery detail marks the attempt and refunds it through the api', async () => {
    const charge = await withUnconfirmed();
    const spentBefore = app.project!.spent_usd;
    expect(app.project!.unconfirmed_usd).toBe('0.04');
    let changed = 0;
    render(DetailPanel, { id: charge.generation_id, onclose: () => {}, onopen: () => {}, onchanged: () => changed++ });
    await waitFor(() => expect(screen.getByTestId('detail-unconfirmed').textContent).toContain('$0.04'));
    expect(screen.getAllByTestId('attempt-charge')[0].textContent).toBe('unconfirmed charge $0.0400');
    await fireEvent.click(screen.getByTestId('btn-charge-refund'));
    await waitFor(() => expect(screen.queryByTestId('detail-unconfirmed')).toBeNull());
    expect(screen.getAllByTestId('attempt-charge')[0].textContent).toBe('not billed');
    expect(screen.queryByTestId('btn-charge-confirm')).toBeNull();
    expect(changed).toBe(1);
    await waitFor(() => expect(app.project!.unconfirmed_usd).toBe('0'));
    expect(await backend().chargesList(null)).toEqual([]);
    expect(app.project!.spent_usd).not.toBe(spentBefore);
  });

  it('confirming keeps the money spent and clears the mark', async () => {
    const charge = await withUnconfirmed();
    const spentBefore = app.project!.spent_usd;
    render(DetailPanel, { id: charge.generation_id, onclose: () => {}, onopen: () => {}, onchanged: () => {} });
    await waitFor(() => screen.getByTestId('btn-charge-confirm'));
    await fireEvent.click(screen.getByTestId('btn-charge-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('attempt-charge')[0].textContent).toBe('$0.0400'));
    await waitFor(() => expect(app.project!.unconfirmed_usd).toBe('0'));
    expect(app.project!.spent_usd).toBe(spentBefore);
  });

  it('the dashboard shows an Unconfirmed figure with each charge', async () => {
    await withUnconfirmed();
    render(Dashboard);
    await waitFor(() => expect(screen.getByTestId('unconfirmed-total').textContent).toBe('$0.04'));
    expect(screen.getAllByTestId('unconfirmed-charge')).toHaveLength(1);
    expect(screen.getByTestId('unconfirmed-charges').textContent).toContain('Unconfirmed');
  });
});
