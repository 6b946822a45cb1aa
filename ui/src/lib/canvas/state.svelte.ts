import type { EstimateResult } from '../api';
import type { Friendly } from '../errors';
import { isObject, loadJson, pushRecent, saveJson } from '../persist';
import type { SortKey } from './costTable';
import { defaultForm, type CanvasForm } from './params';

const KEY = 'proofsheet.canvas.v1';

interface Saved {
  form: CanvasForm;
  tier: 'all' | 'draft' | 'final';
  recent: string[];
  onlyUsable: boolean;
}

function accept(v: unknown): v is Partial<Saved> {
  return isObject(v);
}

/** What the designer asked for when a submit error was raised; it clears once that is fixed. */
export type SubmitCause = 'prompt' | 'project' | 'route' | null;

/** Lives at module level so the prompt survives switching sections, and is saved so it survives a restart. */
class CanvasState {
  form = $state<CanvasForm>(defaultForm());
  tier = $state<'all' | 'draft' | 'final'>('all');
  // Raw: replaced whole on every reply, never changed in place; a deep proxy made every
  // field of ~80 rows a signal on each keystroke (issue 17).
  estimate = $state.raw<EstimateResult | null>(null);
  error = $state<Friendly | null>(null);
  pending = $state(false);
  /** Pending for longer than a moment: the table says it is updating (see slowFlag). */
  slow = $state(false);
  submitError = $state<Friendly | null>(null);
  submitCause = $state<SubmitCause>(null);
  recent = $state<string[]>([]);
  onlyUsable = $state(false);
  sort = $state<{ key: SortKey; dir: 'asc' | 'desc' }>({ key: 'price', dir: 'asc' });

  restore() {
    const s = loadJson<Partial<Saved>>(KEY, {}, accept);
    if (isObject(s.form)) this.form = { ...defaultForm(), ...(s.form as Partial<CanvasForm>) };
    if (s.tier === 'all' || s.tier === 'draft' || s.tier === 'final') this.tier = s.tier;
    if (Array.isArray(s.recent)) this.recent = s.recent.filter((x): x is string => typeof x === 'string').slice(0, 12);
    if (typeof s.onlyUsable === 'boolean') this.onlyUsable = s.onlyUsable;
  }

  save() {
    saveJson(KEY, { form: this.form, tier: this.tier, recent: this.recent, onlyUsable: this.onlyUsable } satisfies Saved);
  }

  remember(prompt: string) {
    this.recent = pushRecent(this.recent, prompt);
  }
}

export const canvas = new CanvasState();
canvas.restore();

// `?prompt=…` pre-fills the canvas (handy for previews and links from elsewhere).
const q = new URLSearchParams(globalThis.location?.search ?? '').get('prompt');
if (q) canvas.form.prompt = q;

// Save a moment after each change (typing stays cheap).
let timer: ReturnType<typeof setTimeout> | null = null;
$effect.root(() => {
  $effect(() => {
    void JSON.stringify([canvas.form, canvas.tier, canvas.recent, canvas.onlyUsable]);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => canvas.save(), 300);
  });
});
