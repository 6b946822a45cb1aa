import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
vi.mock('./state.svelte', () => ({
  app: {
    loadProjects: async () => void calls.push('projects'),
    loadOffers: async () => void calls.push('offers'),
    bump: () => void calls.push('bump'),
  },
}));
vi.mock('../jobs/jobs.svelte', () => ({
  jobs: { loadDeferred: async () => void calls.push('deferred') },
}));

const { refreshOn } = await import('./refresh');

describe('refreshOn', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('refetches only what a topic names', () => {
    refreshOn('keys');
    expect(calls).toEqual(['offers', 'bump']);
    calls.length = 0;
    refreshOn('jobs');
    expect(calls).toEqual(['deferred']);
    calls.length = 0;
    refreshOn('budgets');
    expect(calls).toEqual(['projects', 'bump']);
  });

  it('refetches everything when another process wrote to the library', () => {
    refreshOn('library');
    expect(calls).toEqual(['deferred', 'projects', 'offers', 'bump']);
  });
});
