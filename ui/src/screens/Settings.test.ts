import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Settings from './Settings.svelte';
import Dashboard from './Dashboard.svelte';
import { setBackend } from '../lib/api';
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

  it('names the offer, field and reason of a bad catalog', async () => {
    setBackend(createFakeBackend());
    render(Settings);
    await fireEvent.input(screen.getByTestId('catalog-json'), { target: { value: '{"version":"x","offers":[{"offer_id":"a/b","provider":"a","model":"b","price_usd":4}]}' } });
    await fireEvent.click(screen.getByTestId('catalog-import'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/offer a\/b: field “price_usd”/));
  });
});

describe('Dashboard', () => {
  afterEach(() => cleanup());

  it('shows totals from exact strings and survives an unfinished engine', async () => {
    setBackend(createFakeBackend({ galleryCount: 80 }));
    render(Dashboard);
    await waitFor(() => expect(screen.getByTestId('total-spend').textContent).toMatch(/^\$\d/));
    expect(screen.getByTestId('chart-by-provider')).toBeTruthy();
    cleanup();
    setBackend(createFakeBackend({ unbuilt: ['dashboardData'] }));
    render(Dashboard);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/still being built/));
  });
});
