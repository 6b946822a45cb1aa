import { describe, expect, it } from 'vitest';
import { matchShortcut } from './keyboard';

const k = (key: string, m: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...m });

describe('shortcuts', () => {
  it('switches sections with Ctrl+1..5', () => {
    expect(matchShortcut(k('1', { ctrlKey: true }))).toEqual({ kind: 'nav', section: 'canvas' });
    expect(matchShortcut(k('5', { metaKey: true }))).toEqual({ kind: 'nav', section: 'settings' });
    expect(matchShortcut(k('6', { ctrlKey: true }))).toBeNull();
  });
  it('generates with Ctrl+Enter and Ctrl+Shift+Enter', () => {
    expect(matchShortcut(k('Enter', { ctrlKey: true }))).toEqual({ kind: 'draft' });
    expect(matchShortcut(k('Enter', { ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'final' });
    expect(matchShortcut(k('Enter'))).toBeNull();
  });
  it('focuses search with / only outside text fields', () => {
    expect(matchShortcut(k('/'))).toEqual({ kind: 'search' });
    expect(matchShortcut(k('/'), true)).toBeNull();
    expect(matchShortcut(k('L', { ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'theme' });
  });
});
