import { describe, expect, it } from 'vitest';
import type { Operation, Tier } from '../api';
import { collectLineage, lineageRows, nodeLabel, type LineageHop, type LineageNode } from './lineage';

const n = (id: string, parent: string | null, op: Operation, t: string, tier: Tier = 'draft'): LineageNode => ({ generation_id: id, parent_id: parent, operation: op, tier, created_at: `2026-11-29T10:${t}:00Z`, thumb_path: null });

describe('lineage tree', () => {
  it('orders draft → edits → final depth-first, oldest first, and marks the path to the current one', () => {
    const rows = lineageRows([
      n('final', 'edit2', 'edit', '05', 'final'),
      n('edit1', 'draft', 'edit', '01'),
      n('draft', null, 'generate', '00'),
      n('edit2', 'draft', 'inpaint', '03'),
      n('up', 'edit1', 'upscale', '02'),
    ], 'final');
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.node.generation_id}`)).toEqual(['draft', '  edit1', '    up', '  edit2', '    final']);
    expect(rows.filter((r) => r.onPath).map((r) => r.node.generation_id)).toEqual(['draft', 'edit2', 'final']);
    expect(rows.find((r) => r.current)?.node.generation_id).toBe('final');
    expect(rows.map((r) => nodeLabel(r.node))).toEqual(['from the prompt', 'edit', 'upscale', 'region edit', 'edit']);
  });

  it('shows orphans and loops as roots instead of hiding them', () => {
    const rows = lineageRows([n('a', 'b', 'edit', '01'), n('b', 'a', 'edit', '02'), n('c', 'gone', 'edit', '03')], 'c');
    expect(rows.map((r) => r.node.generation_id).sort()).toEqual(['a', 'b', 'c']);
    expect(rows.find((r) => r.node.generation_id === 'c')?.depth).toBe(0);
  });
});

describe('collecting the family from one-step lineage answers', () => {
  it('walks up through the subject to the root and down through what was made from each', async () => {
    const hop = (operation: Operation, parent: string | null, used: [string, Operation, string][], tier: Tier = 'draft'): LineageHop => ({
      operation,
      tier,
      inputs: parent ? [{ role: 'subject', generation_id: parent, thumb_path: `${parent}.thumb`, path: null }, { role: 'reference', generation_id: null, thumb_path: null, path: null }] : [],
      used_by: used.map(([id, op, t]) => ({ generation_id: id, operation: op, tier: id === 'final' ? 'final' : 'draft', created_at: `2026-11-29T10:${t}:00Z`, thumb_path: null })),
    });
    const world: Record<string, LineageHop> = {
      draft: hop('generate', null, [['edit1', 'edit', '01'], ['edit2', 'inpaint', '02']]),
      edit1: hop('edit', 'draft', []),
      edit2: hop('inpaint', 'draft', [['final', 'edit', '03']]),
      final: hop('edit', 'edit2', [], 'final'),
    };
    const asked: string[] = [];
    const fetch = async (id: string) => {
      asked.push(id);
      if (!world[id]) throw new Error('gone');
      return world[id];
    };
    const nodes = await collectLineage('edit2', { created_at: '2026-11-29T10:02:00Z', tier: 'draft', thumb_path: null }, fetch);
    const rows = lineageRows(nodes, 'edit2');
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.node.generation_id}:${r.node.operation}:${r.node.tier}`)).toEqual(['draft:generate:draft', '  edit1:edit:draft', '  edit2:inpaint:draft', '    final:edit:final']);
    expect(new Set(asked).size).toBe(asked.length); // each generation fetched once
  });

  it('stops at the limit and survives a failed fetch', async () => {
    const nodes = await collectLineage('x', { created_at: '', tier: 'draft', thumb_path: null }, async () => { throw new Error('offline'); });
    expect(nodes.map((n) => n.generation_id)).toEqual(['x']);
  });
});
