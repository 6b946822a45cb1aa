// A modal dialog's focus contract (WAI-ARIA dialog pattern): focus moves into the dialog
// when it opens, Tab and Shift+Tab stay inside it, and focus returns to what had it
// before when the dialog closes. Used as a Svelte action: `<div role="dialog" use:modal>`.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE));
}

export function modal(node: HTMLElement) {
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  if (!node.hasAttribute('tabindex')) node.setAttribute('tabindex', '-1');
  (node.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(node)[0] ?? node).focus();

  function onkeydown(e: KeyboardEvent) {
    if (e.key !== 'Tab') return;
    const all = focusables(node);
    if (all.length === 0) { e.preventDefault(); node.focus(); return; }
    const first = all[0];
    const last = all[all.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === node)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
    else if (!node.contains(active)) { e.preventDefault(); first.focus(); }
  }
  node.addEventListener('keydown', onkeydown);

  return {
    destroy() {
      node.removeEventListener('keydown', onkeydown);
      // Restore only if focus is still inside (or lost): never steal it from elsewhere.
      const active = document.activeElement;
      if (before?.isConnected && (!active || active === document.body || node.contains(active))) before.focus();
    },
  };
}
