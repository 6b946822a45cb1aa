import { describe, expect, it } from 'vitest';
import { friendly } from './errors';
import { ApiError } from './api';

describe('friendly errors', () => {
  it('says "not available yet" only for unbuilt features (issue 12 §1.19.5)', () => {
    expect(friendly(new ApiError('internal', 'could not open the file manager: xdg-open is missing')).title).toBe('Something went wrong');
    expect(friendly(new ApiError('internal', 'dashboard is not built yet')).title).toBe('Not available yet');
    expect(friendly(new ApiError('auth', 'key rejected')).title).toBe('Key rejected');
    expect(friendly(new ApiError('auth', 'no key — check the API key in Settings → Keys')).title).toBe('No key yet');
  });
});
