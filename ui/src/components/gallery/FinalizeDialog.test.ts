import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import FinalizeDialog from './FinalizeDialog.svelte';
import type { FinalizeWay } from '../../lib/gallery/finalize';

const ways: FinalizeWay[] = [
  { how: 'reference', offer_id: 'openai:gpt-image-1', display_name: 'GPT Image 1', expected_usd: '0.0612', fidelity: 'medium', fidelity_note: 'redrawn with the draft as reference', expected_seconds: 24, can_run: true, reason: null },
  { how: 'upscale', offer_id: null, display_name: null, expected_usd: null, fidelity: 'high', fidelity_note: null, expected_seconds: null, can_run: false, reason: 'no upscaler in the final chain has a key' },
  { how: 'reroll', offer_id: 'openai:gpt-image-1', display_name: 'GPT Image 1', expected_usd: '0.0423', fidelity: 'low', fidelity_note: null, expected_seconds: 20, can_run: true, reason: null },
];

describe('Finalize dialog', () => {
  afterEach(() => cleanup());

  it('compares the ways side by side, picks the most faithful one that can run, and runs the chosen one', async () => {
    const onrun = vi.fn();
    render(FinalizeDialog, { ways, draftUrl: null, draftCost: '0.011', onrun, onclose: () => {} });
    expect(screen.getByTestId('finalize-reference').getAttribute('aria-checked')).toBe('true');
    expect(screen.getByTestId('finalize-upscale').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('finalize-why').textContent).toContain('no upscaler');
    expect(screen.getAllByTestId('finalize-price').map((e) => e.textContent)).toEqual(['~$0.0612', '~$0.0423']);
    expect(screen.getByTestId('finalize-reference').textContent).toContain('~24 s');
    await fireEvent.click(screen.getByTestId('finalize-upscale')); // cannot run: stays on reference
    expect(screen.getByTestId('finalize-reference').getAttribute('aria-checked')).toBe('true');
    await fireEvent.click(screen.getByTestId('finalize-reroll'));
    expect(screen.getByTestId('finalize-run').textContent).toContain('Re-roll the prompt for ~$0.0423');
    await fireEvent.click(screen.getByTestId('finalize-run'));
    expect(onrun).toHaveBeenCalledWith(ways[2]);
  });
});
