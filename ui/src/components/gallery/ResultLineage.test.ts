import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import ResultLineage from './ResultLineage.svelte';
import { setBackend, type GenerationDetail, type Lineage } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';

const view = (role: 'subject' | 'reference' | 'style', gid: string | null, position: number) => ({
  position, role, hash: `h${position}`, mime: 'image/png' as const, width: 1024, height: 1024, generation_id: gid, index: gid ? 0 : null, path: `/lib/${gid ?? 'file'}_${position}_1024x1024.png`, thumb_path: null,
});
const link = (id: string, operation: 'edit' | 'inpaint', t: string, tier: 'draft' | 'final' = 'draft') => ({ generation_id: id, operation, role: 'subject' as const, status: 'succeeded' as const, tier, created_at: `2026-11-29T10:${t}:00Z`, thumb_path: null });
const lineage = (operation: Lineage['operation'], inputs: Lineage['inputs'], used_by: Lineage['used_by'], tier: Lineage['tier'] = 'draft'): Lineage => ({ operation, tier, inputs, mask: null, expand: null, scale: null, fidelity: null, used_by });

const WORLD: Record<string, Lineage> = {
  'g-draft': lineage('generate', [], [link('g-edit', 'inpaint', '01')]),
  'g-edit': lineage('inpaint', [view('subject', 'g-draft', 0), view('style', null, 1)], [link('g-final', 'edit', '02', 'final')]),
  'g-final': lineage('edit', [view('subject', 'g-edit', 0)], [], 'final'),
};

async function detail(id: string | null): Promise<GenerationDetail> {
  const b = createFakeBackend({ galleryCount: 3 });
  setBackend({ ...b, generationLineage: async (g: string) => WORLD[g] });
  const page = await b.galleryPage({ limit: 1, favourites_only: false });
  const d = await b.galleryDetail(page.items[0].generation_id);
  return id ? { ...d, generation_id: id, lineage: WORLD[id] } : { ...d, lineage: lineage('generate', [], []) };
}

describe('result lineage in the detail', () => {
  afterEach(() => cleanup());

  it('shows before/after, the inputs with their roles and a clickable family tree for a region edit', async () => {
    const d = await detail('g-edit');
    const onopen = vi.fn();
    render(ResultLineage, { d, afterPath: '/lib/edit_3_1024x1024.png', onopen });
    expect(screen.getByTestId('detail-before-after')).toBeTruthy();
    expect(screen.getByRole('slider').getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getAllByTestId('detail-input').map((e) => e.dataset.role)).toEqual(['subject', 'style']);
    await waitFor(() => expect(screen.getAllByTestId('lineage-node')).toHaveLength(3));
    const nodes = screen.getAllByTestId('lineage-node');
    expect(nodes.map((n) => n.querySelector('button')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['from the prompt draft', 'region edit draft this image', 'edit final']);
    expect(nodes[1].dataset.current).toBe('true');
    await fireEvent.click(nodes[0].querySelector('button')!);
    expect(onopen).toHaveBeenCalledWith('g-draft');
  });

  it('compares an expand with the original at its margins in the larger canvas', async () => {
    const d = await detail('g-edit');
    const expanded: Lineage = { ...lineage('expand', [view('subject', 'g-draft', 0)], []), expand: { left: 512, top: 0, right: 512, bottom: 0 } };
    render(ResultLineage, { d: { ...d, lineage: expanded }, afterPath: '/lib/wide.png', afterRatio: 2, onopen: () => {} });
    expect(screen.getByText('· expand')).toBeTruthy();
    const before = screen.getByAltText('Before') as HTMLElement;
    // 1024 wide with 512 on each side: a 2048 canvas, the original in its middle half.
    expect([before.style.left, before.style.width, before.style.top, before.style.height]).toEqual(['25%', '50%', '0%', '100%']);
  });

  it('shows nothing extra for a plain generation', async () => {
    const d = await detail(null);
    render(ResultLineage, { d, afterPath: '/x.png', onopen: () => {} });
    expect(screen.queryByTestId('detail-before-after')).toBeNull();
    expect(screen.queryByTestId('detail-inputs')).toBeNull();
    expect(screen.queryByTestId('lineage-tree')).toBeNull();
  });
});
