import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import EndpointsSection from './EndpointsSection.svelte';
import { setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';

describe('Settings → calls at once per provider', () => {
  afterEach(() => cleanup());

  it('shows the cap in force (8), saves a raised one with the job cap past 64', async () => {
    const b = createFakeBackend();
    setBackend(b);
    render(EndpointsSection);
    const calls = await screen.findByTestId('max-calls-per-provider') as HTMLInputElement;
    await waitFor(() => expect(calls.value).toBe('8'));
    await fireEvent.input(calls, { target: { value: '100' } });
    await fireEvent.input(screen.getByTestId('max-jobs'), { target: { value: '128' } });
    await fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Saved'));
    const s = await b.settingsGet();
    expect(s.max_calls_per_provider).toBe(100);
    expect(s.max_concurrent_jobs).toBe(128);
  });

  it('refuses a cap outside 1–256 with the engine’s words and keeps the one in force', async () => {
    const b = createFakeBackend();
    setBackend(b);
    render(EndpointsSection);
    const calls = await screen.findByTestId('max-calls-per-provider') as HTMLInputElement;
    await waitFor(() => expect(calls.value).toBe('8'));
    await fireEvent.input(calls, { target: { value: '0' } });
    await fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(document.body.textContent).toContain('between 1 and 256 (got 0)'));
    expect(screen.queryByRole('status')).toBeNull();
    expect((await b.settingsGet()).max_calls_per_provider).toBe(8);
  });
});
