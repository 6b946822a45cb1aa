import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import InputsStrip from './InputsStrip.svelte';
import OperationPicker from './OperationPicker.svelte';
import { inputs } from '../../lib/inputs/state.svelte';
import { MaskBitmap } from '../../lib/inputs/mask';

/** A real 8×6 PNG (our encoder) as a File, as drop/paste/picker hand it over. */
async function pngFile(name: string, w = 8, h = 6): Promise<File> {
  const bytes = await new MaskBitmap(w, h).toPng({ compress: false });
  return new File([bytes as BlobPart], name, { type: 'image/png' });
}

async function pick(files: File[]) {
  const el = screen.getByTestId('inputs-file') as HTMLInputElement;
  Object.defineProperty(el, 'files', { value: files, configurable: true });
  await fireEvent.change(el);
}

describe('inputs strip and operation picker', () => {
  beforeEach(() => {
    inputs.clear();
    inputs.operation = 'generate';
    (URL as unknown as { createObjectURL: (b: Blob) => string }).createObjectURL = () => `blob:test/${Math.random()}`;
    (URL as unknown as { revokeObjectURL: (u: string) => void }).revokeObjectURL = () => {};
  });
  afterEach(() => cleanup());

  it('adds picked images with their size, the first as the subject, and offers the subject operations', async () => {
    render(InputsStrip);
    render(OperationPicker);
    await pick([await pngFile('a.png', 800, 600), await pngFile('b.png')]);
    await waitFor(() => expect(screen.getAllByTestId('input-item')).toHaveLength(2));
    const items = screen.getAllByTestId('input-item');
    expect(items.map((i) => i.dataset.role)).toEqual(['subject', 'reference']);
    expect(items[0].textContent).toContain('800×600');
    expect(inputs.operation).toBe('edit');
    expect(screen.getByTestId('op-generate').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('op-generate').title).toMatch(/reference/);
    await fireEvent.click(screen.getByTestId('op-upscale'));
    await fireEvent.click(screen.getByTestId('scale-4'));
    expect(screen.getByTestId('upscale-size').textContent).toContain('3200 × 2400');
  });

  it('refuses what is not an image, and moves the subject when a role changes', async () => {
    render(InputsStrip);
    await pick([new File([new Uint8Array([1, 2, 3])], 'notes.txt', { type: 'text/plain' })]);
    await waitFor(() => expect(screen.getByTestId('inputs-problem').textContent).toMatch(/notes\.txt is not a PNG/));
    await pick([await pngFile('a.png'), await pngFile('b.png')]);
    await waitFor(() => expect(screen.getAllByTestId('input-item')).toHaveLength(2));
    await fireEvent.change(screen.getAllByTestId('input-role')[1], { target: { value: 'subject' } });
    expect(inputs.items.map((i) => `${i.name}:${i.role}`)).toEqual(['b.png:subject', 'a.png:reference']);
    await fireEvent.click(screen.getAllByTestId('input-remove')[0]);
    expect(inputs.items.map((i) => i.role)).toEqual(['reference']);
    expect(inputs.operation).toBe('generate');
  });

  it('expands by typed margins and by arrow keys on a handle', async () => {
    render(OperationPicker);
    await inputs.addFiles([await pngFile('s.png', 1024, 1024)]);
    inputs.operation = 'expand';
    await waitFor(() => screen.getByTestId('expand-editor'));
    await fireEvent.change(screen.getByTestId('expand-right'), { target: { value: '512' } });
    expect(screen.getByTestId('expand-size').textContent).toContain('1536 × 1024');
    await fireEvent.keyDown(screen.getByTestId('expand-handle-top'), { key: 'ArrowUp', shiftKey: true });
    expect(inputs.margins).toEqual({ left: 0, top: 128, right: 512, bottom: 0 });
  });
});

describe('paste on the Canvas', () => {
  afterEach(() => cleanup());

  it('adds a pasted image as an input and leaves a text paste alone', async () => {
    inputs.clear();
    (URL as unknown as { createObjectURL: (b: Blob) => string }).createObjectURL = () => `blob:test/${Math.random()}`;
    const { default: Canvas } = await import('../../screens/Canvas.svelte');
    const { setBackend } = await import('../../lib/api');
    const { createFakeBackend } = await import('../../lib/api/fake');
    setBackend(createFakeBackend({ galleryCount: 3 }));
    render(Canvas);
    const paste = (files: File[]) => {
      const e = new Event('paste', { bubbles: true, cancelable: true });
      Object.defineProperty(e, 'clipboardData', { value: { files } });
      window.dispatchEvent(e);
      return e;
    };
    expect(paste([]).defaultPrevented).toBe(false);
    const e = paste([await pngFile('clip.png', 640, 480)]);
    expect(e.defaultPrevented).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('input-item')).toHaveLength(1));
    expect(screen.getByTestId('input-item').textContent).toContain('640×480');
  });

  it('prices no expand without a margin nor a region edit without a mask, and says so where the prices go', async () => {
    inputs.clear();
    const { default: Canvas } = await import('../../screens/Canvas.svelte');
    const { setBackend } = await import('../../lib/api');
    const { createFakeBackend } = await import('../../lib/api/fake');
    const fake = createFakeBackend({ galleryCount: 3 });
    let estimates = 0;
    const estimate = fake.pricingEstimate.bind(fake);
    fake.pricingEstimate = (input) => { estimates += 1; return estimate(input); };
    setBackend(fake);
    render(Canvas);
    await pick([await pngFile('subject.png', 64, 64)]);
    await waitFor(() => expect(screen.getAllByTestId('input-item')).toHaveLength(1));
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'more sky' } });
    await fireEvent.click(screen.getByTestId('op-expand'));
    await waitFor(() => expect(screen.getByTestId('cost-empty').textContent).toContain('Set at least one margin to expand'));
    await fireEvent.click(screen.getByTestId('op-inpaint'));
    await waitFor(() => expect(screen.getByTestId('cost-empty').textContent).toContain('Paint the region to edit'));
    expect(estimates).toBe(0);
    expect(screen.queryByText(/needs margins/)).toBeNull();
  });
});
