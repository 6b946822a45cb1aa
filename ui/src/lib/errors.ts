import { toApiError } from './api';
import type { AppErrorKind, ErrorField } from './api';

const TITLES: Record<AppErrorKind, string> = {
  validation: 'Check this',
  not_found: 'Not found',
  budget: 'Over budget',
  keychain: 'Keychain problem',
  auth: 'Key rejected',
  provider: 'Provider problem',
  team: 'Team server',
  cancelled: 'Cancelled',
  internal: 'Something went wrong',
};

export interface Friendly {
  kind: AppErrorKind;
  title: string;
  message: string;
  /** The input field the engine says the error concerns. */
  field?: ErrorField | null;
}

/** Any thrown value → a title and message a designer understands. */
export function friendly(e: unknown): Friendly {
  const err = toApiError(e);
  let message = err.message || 'Something went wrong.';
  let title = TITLES[err.kind];
  if (err.kind === 'keychain') message += ' Unlock your keychain, then try again.';
  // No key was sent, so none was rejected (issue 12 §1.9).
  if (err.kind === 'auth' && /\bno (api )?key\b|key is missing|not set up/i.test(message)) title = 'No key yet';
  return { kind: err.kind, title, message, field: err.field };
}
