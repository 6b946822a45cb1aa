// The browser fake's team approvals: this fake library is in no team, so it has
// nothing waiting; admin actions answer as the engine does without a team connection.
import { ApiError, type Backend } from '../backend';
import type * as T from '../types';

type Call = <R>(name: keyof Backend, f: () => R) => Promise<R>;

const NOT_JOINED = 'this library is not connected to a team; join one first (`proofsheet-cli team join`)';

function notJoined(): never {
  throw new ApiError('validation', NOT_JOINED);
}

export function fakeTeam(call: Call) {
  return {
    teamApprovals: (_pendingOnly: boolean) => call('teamApprovals', (): T.TeamApprovals => notJoined()),
    teamApprove: (_id: string) => call('teamApprove', (): T.TeamApprovalView => notJoined()),
    teamRefuse: (_id: string, _reason: string) => call('teamRefuse', (): T.TeamApprovalView => notJoined()),
    teamSetApprovalThreshold: (_input: T.ApprovalThresholdInput) => call('teamSetApprovalThreshold', (): void => notJoined()),
    teamAwaitingApprovals: () => call('teamAwaitingApprovals', (): T.AwaitingApprovalView[] => []),
    teamWithdrawApproval: (_id: string) => call('teamWithdrawApproval', (): void => notJoined()),
  };
}
