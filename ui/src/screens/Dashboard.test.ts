import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Dashboard from './Dashboard.svelte';
import { backend, setBackend } from '../lib/api';
import { createFakeBackend } from '../lib/api/fake';
import { app } from '../lib/app/state.svelte';
import { addUsd, dec, round, toStr } from '../lib/money';

async function pickProject(): Promise<string> {
  await app.loadProjects();
  const name = app.projects[0].name;
  await fireEvent.change(screen.getByTestId('dashboard-project'), { target: { value: name } });
  return name;
}

describe('Dashboard invoice, CSV and date range (issue 12 §1.19.8, §3.9)', () => {
  afterEach(() => cleanup());

  it('shows the invoice in cents with a period, names and a markup that moves every line', async () => {
    setBackend(createFakeBackend({ galleryCount: 120 }));
    render(Dashboard);
    await pickProject();
    await fireEvent.click(await screen.findByTestId('btn-invoice'));
    await waitFor(() => expect(screen.getAllByTestId('invoice-line').length).toBeGreaterThan(0));
    expect(screen.getByTestId('invoice-period').textContent).toMatch(/Billing period: \w+ \d+, \d{4} – /);
    const amounts = () => screen.getAllByTestId('invoice-amount').map((a) => a.textContent ?? '');
    expect(amounts().every((a) => /^\$\d[\d,]*\.\d{2}$/.test(a))).toBe(true);
    const lines = screen.getAllByTestId('invoice-line').map((l) => l.textContent ?? '');
    expect(lines.join(' ')).not.toMatch(/openai:|stability:|\/gpt-/);
    const before = screen.getByTestId('invoice-total').textContent;

    await fireEvent.input(screen.getByTestId('invoice-markup'), { target: { value: '50' } });
    await waitFor(() => expect(screen.getByTestId('invoice-total').textContent).not.toBe(before));
    expect(screen.getByText(/incl\. 50% markup/)).toBeTruthy();
  });

  it('the CSV rows add up to the invoice lines, and a date range narrows both', async () => {
    const b = createFakeBackend({ galleryCount: 120 });
    setBackend(b);
    await app.loadProjects();
    const project = app.projects[0].name;
    const inv = await b.dashboardInvoice({ project, markup_percent: '15' });
    for (const l of inv.lines) {
      const rows = inv.items.filter((i) => i.line === l.label);
      expect(toStr(round(dec(addUsd(...rows.map((r) => r.charged_usd))), 2))).toBe(l.amount_usd);
    }
    const day = inv.items[0].date_utc.slice(0, 10);
    const one = await b.dashboardInvoice({ project, from: day, to: day });
    expect(one.items.length).toBeGreaterThan(0);
    expect(one.items.every((i) => i.date_utc.startsWith(day))).toBe(true);
    await expect(b.dashboardInvoice({ project, from: '2026-12-01', to: '2026-11-01' })).rejects.toMatchObject({ kind: 'validation' });

    render(Dashboard);
    await waitFor(() => expect(screen.getByTestId('total-spend').textContent).toMatch(/^\$/));
    const all = screen.getByTestId('total-spend').textContent;
    await fireEvent.input(screen.getByTestId('dashboard-from'), { target: { value: '2000-01-01' } });
    await fireEvent.input(screen.getByTestId('dashboard-to'), { target: { value: '2000-01-02' } });
    await waitFor(() => expect(screen.getByText(/No spend yet/)).toBeTruthy());
    await fireEvent.click(screen.getByTestId('dashboard-range-clear'));
    await waitFor(() => expect(screen.getByTestId('total-spend').textContent).toBe(all));
  });

  it('exports the CSV where the native save dialog says, and nothing when it is cancelled', async () => {
    setBackend(createFakeBackend({ galleryCount: 40, pickedPath: '/home/me/Documents' }));
    render(Dashboard);
    const name = await pickProject();
    expect(screen.queryByTestId('csv-path')).toBeNull();
    await fireEvent.click(await screen.findByTestId('btn-csv'));
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain(`/home/me/Documents/${slug}-spend.csv`));
    expect(backend().name).toBe('fake');
  });

  it('a cancelled save dialog writes nothing and says nothing', async () => {
    setBackend(createFakeBackend({ galleryCount: 40, pickedPath: null }));
    render(Dashboard);
    await pickProject();
    await fireEvent.click(await screen.findByTestId('btn-csv'));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('status')).toBeNull();
  });
});
