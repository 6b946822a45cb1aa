import { afterEach, describe, expect, it, vi } from 'vitest';
import { setBackend } from './api';
import { createFakeBackend } from './api/fake';
import { loadJson, restoreWindowState, saveJson, snapshot } from './persist';

describe('window state kept in the library folder (issue 12 §1.15)', () => {
  afterEach(() => {
    vi.useRealTimers();
    localStorage.clear();
  });

  it('mirrors every save to the backend and puts it back when the webview lost it', async () => {
    vi.useFakeTimers();
    const b = createFakeBackend({ empty: true });
    setBackend(b);
    saveJson('proofsheet.canvas.v1', { form: { prompt: 'keep me after a restart' } });
    localStorage.setItem('unrelated', 'x');
    await vi.advanceTimersByTimeAsync(500);
    const saved = JSON.parse((await b.uiStateGet())!);
    expect(Object.keys(saved)).toEqual(['proofsheet.canvas.v1']);

    localStorage.clear(); // WebKit never wrote its storage before the quit
    vi.useRealTimers();
    await restoreWindowState();
    expect(JSON.parse(localStorage.getItem('proofsheet.canvas.v1')!).form.prompt).toBe('keep me after a restart');
    expect(Object.keys(snapshot())).toEqual(['proofsheet.canvas.v1']);
  });

  it('opens with what it has when the saved state is damaged or missing', async () => {
    const b = createFakeBackend({ empty: true });
    setBackend(b);
    localStorage.setItem('proofsheet.theme', 'light');
    await b.uiStateSet('{not json');
    await restoreWindowState();
    expect(localStorage.getItem('proofsheet.theme')).toBe('light');
  });

  it('keeps the newest state when the webview refuses to store it', async () => {
    vi.useFakeTimers();
    const b = createFakeBackend({ empty: true });
    setBackend(b);
    const spy = vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => { throw new DOMException('full', 'QuotaExceededError'); });
    saveJson('proofsheet.canvas.v1', { form: { prompt: 'typed while storage was refused' } });
    await vi.advanceTimersByTimeAsync(500);
    spy.mockRestore();
    expect(JSON.parse((await b.uiStateGet())!)['proofsheet.canvas.v1']).toContain('typed while storage was refused');
    expect(loadJson('proofsheet.canvas.v1', {}, (v): v is object => !!v)).toEqual({ form: { prompt: 'typed while storage was refused' } });
  });
});
