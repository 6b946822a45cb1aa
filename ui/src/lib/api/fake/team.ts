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
    teamApprovals: () => call('teamApprovals', (): T.TeamApprovals => notJoined()),
    teamApprove: () => call('teamApprove', (): T.TeamApprovalView => notJoined()),
    teamRefuse: () => call('teamRefuse', (): T.TeamApprovalView => notJoined()),
    teamSetApprovalThreshold: () => call('teamSetApprovalThreshold', (): void => notJoined()),
    teamAwaitingApprovals: () => call('teamAwaitingApprovals', (): T.AwaitingApprovalView[] => []),
    teamWithdrawApproval: () => call('teamWithdrawApproval', (): void => notJoined()),
  };
}
