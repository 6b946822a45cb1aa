// Compare shows what differs between the chosen images (issue 12 §3.5): one row per
// parameter, marked when the images do not all share its value.
import type { GalleryItem, GenerationDetail } from '../api';
import { formatPrice, shareUsd } from '../money';

export interface CompareRow {
  label: string;
  values: string[];
  differs: boolean;
}

/** Rows for `items` (one column each), read from their details where loaded. */
export function compareRows(
  items: GalleryItem[],
  details: (GenerationDetail | null)[],
  model: (it: GalleryItem) => string,
): CompareRow[] {
  const cell = (f: (it: GalleryItem, d: GenerationDetail | null) => string) => items.map((it, i) => f(it, details[i] ?? null));
  const seedOf = (it: GalleryItem, d: GenerationDetail | null) => {
    const s = it.image.seed ?? d?.params.seed ?? null;
    return s == null ? 'random' : String(s);
  };
  const rows: [string, string[]][] = [
    ['Model', cell((it) => model(it))],
    ['Tier', cell((it) => it.tier)],
    ['Cost', cell((it) => formatPrice(shareUsd(it.cost_usd, it.image_count ?? 1)))],
    ['Size', cell((it) => `${it.image.width} × ${it.image.height}`)],
    ['Quality', cell((_, d) => (d ? (d.params.quality ?? 'auto') : '…'))],
    ['Steps', cell((_, d) => (d ? (d.params.steps == null ? 'default' : String(d.params.steps)) : '…'))],
    ['Seed', cell((it, d) => (d ? seedOf(it, d) : '…'))],
    ['Negative', cell((_, d) => (d ? (d.params.negative_prompt?.trim() || '—') : '…'))],
    ['Prompt', cell((it) => it.prompt)],
  ];
  return rows.map(([label, values]) => ({ label, values, differs: new Set(values).size > 1 }));
}
