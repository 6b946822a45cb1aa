import { toApiError } from './api';
import type { AppErrorKind } from './api';

const TITLES: Record<AppErrorKind, string> = {
  validation: 'Check this',
  not_found: 'Not found',
  budget: 'Over budget',
  keychain: 'Keychain problem',
  auth: 'Key rejected',
  provider: 'Provider problem',
  cancelled: 'Cancelled',
  internal: 'Not available yet',
};

export interface Friendly {
  kind: AppErrorKind;
  title: string;
  message: string;
}

/** Any thrown value → a title and message a designer understands. */
export function friendly(e: unknown): Friendly {
  const err = toApiError(e);
  let message = err.message || 'Something went wrong.';
  if (err.kind === 'internal' && /not built yet/i.test(message)) {
    message = 'This part of Proofsheet is still being built — try again after the next update.';
  }
  if (err.kind === 'keychain') message += ' Unlock your keychain, then try again.';
  return { kind: err.kind, title: TITLES[err.kind], message };
}
