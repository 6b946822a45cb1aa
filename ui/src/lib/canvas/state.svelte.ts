import type { EstimateResult } from '../api';
import type { Friendly } from '../errors';
import { defaultForm, type CanvasForm } from './params';

/** Lives at module level so the prompt survives switching sections. */
class CanvasState {
  form = $state<CanvasForm>(defaultForm());
  tier = $state<'all' | 'draft' | 'final'>('all');
  estimate = $state<EstimateResult | null>(null);
  error = $state<Friendly | null>(null);
  pending = $state(false);
  submitError = $state<Friendly | null>(null);
}

export const canvas = new CanvasState();

// `?prompt=…` pre-fills the canvas (handy for previews and links from elsewhere).
const q = new URLSearchParams(globalThis.location?.search ?? '').get('prompt');
if (q) canvas.form.prompt = q;
