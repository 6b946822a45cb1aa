// The Draft / Final buttons say before they are pressed what they will run, from the
// engine's routing decision (`routePreview`), never from a UI re-implementation of the
// chain rules (issue 12 item 1). This module only words the decision.
import type { RouteDecision } from '../api';
import { formatPrice } from '../money';
import { tidyNotes } from './costTable';

export interface RouteLine {
  /** The button may be pressed. */
  ok: boolean;
  /** One line under the buttons, e.g. "Draft → GPT Image 1 mini · $0.0033 · size snapped to 1536×1024". */
  text: string;
  /** The button's tooltip: the same, with every skipped offer and why. */
  title: string;
}

const CAP = { draft: 'Draft', final: 'Final' } as const;

/** Words a decision for one route; null while none has arrived (the button stays usable). */
export function routeLine(d: RouteDecision | null | undefined, route: 'draft' | 'final'): RouteLine | null {
  if (!d) return null;
  const label = CAP[route];
  if (!d.can_run) {
    const reason = d.reason ?? 'no offer can make this request';
    const text = `${label} can’t run: ${reason}${d.fix ? ` — ${d.fix}` : ''}.`;
    return { ok: false, text, title: text };
  }
  const name = d.display_name ?? d.offer_id ?? 'the chain';
  const price = d.dedup_hit ? 'free — already in the gallery' : formatPrice(d.expected_usd ?? '0');
  // What changes the image (snapped size, ignored parameters) first; lifecycle last.
  const lifecycle = (n: string) => /^(retiring|deprecated|shut down)/.test(n);
  const notes = tidyNotes(d.notes);
  const parts = [`${label} → ${name}`, price, ...notes.filter((n) => !lifecycle(n)), ...notes.filter(lifecycle)];
  const text = parts.join(' · ');
  const skipped = d.skipped.map((s) => `skips ${s.display_name}: ${s.reason}`);
  const held = !d.dedup_hit && d.reserve_usd ? [`holds up to ${formatPrice(d.reserve_usd)} while it runs`] : [];
  return { ok: true, text, title: [text, ...held, ...skipped].join('\n') };
}
