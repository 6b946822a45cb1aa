import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import ResultLineage from './ResultLineage.svelte';
import { setBackend, type GenerationDetail } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';

async function detail(extra: Record<string, unknown>): Promise<GenerationDetail> {
  const b = createFakeBackend({ galleryCount: 3 });
  setBackend(b);
  const page = await b.galleryPage({ limit: 1, favourites_only: false });
  const d = await b.galleryDetail(page.items[0].generation_id);
  return { ...d, ...extra } as GenerationDetail;
}

const node = (id: string, parent: string | null, operation: string, t: string, tier = 'draft') => ({ generation_id: id, parent_id: parent, operation, tier, created_at: `2026-11-29T10:${t}:00Z`, thumb_path: null });

describe('result lineage in the detail', () => {
  afterEach(() => cleanup());

  it('shows before/after, the inputs with their roles and a clickable lineage for a region edit', async () => {
    const d = await detail({
      generation_id: 'g-edit',
      operation: 'inpaint',
      inputs: [
        { role: 'subject', path: '/lib/draft_1_1024x1024.png', thumb_path: null, width: 1024, height: 1024, hash: 'aa', generation_id: 'g-draft' },
        { role: 'style', path: '/lib/style_2_512x512.png', thumb_path: null, width: 512, height: 512, hash: 'bb', generation_id: null },
      ],
      lineage: [node('g-draft', null, 'generate', '00'), node('g-edit', 'g-draft', 'inpaint', '01'), node('g-final', 'g-edit', 'finalize', '02', 'final')],
    });
    const onopen = vi.fn();
    render(ResultLineage, { d, afterPath: '/lib/edit_3_1024x1024.png', onopen });
    expect(screen.getByTestId('detail-before-after')).toBeTruthy();
    expect(screen.getByRole('slider').getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getAllByTestId('detail-input').map((e) => e.dataset.role)).toEqual(['subject', 'style']);
    const nodes = screen.getAllByTestId('lineage-node');
    expect(nodes.map((n) => n.querySelector('button')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['draft draft', 'region edit draft this image', 'final final']);
    expect(nodes[1].dataset.current).toBe('true');
    await fireEvent.click(nodes[2].querySelector('button')!);
    expect(onopen).toHaveBeenCalledWith('g-final');
  });

  it('shows nothing extra for a plain generation', async () => {
    const d = await detail({});
    render(ResultLineage, { d, afterPath: '/x.png', onopen: () => {} });
    expect(screen.queryByTestId('detail-before-after')).toBeNull();
    expect(screen.queryByTestId('lineage-tree')).toBeNull();
  });
});
