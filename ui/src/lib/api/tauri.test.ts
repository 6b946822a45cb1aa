import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import { tauriBackend } from './tauri';
import { ApiError } from './backend';
import type { JobEvent } from './types';

afterEach(() => clearMocks());

describe('tauri backend', () => {
  it('returns data of ok results and passes arguments by name', async () => {
    const seen: unknown[] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      if (cmd === 'project_show') return { name: (args as { name: string }).name, spent_usd: '0.0042' };
      if (cmd === 'gallery_set_favourite') return null;
    });
    const p = await tauriBackend.projectShow('Spring');
    expect(p.name).toBe('Spring');
    expect(p.spent_usd).toBe('0.0042');
    await expect(tauriBackend.gallerySetFavourite('g1', true)).resolves.toBeUndefined();
    expect(seen).toContainEqual(['gallery_set_favourite', { generationId: 'g1', favourite: true }]);
  });

  it('sends pasted image bytes as one base64 string', async () => {
    const seen: unknown[] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return { sha256: 'ab'.repeat(32), width: 1, height: 1, mime: 'image/png' };
    });
    const imp = await tauriBackend.inputImport(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    expect(imp.mime).toBe('image/png');
    expect(seen).toEqual([['input_import', { data: 'iVBORw==' }]]);
  });

  it('keeps the text of a bare string rejection from tauri (e.g. a command not granted)', async () => {
    mockIPC(() => {
      throw 'deferred_poll not allowed. Command not found';
    });
    const err = await tauriBackend.deferredPoll().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('internal');
    expect(err.message).toBe('deferred_poll not allowed. Command not found');
  });

  it('maps error results to ApiError with kind and message', async () => {
    mockIPC(() => {
      throw { kind: 'budget', message: 'Only $0.0042 left.' };
    });
    const err = await tauriBackend.projectList().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('budget');
    expect(err.message).toBe('Only $0.0042 left.');
  });

  it('maps an unknown kind to internal', async () => {
    mockIPC(() => {
      throw { kind: 'weird', message: 'a kind this UI does not know' };
    });
    const err = await tauriBackend.dashboardData(null).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('internal');
  });

  it('turns a thrown Error into an internal ApiError', async () => {
    mockIPC(() => Promise.reject(new Error('ipc down')));
    const err = await tauriBackend.keysList().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('ipc down');
  });

  it('delivers job events from the channel as the shell serialized them', async () => {
    let channel: Channel<unknown> | null = null;
    mockIPC((cmd, args) => {
      if (cmd === 'generation_submit') {
        channel = (args as { progress: Channel<unknown> }).progress;
        return 'job-7';
      }
    });
    const events: JobEvent[] = [];
    const id = await tauriBackend.generationSubmit({ project: 'P', params: { prompt: 'x', width: 1024, height: 1024, n: 1 }, route: { kind: 'draft' }, no_dedup: false }, (e) => events.push(e));
    expect(id).toBe('job-7');
    expect(channel).not.toBeNull();
    const queued = { stage: 'queued', job_id: 'job-7' };
    channel!.onmessage(queued);
    expect(events).toEqual([queued]);
  });
});
