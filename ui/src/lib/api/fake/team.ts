// The browser fake's team link (issue 18): in memory; the password is checked against a
// fixed one and never kept or returned.
import type { Backend } from '../backend';
import type * as T from '../types';
import { ApiError } from '../backend';

type Call = <R>(name: keyof Backend, f: () => R) => Promise<R>;

/** The password the fake's team server accepts (tests type it). */
export const FAKE_TEAM_PASSWORD = 'studio-pw';

const NOT_JOINED = 'this library is not connected to a team; join one in Settings → Team';

const teamError = (message: string) => new ApiError('team', message);

export function fakeTeam(call: Call, changed: (topic: T.DataTopic) => void) {
  const blank: T.TeamStatusView = {
    joined: false, reachable: false, team: null, member: null, role: null, machine: null, db: null,
    storage: null, endpoint: null, schema_version: null, app_schema_version: 2, error: null,
  };
  let status: T.TeamStatusView = { ...blank };
  let catchUp: T.TeamCatchUpView = { phase: 'off', project: null, received: 0, images: 0, skipped: 0, failed: 0, message: null };
  const thresholds = new Map<string, string | null>();
  const catchUpListeners = new Set<(v: T.TeamCatchUpView) => void>();
  return {
    teamStatus: () => call('teamStatus', () => ({ ...status })),
    teamJoin: (input: T.TeamJoinInput) => call('teamJoin', () => {
      const m = /^postgres(?:ql)?:\/\/([^:@/]+)(?::[^@]*)?@([^/]+)\/(\w+)$/.exec(input.db_url.trim());
      if (!m) throw new ApiError('validation', 'the team database URL is not valid: expected postgres://USER@HOST:PORT/DB');
      if (m[2].startsWith('down')) throw teamError('the team server cannot be reached (connection refused); team projects refuse paid work until it is back — check the network or ask the studio\'s admin; solo projects keep working');
      if (input.storage && !/^s3:\/\/[^/]+\/?$/.test(input.storage.trim())) throw new ApiError('validation', `the image bucket must be an s3://BUCKET address (got ${input.storage})`);
      if (input.storage && (!input.storage_key_id || !input.storage_secret)) throw new ApiError('validation', 'the image bucket needs its access key id and secret (your studio\'s admin gives you both)');
      if (input.password !== FAKE_TEAM_PASSWORD) throw teamError('the team server refused the login (password authentication failed); run `team join` again with the right password');
      status = {
        ...blank, joined: true, reachable: true, team: input.team_name || 'Studio', member: m[1], role: 'admin',
        machine: 'preview-1a2b3c4d5e6f', db: `postgres://${m[1]}@${m[2]}/${m[3]}`, storage: input.storage || null,
        endpoint: input.endpoint || null, schema_version: 2,
      };
      changed('projects');
      catchUp = { ...catchUp, phase: status.storage ? 'idle' : 'off' };
      for (const l of catchUpListeners) l({ ...catchUp });
      return { ...status };
    }),
    // The fake team has no teammates: a catch-up with a bucket receives nothing.
    teamCatchUpStatus: () => call('teamCatchUpStatus', () => ({ ...catchUp })),
    onTeamCatchUp(cb: (v: T.TeamCatchUpView) => void) {
      catchUpListeners.add(cb);
      return () => { catchUpListeners.delete(cb); };
    },
    teamReport: (from: string, to: string, client: string | null) => call('teamReport', (): T.TeamReportView => {
      if (!status.joined) throw new ApiError('not_found', 'this library is not in a team; join one in Settings → Team');
      return { from, to, client, total_usd: '0', by_member: [], by_client: [], by_project: [], lines: [] };
    }),
    teamReportCsv: (_from: string, _to: string, _client: string | null, name: string) => call('teamReportCsv', () => {
      if (!status.joined) throw new ApiError('not_found', 'this library is not in a team; join one in Settings → Team');
      return `/home/designer/Documents/${name}`;
    }),
    // Approvals: the fake team has no other members, so nothing ever waits.
    teamApprovals: () => call('teamApprovals', (): T.TeamApprovals => {
      if (!status.joined) throw new ApiError('validation', NOT_JOINED);
      return { can_decide: status.role === 'admin', items: [] };
    }),
    teamApprove: () => call('teamApprove', (): T.TeamApprovalView => {
      throw new ApiError(status.joined ? 'not_found' : 'validation', status.joined ? 'no such approval request' : NOT_JOINED);
    }),
    teamRefuse: () => call('teamRefuse', (): T.TeamApprovalView => {
      throw new ApiError(status.joined ? 'not_found' : 'validation', status.joined ? 'no such approval request' : NOT_JOINED);
    }),
    teamSetApprovalThreshold: (input: T.ApprovalThresholdInput) => call('teamSetApprovalThreshold', (): void => {
      if (!status.joined) throw new ApiError('validation', NOT_JOINED);
      if (status.role !== 'admin') throw new ApiError('validation', 'only the team\'s admins change approval thresholds');
      thresholds.set(input.project, input.threshold_usd ?? null);
    }),
    teamApprovalThreshold: (project: string) => call('teamApprovalThreshold', () => (status.joined ? thresholds.get(project) ?? null : null)),
    teamAwaitingApprovals: () => call('teamAwaitingApprovals', (): T.AwaitingApprovalView[] => []),
    teamWithdrawApproval: () => call('teamWithdrawApproval', (): void => {
      throw new ApiError(status.joined ? 'not_found' : 'validation', status.joined ? 'no such approval request' : NOT_JOINED);
    }),
    teamLeave: () => call('teamLeave', () => {
      status = { ...blank };
      changed('projects');
      catchUp = { ...catchUp, phase: 'off' };
      for (const l of catchUpListeners) l({ ...catchUp });
      return { ...status };
    }),
  };
}
