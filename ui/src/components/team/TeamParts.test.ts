import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import TeamSync from '../shell/TeamSync.svelte';
import BudgetMeter from '../shell/BudgetMeter.svelte';
import ApprovalThreshold from './ApprovalThreshold.svelte';
import { setBackend, type TeamCatchUpView } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';
import { FAKE_TEAM_PASSWORD } from '../../lib/api/fake/team';

const blank: TeamCatchUpView = { phase: 'off', project: null, received: 0, images: 0, skipped: 0, failed: 0, message: null };

describe('team catch-up in the top bar', () => {
  afterEach(() => cleanup());

  it('shows progress while receiving, a quiet unreachable note, and nothing when caught up', async () => {
    const b = createFakeBackend();
    let push: (v: TeamCatchUpView) => void = () => undefined;
    setBackend({ ...b, onTeamCatchUp: (cb) => { push = cb; return () => undefined; } });
    render(TeamSync);
    expect(screen.queryByTestId('team-sync')).toBeNull();

    push({ ...blank, phase: 'receiving', project: 'Spring', received: 1200, images: 1200 });
    await waitFor(() => expect(screen.getByTestId('team-sync').dataset.phase).toBe('receiving'));
    expect(screen.getByTestId('team-sync').textContent).toContain('Receiving team images');
    expect(screen.getByTestId('team-sync-count').textContent).toContain((1200).toLocaleString());

    push({ ...blank, phase: 'unreachable', message: 'the team server cannot be reached; retried in the background' });
    await waitFor(() => expect(screen.getByTestId('team-sync').textContent).toContain('Team server unreachable'));
    expect(screen.getByTestId('team-sync').getAttribute('title')).toContain('retried');

    push({ ...blank, phase: 'idle', failed: 2, message: 'bucket away' });
    await waitFor(() => expect(screen.getByTestId('team-sync').textContent).toContain('2 team images not received yet'));

    push({ ...blank, phase: 'idle' });
    await waitFor(() => expect(screen.queryByTestId('team-sync')).toBeNull());

    // A pass that brought images says so for a while, even once the next pass is idle.
    push({ ...blank, phase: 'idle', received: 3, images: 3 });
    push({ ...blank, phase: 'idle' });
    await waitFor(() => expect(screen.getByTestId('team-sync-count').textContent).toContain('3 team images received'));
  });
});

describe('approval threshold in the project settings', () => {
  afterEach(() => cleanup());

  it('lets an admin set and clear it, and refuses a non-amount', async () => {
    const b = createFakeBackend();
    setBackend(b);
    await b.teamJoin({ db_url: 'postgres://ana@db.studio:5432/proofsheet', password: FAKE_TEAM_PASSWORD });
    render(ApprovalThreshold, { project: 'Spring' });
    await waitFor(() => expect(screen.getByTestId('approval-threshold-input')).toBeTruthy());

    await fireEvent.input(screen.getByTestId('approval-threshold-input'), { target: { value: 'lots' } });
    await fireEvent.click(screen.getByTestId('approval-threshold-save'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('above $0'));
    expect(await b.teamApprovalThreshold('Spring')).toBeNull();

    await fireEvent.input(screen.getByTestId('approval-threshold-input'), { target: { value: '0.05' } });
    await fireEvent.click(screen.getByTestId('approval-threshold-save'));
    await waitFor(() => expect(screen.getByTestId('approval-threshold-notice').textContent).toContain('wait for an admin'));
    expect(await b.teamApprovalThreshold('Spring')).toBe('0.05');

    await fireEvent.click(screen.getByTestId('approval-threshold-clear'));
    await waitFor(() => expect(screen.getByTestId('approval-threshold-notice').textContent).toContain('off'));
    expect(await b.teamApprovalThreshold('Spring')).toBeNull();
  });

  it('shows a member the threshold read-only', async () => {
    const b = createFakeBackend();
    await b.teamJoin({ db_url: 'postgres://ana@db.studio:5432/proofsheet', password: FAKE_TEAM_PASSWORD });
    await b.teamSetApprovalThreshold({ project: 'Spring', threshold_usd: '2.5' });
    setBackend({ ...b, teamStatus: async () => ({ ...(await b.teamStatus()), role: 'member' }) });
    render(ApprovalThreshold, { project: 'Spring' });
    await waitFor(() => expect(screen.getByTestId('approval-threshold-readonly').textContent).toContain('$2.50'));
    expect(screen.queryByTestId('approval-threshold-input')).toBeNull();
  });
});

describe('a team meter while the team server is away', () => {
  afterEach(() => cleanup());
  const team = { reachable: false, member: null, member_cap_usd: null, member_month_spent_usd: '0', member_reserved_usd: '0', error: 'the team server cannot be reached' };
  const away = { budget_usd: null, spent_usd: '0.12', reserved_usd: '0', warn_at: [], hard: true, team };

  it('says the server is unreachable instead of "no budget", with this library\'s own spend', () => {
    render(BudgetMeter, { budget: away, compact: true, testid: 'topbar-budget' });
    const line = screen.getByTestId('topbar-budget-unreachable');
    expect(line.textContent).toContain('Team server unreachable');
    expect(line.textContent).toContain('$0.12');
    expect(screen.getByTestId('topbar-budget').textContent).not.toContain('no budget');
  });

  it('a solo project without a budget still reads "no budget"', () => {
    render(BudgetMeter, { budget: { ...away, team: null }, compact: true, testid: 'topbar-budget' });
    expect(screen.getByTestId('topbar-budget').textContent).toContain('no budget');
    expect(screen.queryByTestId('topbar-budget-unreachable')).toBeNull();
  });
});
