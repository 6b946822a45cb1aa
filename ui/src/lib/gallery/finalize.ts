// The ways to make a final of a chosen draft, compared side by side.

import type { DraftFidelity, FinalizeHow } from '../api';

export type { FinalizeHow };

/** One way, as the dialog shows it (mapped from the engine's finalize options). */
export interface FinalizeWay {
  how: FinalizeHow;
  offer_id: string | null;
  display_name: string | null;
  expected_usd: string | null;
  /** How close to the draft the result stays: "high" (the draft itself, enlarged),
   *  "medium" (re-rendered from it), "low" (a new image from the prompt). */
  fidelity: DraftFidelity;
  fidelity_note: string | null;
  /** Seconds the engine expects it to take (its recent attempts or the offer's typical time). */
  expected_seconds: number | null;
  can_run: boolean;
  reason: string | null;
}

export const HOW_TITLE: Record<FinalizeHow, string> = {
  reference: 'Re-render from the draft',
  upscale: 'Upscale the draft',
  reroll: 'Re-roll the prompt',
};

export const HOW_TEXT: Record<FinalizeHow, string> = {
  reference: 'A premium model redraws this image with the draft as its reference: same composition, finer detail.',
  upscale: 'This exact image, enlarged and sharpened. Nothing new is invented.',
  reroll: 'The prompt again on the final chain: a new image, not this draft.',
};

const FIDELITY_RANK: Record<DraftFidelity, number> = { high: 3, medium: 2, low: 1 };
export const fidelityRank = (f: DraftFidelity) => FIDELITY_RANK[f];

export function seconds(s: number | null): string {
  if (s == null) return 'unknown';
  if (s < 60) return `~${Math.max(1, Math.round(s))} s`;
  return `~${Math.round(s / 60)} min`;
}

/** The way picked first: the most faithful that can run (a designer chose this draft). */
export function defaultWay(ways: readonly FinalizeWay[]): FinalizeHow | null {
  const runnable = ways.filter((w) => w.can_run);
  if (!runnable.length) return null;
  return [...runnable].sort((a, b) => fidelityRank(b.fidelity) - fidelityRank(a.fidelity))[0].how;
}

/** The engine's finalize options as the dialog's ways. */
export function waysOf(options: readonly { how: FinalizeHow; offer_id: string | null; display_name: string | null; expected_usd: string | null; fidelity: DraftFidelity; fidelity_reason: string; expected_seconds: number | null; can_run: boolean; reason: string | null }[]): FinalizeWay[] {
  return options.map((o) => ({
    how: o.how, offer_id: o.offer_id, display_name: o.display_name, expected_usd: o.expected_usd, fidelity: o.fidelity,
    fidelity_note: o.fidelity_reason || null, expected_seconds: o.expected_seconds, can_run: o.can_run, reason: o.reason,
  }));
}
