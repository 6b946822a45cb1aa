import { describe, expect, it } from 'vitest';
import { friendly } from './errors';
import { ApiError } from './api';

describe('friendly errors', () => {
  it('titles each kind and keeps the engine\'s own message', () => {
    const internal = friendly(new ApiError('internal', 'could not open the file manager: xdg-open is missing'));
    expect(internal.title).toBe('Something went wrong');
    expect(internal.message).toBe('could not open the file manager: xdg-open is missing');
    expect(friendly(new ApiError('auth', 'key rejected')).title).toBe('Key rejected');
    expect(friendly(new ApiError('auth', 'no key — check the API key in Settings → Keys')).title).toBe('No key yet');
  });
});
