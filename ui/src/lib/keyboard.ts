export type Section = 'canvas' | 'gallery' | 'projects' | 'dashboard' | 'settings';
export const SECTIONS: Section[] = ['canvas', 'gallery', 'projects', 'dashboard', 'settings'];

export type Action =
  | { kind: 'nav'; section: Section }
  | { kind: 'draft' }
  | { kind: 'final' }
  | { kind: 'theme' }
  | { kind: 'search' }
  | { kind: 'escape' };

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Ctrl (or ⌘ on macOS) + 1..5, Ctrl+Enter, Ctrl+Shift+Enter, Ctrl+Shift+L, Ctrl+F / "/", Escape. */
export function matchShortcut(e: KeyLike, inTextField = false): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  if (e.key === 'Escape') return { kind: 'escape' };
  if (mod && !e.altKey && e.key === 'Enter') return { kind: e.shiftKey ? 'final' : 'draft' };
  if (mod && !e.shiftKey && !e.altKey && /^[1-5]$/.test(e.key)) return { kind: 'nav', section: SECTIONS[Number(e.key) - 1] };
  if (mod && e.shiftKey && (e.key === 'L' || e.key === 'l')) return { kind: 'theme' };
  if ((mod && (e.key === 'f' || e.key === 'F') && !e.shiftKey) || (!mod && !inTextField && e.key === '/')) return { kind: 'search' };
  return null;
}
