import { describe, expect, it } from 'vitest';
import { REQUEST_LIMITS, defaultForm, toParams } from './params';
import engine from '../api/fixtures/engine.json';

describe('request limits', () => {
  it('are the engine’s (recorded from the real engine, kept fresh by the ipc test)', () => {
    expect({ ...REQUEST_LIMITS }).toEqual(engine.limits);
  });

  it('let the form ask for as many images as the engine allows, and no more', () => {
    expect(toParams({ ...defaultForm(), prompt: 'p', n: 16 }).n).toBe(16);
    expect(toParams({ ...defaultForm(), prompt: 'p', n: 40 }).n).toBe(16);
    expect(toParams({ ...defaultForm(), prompt: 'p', size: 'custom', customW: 9000, customH: 10 })).toMatchObject({ width: 8192, height: 64 });
  });
});
