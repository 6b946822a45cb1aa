import { describe, expect, it } from 'vitest';
import { modal } from './dialog';

function setup() {
  document.body.innerHTML = `
    <button id="opener">Open</button>
    <div id="dlg" role="dialog" aria-modal="true">
      <button id="a">A</button><button id="b" disabled>B</button><button id="c" data-autofocus>C</button><button id="d">D</button>
    </div>`;
  const opener = document.getElementById('opener') as HTMLButtonElement;
  opener.focus();
  return { opener, dlg: document.getElementById('dlg') as HTMLElement };
}

function tab(node: HTMLElement, shiftKey = false) {
  const e = new KeyboardEvent('keydown', { key: 'Tab', shiftKey, bubbles: true, cancelable: true });
  node.dispatchEvent(e);
  return e.defaultPrevented;
}

describe('modal dialog focus', () => {
  it('moves focus in on open, preferring data-autofocus', () => {
    const { dlg } = setup();
    modal(dlg);
    expect(document.activeElement?.id).toBe('c');
  });

  it('wraps Tab from the last control to the first and Shift+Tab back, skipping disabled ones', () => {
    const { dlg } = setup();
    modal(dlg);
    (document.getElementById('d') as HTMLElement).focus();
    expect(tab(dlg)).toBe(true);
    expect(document.activeElement?.id).toBe('a');
    expect(tab(dlg, true)).toBe(true);
    expect(document.activeElement?.id).toBe('d');
  });

  it('lets Tab move normally between inner controls', () => {
    const { dlg } = setup();
    modal(dlg);
    (document.getElementById('a') as HTMLElement).focus();
    expect(tab(dlg)).toBe(false);
  });

  it('gives focus back to the opener when it closes', () => {
    const { opener, dlg } = setup();
    const action = modal(dlg);
    action.destroy();
    expect(document.activeElement).toBe(opener);
  });
});
