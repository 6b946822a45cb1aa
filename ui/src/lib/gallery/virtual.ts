// Window math for the virtualized gallery grid: fixed-size cells, only visible rows + overscan.

export interface GridGeometry {
  width: number;
  cell: number;
  gap: number;
  /** Extra height under each image for its caption. */
  caption: number;
}

export function columnsFor(g: GridGeometry): number {
  return Math.max(1, Math.floor((g.width + g.gap) / (g.cell + g.gap)));
}

export function rowHeight(g: GridGeometry): number {
  return g.cell + g.caption + g.gap;
}

export interface VisibleWindow {
  columns: number;
  rowHeight: number;
  totalHeight: number;
  firstRow: number;
  lastRow: number;
  /** Item indexes [start, end) to render. */
  start: number;
  end: number;
  offsetY: number;
}

export function visibleWindow(total: number, scrollTop: number, viewport: number, g: GridGeometry, overscanRows = 3): VisibleWindow {
  const columns = columnsFor(g);
  const rh = rowHeight(g);
  const rows = Math.ceil(Math.max(0, total) / columns);
  const totalHeight = rows * rh;
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, totalHeight - viewport)));
  const firstVisible = Math.floor(top / rh);
  const lastVisible = Math.ceil((top + viewport) / rh) - 1;
  const firstRow = Math.max(0, firstVisible - overscanRows);
  const lastRow = Math.min(rows - 1, lastVisible + overscanRows);
  const start = Math.min(total, firstRow * columns);
  const end = Math.min(total, (lastRow + 1) * columns);
  return { columns, rowHeight: rh, totalHeight, firstRow, lastRow: Math.max(firstRow - 1, lastRow), start, end: Math.max(start, end), offsetY: firstRow * rh };
}
