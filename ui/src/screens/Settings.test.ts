import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Settings from './Settings.svelte';
import Dashboard from './Dashboard.svelte';
import { ApiError, setBackend } from '../lib/api';
import { createFakeBackend } from '../lib/api/fake';
import { app } from '../lib/app/state.svelte';

describe('Settings', () => {
  afterEach(() => cleanup());

  it('saves a key, clears the field and never shows it back', async () => {
    setBackend(createFakeBackend({ empty: true }));
    await app.loadOffers();
    render(Settings);
    const secret = screen.getByTestId('key-secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    await fireEvent.change(screen.getByTestId('key-provider'), { target: { value: 'replicate' } });
    await fireEvent.input(secret, { target: { value: 'r8_supersecretvalue1234' } });
    await fireEvent.click(screen.getByTestId('key-save'));
    await waitFor(() => expect(screen.getAllByTestId('key-row')).toHaveLength(1));
    expect(secret.value).toBe('');
    expect(document.body.textContent).not.toContain('supersecret');
    expect(screen.getByTestId('key-row').textContent).toContain('1234');
  });

  it('shows the engine\'s reason for refusing a catalog (here: the shape the old fake invented)', async () => {
    setBackend(createFakeBackend());
    render(Settings);
    await fireEvent.input(screen.getByTestId('catalog-json'), { target: { value: '{"version":"x","offers":[{"offer_id":"a/b","provider":"a","model":"b","price_usd":4}]}' } });
    await fireEvent.click(screen.getByTestId('catalog-import'));
    // The engine's text, with its `field` quotes shown typographically by the window.
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/catalog refused, nothing was changed: catalog field “published”: missing \(expected YYYY-MM-DD\)/i));
  });
});

describe('Settings keeps what was set (issue 12 §1.4, §1.19.7)', () => {
  afterEach(() => cleanup());

  it('loads saved negotiated rates with the page, and a second save keeps the first', async () => {
    const b = createFakeBackend();
    setBackend(b);
    await app.loadOffers();
    const [first, second] = app.offers;
    await b.settingsSetOverrides([{ offer_id: first.offer_id, multiplier: '0.8' }]);
    render(Settings);
    await waitFor(() => expect(screen.getAllByTestId('rate-row')).toHaveLength(1));
    expect((screen.getByTestId('rate-mult') as HTMLInputElement).value).toBe('0.8');
    await fireEvent.click(screen.getByTestId('rate-add'));
    const selects = screen.getAllByTestId('rate-offer');
    await fireEvent.change(selects[1], { target: { value: second.offer_id } });
    const mults = screen.getAllByTestId('rate-mult');
    await fireEvent.input(mults[1], { target: { value: '0.5' } });
    await fireEvent.click(screen.getByTestId('rates-save'));
    await waitFor(() => expect(screen.getByTestId('rates-saved')).toBeTruthy());
    const saved = (await b.settingsGet()).price_overrides.map((o) => o.offer_id).sort();
    expect(saved).toEqual([first.offer_id, second.offer_id].sort());
  });

  it('keeps a key test result after leaving Settings and coming back', async () => {
    setBackend(createFakeBackend());
    await app.loadOffers();
    render(Settings);
    const row = (await screen.findAllByTestId('key-row'))[0];
    await fireEvent.click(row.querySelector('button') as HTMLButtonElement);
    await waitFor(() => expect(screen.getByTestId('key-status')).toBeTruthy());
    cleanup();
    render(Settings);
    await waitFor(() => expect(screen.getByTestId('key-status')).toBeTruthy());
  });
});

describe('Dashboard', () => {
  afterEach(() => cleanup());

  it('shows totals from exact strings and survives a failing engine', async () => {
    setBackend(createFakeBackend({ galleryCount: 80 }));
    render(Dashboard);
    await waitFor(() => expect(screen.getByTestId('total-spend').textContent).toMatch(/^\$\d/));
    expect(screen.getByTestId('chart-by-provider')).toBeTruthy();
    cleanup();
    // Any engine failure (internal: a bug or a broken library) is shown, not thrown.
    const failing = { ...createFakeBackend(), dashboardData: () => Promise.reject(new ApiError('internal', 'the library could not be read')) };
    setBackend(failing);
    render(Dashboard);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/the library could not be read/i));
  });
});
