import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import TeamSection from './TeamSection.svelte';
import { setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';
import { FAKE_TEAM_PASSWORD } from '../../lib/api/fake/team';

async function fill(url: string, password: string) {
  await fireEvent.input(screen.getByTestId('team-db'), { target: { value: url } });
  await fireEvent.input(screen.getByTestId('team-password'), { target: { value: password } });
  await fireEvent.click(screen.getByTestId('team-join'));
}

describe('Settings → Team', () => {
  afterEach(() => cleanup());

  it('says why a join failed, then joins, never shows the password, and leaves', async () => {
    const b = createFakeBackend();
    setBackend(b);
    render(TeamSection);
    await waitFor(() => expect(screen.getByTestId('team-form')).toBeTruthy());

    await fill('postgres://ana@down.studio:5432/proofsheet', FAKE_TEAM_PASSWORD);
    await waitFor(() => expect(screen.getByTestId('error').textContent).toContain('cannot be reached'));
    expect(screen.getByTestId('error').textContent).toContain('Team server');

    await fill('postgres://ana@db.studio:5432/proofsheet', 'wrong-password-123');
    await waitFor(() => expect(screen.getByTestId('error').textContent).toContain('refused the login'));
    // The password field is emptied once sent, right or wrong.
    expect((screen.getByTestId('team-password') as HTMLInputElement).value).toBe('');

    await fill('postgres://ana@db.studio:5432/proofsheet', FAKE_TEAM_PASSWORD);
    await waitFor(() => expect(screen.getByTestId('team-status')).toBeTruthy());
    expect(screen.getByTestId('team-reachable')).toBeTruthy();
    expect(screen.getByTestId('team-member').textContent).toContain('ana');
    expect(screen.getByTestId('team-role').textContent).toBe('admin');
    expect(document.body.textContent).not.toContain(FAKE_TEAM_PASSWORD);
    expect(JSON.stringify(await b.teamStatus())).not.toContain(FAKE_TEAM_PASSWORD);
    expect(screen.queryByTestId('error')).toBeNull();

    await fireEvent.click(screen.getByTestId('team-leave'));
    await fireEvent.click(screen.getByTestId('team-leave-confirm'));
    await waitFor(() => expect(screen.getByTestId('team-form')).toBeTruthy());
    expect((await b.teamStatus()).joined).toBe(false);
  });

  it('joins with a bucket: the key is required, the secret is emptied once sent and never shown', async () => {
    const b = createFakeBackend();
    setBackend(b);
    render(TeamSection);
    await waitFor(() => expect(screen.getByTestId('team-form')).toBeTruthy());
    const secret = 'bucket-secret-0123456789';
    await fireEvent.input(screen.getByTestId('team-storage'), { target: { value: 's3://studio-images' } });
    await fireEvent.input(screen.getByTestId('team-endpoint'), { target: { value: 'http://127.0.0.1:9000' } });
    await fill('postgres://ana@db.studio:5432/proofsheet', FAKE_TEAM_PASSWORD);
    await waitFor(() => expect(screen.getByTestId('error').textContent).toContain('access key id and secret'));

    await fireEvent.input(screen.getByTestId('team-storage-key-id'), { target: { value: 'AKIA-ANA' } });
    await fireEvent.input(screen.getByTestId('team-storage-secret'), { target: { value: secret } });
    await fill('postgres://ana@db.studio:5432/proofsheet', FAKE_TEAM_PASSWORD);
    await waitFor(() => expect(screen.getByTestId('team-status')).toBeTruthy());
    expect(screen.getByTestId('team-bucket').textContent).toContain('s3://studio-images');
    expect(screen.getByTestId('team-bucket').textContent).toContain('http://127.0.0.1:9000');
    expect(document.body.textContent).not.toContain(secret);
    expect(JSON.stringify(await b.teamStatus())).not.toContain(secret);
    expect((await b.teamCatchUpStatus()).phase).toBe('idle');
  });
});
