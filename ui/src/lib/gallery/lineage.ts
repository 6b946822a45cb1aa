// The lineage tree of a result (draft → edits → final): built from the generations the
// engine lists as related, each naming the one it was made from.

export interface LineageNode {
  generation_id: string;
  /** The generation this one was made from (its subject or the draft it finalizes). */
  parent_id: string | null;
  /** What made it: "generate", "edit", "inpaint", "expand", "upscale", "vary", "finalize"… */
  operation: string;
  tier: string;
  created_at: string;
  thumb_path: string | null;
}

export interface TreeRow {
  node: LineageNode;
  depth: number;
  /** The generation the detail panel shows. */
  current: boolean;
  /** On the path from the root to the current one. */
  onPath: boolean;
}

/**
 * Rows of the tree in display order (depth-first, children oldest first), from the root
 * of the current generation's family. A parent missing from the list, or a loop in bad
 * data, makes that node a root rather than hiding it.
 */
export function lineageRows(nodes: readonly LineageNode[], currentId: string): TreeRow[] {
  const byId = new Map(nodes.map((n) => [n.generation_id, n]));
  const parentOf = (n: LineageNode): LineageNode | null => (n.parent_id && n.parent_id !== n.generation_id ? byId.get(n.parent_id) ?? null : null);

  // Path from the current one up to its root (stops at a loop).
  const path = new Set<string>();
  let cur = byId.get(currentId) ?? null;
  while (cur && !path.has(cur.generation_id)) {
    path.add(cur.generation_id);
    cur = parentOf(cur);
  }

  const children = new Map<string, LineageNode[]>();
  const roots: LineageNode[] = [];
  for (const n of nodes) {
    const p = parentOf(n);
    if (p && !createsLoop(n, byId)) {
      const list = children.get(p.generation_id) ?? [];
      list.push(n);
      children.set(p.generation_id, list);
    } else roots.push(n);
  }
  const byTime = (a: LineageNode, b: LineageNode) => a.created_at.localeCompare(b.created_at) || a.generation_id.localeCompare(b.generation_id);

  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (n: LineageNode, depth: number) => {
    if (seen.has(n.generation_id)) return;
    seen.add(n.generation_id);
    rows.push({ node: n, depth, current: n.generation_id === currentId, onPath: path.has(n.generation_id) });
    for (const c of (children.get(n.generation_id) ?? []).sort(byTime)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byTime)) walk(r, 0);
  return rows;
}

function createsLoop(n: LineageNode, byId: Map<string, LineageNode>): boolean {
  const seen = new Set<string>([n.generation_id]);
  let p = n.parent_id ? byId.get(n.parent_id) : undefined;
  while (p) {
    if (seen.has(p.generation_id)) return true;
    seen.add(p.generation_id);
    p = p.parent_id ? byId.get(p.parent_id) : undefined;
  }
  return false;
}

export const OPERATION_WORD: Record<string, string> = {
  generate: 'draft',
  edit: 'edit',
  inpaint: 'region edit',
  expand: 'expand',
  upscale: 'upscale',
  vary: 'variation',
  finalize: 'final',
  promote: 'final',
};

export function nodeLabel(n: LineageNode): string {
  const w = OPERATION_WORD[n.operation] ?? n.operation;
  return n.operation === 'generate' && n.tier === 'final' ? 'final' : w;
}
