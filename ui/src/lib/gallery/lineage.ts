// The lineage tree of a result (draft → edits → final): built from the generations the
// engine lists as related, each naming the one it was made from.

import type { InputRole, Operation, Tier } from '../api';

export interface LineageNode {
  generation_id: string;
  /** The generation this one was made from (its subject or the draft it finalizes). */
  parent_id: string | null;
  /** What made it (a final made from a draft names its edit or upscale). */
  operation: Operation;
  /** Null until an answer names it (a parent seen only as another's input). */
  tier: Tier | null;
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

export const OPERATION_WORD = {
  generate: 'from the prompt',
  edit: 'edit',
  inpaint: 'region edit',
  expand: 'expand',
  upscale: 'upscale',
  vary: 'variation',
} satisfies Record<Operation, string>;

/** What made it, in words; the tier shows beside it as a tag. */
export function nodeLabel(n: LineageNode): string {
  return OPERATION_WORD[n.operation];
}

/** What one lineage answer gives the walk (the engine's `Lineage`, trimmed). */
export interface LineageHop {
  operation: Operation;
  /** The generation's own tier. */
  tier: Tier;
  inputs: { role: InputRole; generation_id: string | null; thumb_path: string | null; path: string | null }[];
  used_by: { generation_id: string; operation: Operation; tier: Tier; created_at: string; thumb_path: string | null }[];
}

/**
 * The whole family of a result, from the engine's one-step lineage answers: up through
 * the image each was made from (the subject, else the first gallery input) to the root,
 * then down through everything made from those images. At most `limit` generations are
 * fetched; a failed fetch ends that branch.
 */
export async function collectLineage(startId: string, start: { created_at: string; tier: Tier | null; thumb_path: string | null }, fetch: (id: string) => Promise<LineageHop>, limit = 24): Promise<LineageNode[]> {
  const hops = new Map<string, LineageHop | null>();
  const get = async (id: string) => {
    if (!hops.has(id)) {
      if (hops.size >= limit) return null;
      hops.set(id, await fetch(id).catch(() => null));
    }
    return hops.get(id) ?? null;
  };
  const parentOf = (h: LineageHop | null) => {
    if (!h) return null;
    const from = h.inputs.find((i) => i.role === 'subject' && i.generation_id) ?? h.inputs.find((i) => i.generation_id);
    return from ? { id: from.generation_id!, thumb: from.thumb_path ?? from.path } : null;
  };

  const nodes = new Map<string, LineageNode>();
  nodes.set(startId, { generation_id: startId, parent_id: null, operation: 'generate', tier: start.tier, created_at: start.created_at, thumb_path: start.thumb_path });
  // Up to the root.
  let id = startId;
  for (let guard = 0; guard < limit; guard++) {
    const h = await get(id);
    const node = nodes.get(id)!;
    node.operation = h?.operation ?? node.operation;
    node.tier = h?.tier ?? node.tier;
    const p = parentOf(h);
    if (!p || nodes.has(p.id)) break;
    node.parent_id = p.id;
    nodes.set(p.id, { generation_id: p.id, parent_id: null, operation: 'generate', tier: null, created_at: '', thumb_path: p.thumb });
    id = p.id;
  }
  // Down from the root, breadth first.
  const queue = [id];
  const expanded = new Set<string>();
  while (queue.length) {
    const cur = queue.shift()!;
    if (expanded.has(cur)) continue;
    expanded.add(cur);
    const h = await get(cur);
    if (!h) continue;
    const node = nodes.get(cur)!;
    node.operation = h.operation;
    node.tier = h.tier;
    for (const u of h.used_by) {
      const known = nodes.get(u.generation_id);
      if (known) {
        if (!known.parent_id && u.generation_id !== cur) known.parent_id = cur;
        if (!known.created_at) known.created_at = u.created_at;
        if (!known.tier) known.tier = u.tier;
        queue.push(u.generation_id);
        continue;
      }
      if (nodes.size >= limit) break;
      nodes.set(u.generation_id, { generation_id: u.generation_id, parent_id: cur, operation: u.operation, tier: u.tier, created_at: u.created_at, thumb_path: u.thumb_path });
      queue.push(u.generation_id);
    }
  }
  return [...nodes.values()];
}
