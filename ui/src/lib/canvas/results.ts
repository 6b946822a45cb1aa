// The canvas's latest results, one thumbnail per image (issue 12 §1.10): a gallery
// reuse points at the image already shown, so it adds no $0.00 twin next to it.
import type { GenerationResult, ImageView } from '../api';
import { shareUsd } from '../money';

export interface StripThumb {
  img: ImageView;
  /** `<generation_id>#<index>`: what opening the thumbnail shows. */
  id: string;
  key: string;
  cost: string;
  label: string;
}

export function stripThumbs(results: { result: GenerationResult; label: string }[], max = 18): StripThumb[] {
  // Images a billed result in the strip already shows: a reuse of one adds nothing.
  const shown = new Set(results.filter((r) => !r.result.dedup_hit).flatMap((r) => r.result.images.map((i) => i.hash)));
  const out: StripThumb[] = [];
  results.forEach((r, ri) => {
    r.result.images.forEach((img, i) => {
      if (r.result.dedup_hit) {
        if (shown.has(img.hash)) return;
        shown.add(img.hash);
      }
      out.push({ img, id: `${r.result.generation_id}#${i}`, key: `${ri}-${r.result.generation_id}-${i}`, cost: shareUsd(r.result.cost_usd, r.result.images.length), label: r.label });
    });
  });
  return out.slice(0, max);
}
