import { describe, expect, it } from 'vitest';
import { lineageRows, nodeLabel, type LineageNode } from './lineage';

const n = (id: string, parent: string | null, op: string, t: string, tier = 'draft'): LineageNode => ({ generation_id: id, parent_id: parent, operation: op, tier, created_at: `2026-11-29T10:${t}:00Z`, thumb_path: null });

describe('lineage tree', () => {
  it('orders draft → edits → final depth-first, oldest first, and marks the path to the current one', () => {
    const rows = lineageRows([
      n('final', 'edit2', 'finalize', '05', 'final'),
      n('edit1', 'draft', 'edit', '01'),
      n('draft', null, 'generate', '00'),
      n('edit2', 'draft', 'inpaint', '03'),
      n('up', 'edit1', 'upscale', '02'),
    ], 'final');
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.node.generation_id}`)).toEqual(['draft', '  edit1', '    up', '  edit2', '    final']);
    expect(rows.filter((r) => r.onPath).map((r) => r.node.generation_id)).toEqual(['draft', 'edit2', 'final']);
    expect(rows.find((r) => r.current)?.node.generation_id).toBe('final');
    expect(rows.map((r) => nodeLabel(r.node))).toEqual(['draft', 'edit', 'upscale', 'region edit', 'final']);
  });

  it('shows orphans and loops as roots instead of hiding them', () => {
    const rows = lineageRows([n('a', 'b', 'edit', '01'), n('b', 'a', 'edit', '02'), n('c', 'gone', 'edit', '03')], 'c');
    expect(rows.map((r) => r.node.generation_id).sort()).toEqual(['a', 'b', 'c']);
    expect(rows.find((r) => r.node.generation_id === 'c')?.depth).toBe(0);
  });
});
