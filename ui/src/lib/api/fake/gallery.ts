// The fake's gallery, boards, export, unconfirmed charges, dashboard and invoice over
// its in-memory library.
import { addUsd, cmpUsd, dec, mulUsd, percentToFraction, round, subUsd, toStr } from '../../money';
import { providerName } from '../../format';
import type { Backend } from '../backend';
import type * as T from '../types';
import { BOARDS, type FakeGen } from './data';
import type { FakeDrift } from './drift';
import { OFFERS, engineError } from './fixtures';
import type { World } from './world';

type GalleryMethods = Pick<Backend, 'galleryPage' | 'galleryDetail' | 'gallerySetFavourite' | 'gallerySetRating' | 'galleryAddToBoard' |
  'galleryDelete' | 'galleryBoards' | 'galleryRemoveFromBoard' | 'galleryDeleteBoard' | 'galleryExport' | 'galleryReveal' |
  'dashboardData' | 'dashboardInvoice' | 'dashboardInvoiceCsv' | 'chargesList' | 'chargeConfirm' | 'chargeRefund'>;

export function fakeGallery(w: World, drift: FakeDrift): GalleryMethods {
  const deletedBoards = new Set<string>();
  const { gens, call } = w;

  const inRange = (g: FakeGen, from: string | null, to: string | null) => {
    const day = g.item.created_at.slice(0, 10);
    return (!from || day >= from) && (!to || day <= to);
  };

  /** Confirm keeps the money spent (at `amount` when given); refund gives it back. Returns the change. */
  function settleCharge(id: string, amount: string | null, billed: boolean): string {
    for (const g of gens) {
      const a = g.attempts.find((x) => x.unconfirmed && x.attempt_id === id);
      if (!a) continue;
      const to = billed ? (amount ?? a.cost_usd) : '0';
      const change = subUsd(to, a.cost_usd);
      Object.assign(a, { unconfirmed: false, billed, cost_usd: to });
      g.item.cost_usd = addUsd(g.item.cost_usd, change);
      w.refresh(g.item.project);
      w.changed('projects');
      return billed ? change : subUsd('0', change);
    }
    throw engineError(/^\d+$/.test(id) ? 'charge_not_found' : 'charge_id_invalid', { id });
  }

  /** The same shape as the engine's invoice: items from billed or successful attempts and reuses. */
  function invoice(q: T.InvoiceQuery): T.Invoice {
    const p = w.getProject(q.project);
    if (q.from && q.to && q.from > q.to) throw engineError('invoice_range_reversed', { from: q.from, to: q.to });
    const markup = q.markup_percent ?? '0';
    const factor = addUsd('1', percentToFraction(markup));
    const sel = gens.filter((g) => g.item.project === p.name && inRange(g, q.from ?? null, q.to ?? null))
      .sort((a, b) => a.item.created_at.localeCompare(b.item.created_at));
    const items: T.InvoiceItem[] = sel.flatMap((g) => g.attempts.filter((a) => a.billed || a.outcome === 'succeeded').map((a) => {
      const model = OFFERS.find((o) => o.offer_id === a.offer_id)?.display_name ?? a.model;
      return {
        date_utc: g.item.created_at.slice(0, 19).replace('T', ' '), generation_id: g.item.generation_id, tier: g.item.tier,
        provider: providerName(a.provider), model, prompt: g.item.prompt, outcome: a.outcome === 'succeeded' ? 'succeeded' : `${a.outcome} (billed)`,
        images: a.outcome === 'succeeded' ? g.item.image_count : 0, cost_usd: a.cost_usd, charged_usd: mulUsd(a.cost_usd, factor),
        saved_usd: '0', line: model,
      };
    }));
    const lines: T.InvoiceLine[] = [];
    const charged = new Map<string, string>();
    for (const it of items) {
      let l = lines.find((x) => x.label === it.line);
      if (!l) { l = { label: it.line, images: 0, calls: 0, cost_usd: '0', amount_usd: '0' }; lines.push(l); }
      l.images += it.images;
      l.calls += 1;
      l.cost_usd = addUsd(l.cost_usd, it.cost_usd);
      charged.set(l.label, addUsd(charged.get(l.label) ?? '0', it.charged_usd));
    }
    for (const l of lines) l.amount_usd = toStr(round(dec(charged.get(l.label) ?? '0'), 2));
    const days = sel.map((g) => g.item.created_at.slice(0, 10));
    return {
      project: p.name, client: p.client ?? null, period_from: q.from ?? days[0] ?? null, period_to: q.to ?? days[days.length - 1] ?? null,
      issued: new Date().toISOString().slice(0, 10), markup_percent: markup, lines, items,
      total_usd: addUsd(...lines.map((l) => l.amount_usd)),
      failed_usd: addUsd(...items.filter((i) => i.outcome !== 'succeeded').map((i) => i.cost_usd)), saved_usd: '0',
    };
  }

  function dashboard(project: string | null, from: string | null, to: string | null): T.DashboardData {
    const sel = (project ? gens.filter((g) => g.item.project === project) : gens).filter((g) => inRange(g, from, to));
    const group = (key: (g: FakeGen) => string) => {
      const m = new Map<string, { spend: string; count: number }>();
      for (const g of sel) {
        const k = key(g);
        const cur = m.get(k) ?? { spend: '0', count: 0 };
        m.set(k, { spend: addUsd(cur.spend, g.item.cost_usd), count: cur.count + 1 });
      }
      return [...m].map(([key, v]) => ({ key, spend_usd: v.spend, count: v.count }));
    };
    const byDesc = (a: T.SpendPoint, b: T.SpendPoint) => cmpUsd(b.spend_usd, a.spend_usd);
    const failed = sel.flatMap((g) => g.attempts.filter((a) => a.outcome !== 'succeeded' && a.billed));
    const total = addUsd(...sel.map((g) => g.item.cost_usd));
    const days = group((g) => g.item.created_at.slice(0, 10)).sort((a, b) => a.key.localeCompare(b.key)).slice(-30);
    return {
      total_spend_usd: total, by_day: days, by_provider: group((g) => g.item.provider).sort(byDesc),
      by_model: group((g) => g.item.model).sort(byDesc).slice(0, 12), by_project: group((g) => g.item.project).sort(byDesc),
      failed_spend_usd: addUsd(...failed.map((a) => a.cost_usd)),
      retry_spend_usd: addUsd(...sel.filter((g) => g.attempts.length > 1).map((g) => g.attempts[0].cost_usd)),
      saved_usd: addUsd(...[...w.projects.values()].filter((p) => !project || p.view.name === project).map((p) => p.view.saved_usd)),
      estimated_usd: addUsd(...sel.map((g) => g.estimate_usd)), actual_usd: total,
      ...(drift.open().length ? { drifts: drift.open() } : {}),
    };
  }

  const paramsOf = (g: FakeGen): T.StoredParams => ({
    prompt: g.item.prompt, negative_prompt: g.negative, width: g.item.image.width, height: g.item.image.height,
    quality: g.quality, n: 1, steps: g.steps, seed: g.item.image.seed,
  });

  return {
    galleryPage: (q) => call('galleryPage', () => {
      const s = q.search?.trim().toLowerCase();
      const words = s ? s.split(/\s+/) : [];
      const match = (g: FakeGen) => {
        const it = g.item;
        if (q.project && it.project !== q.project) return false;
        if (q.board && !g.boards.includes(q.board)) return false;
        if (q.provider && it.provider !== q.provider) return false;
        if (q.tier && it.tier !== q.tier) return false;
        if (q.from && it.created_at < q.from) return false;
        if (q.to && it.created_at > q.to) return false;
        if (q.favourites_only && !it.favourite) return false;
        if (q.min_rating && it.rating < q.min_rating) return false;
        if (words.length) {
          const hay = `${it.prompt} ${g.negative ?? ''} ${it.provider} ${it.model}`.toLowerCase();
          if (!words.every((x) => hay.includes(x))) return false;
        }
        return true;
      };
      const all = gens.filter(match);
      // The fake's keyset cursor is `o:<n>`; `@<n>` is a jump to the n-th match, as in the engine.
      const start = !q.cursor ? 0 : q.cursor.startsWith('@') ? Number(q.cursor.slice(1)) : Number(q.cursor.slice(2));
      const items = all.slice(start, start + Math.max(1, q.limit)).map((g) => g.item);
      const next = start + items.length;
      return { items, next_cursor: next < all.length ? `o:${next}` : null, total: all.length };
    }),
    galleryDetail: (id) => call('galleryDetail', () => {
      const g = w.mustGen(id);
      const it = g.item;
      return {
        generation_id: id, project: it.project, status: 'succeeded', tier: it.tier, offer_id: g.offer_id, provider: it.provider,
        model: it.model, params: paramsOf(g), estimate_usd: g.estimate_usd, cost_usd: it.cost_usd,
        unconfirmed_usd: addUsd(...g.attempts.filter((a) => a.unconfirmed).map((a) => a.cost_usd)), saved_usd: '0', created_at: it.created_at, images: [it.image],
        attempts: g.attempts, parent_id: g.parent_id, children: g.children, favourite: it.favourite, rating: it.rating, boards: g.boards,
      } satisfies T.GenerationDetail;
    }),
    gallerySetFavourite: (id, fav) => call('gallerySetFavourite', () => { w.mustGen(id).item.favourite = fav; }),
    gallerySetRating: (id, rating) => call('gallerySetRating', () => {
      if (rating < 0 || rating > 5) throw engineError('rating_out_of_range', { rating });
      w.mustGen(id).item.rating = rating;
    }),
    galleryAddToBoard: (id, board) => call('galleryAddToBoard', () => {
      if (!board.trim()) throw engineError('board_name_empty');
      const g = w.mustGen(id);
      if (!g.boards.includes(board)) g.boards.push(board);
    }),
    galleryDelete: (ids) => call('galleryDelete', () => {
      let n = 0;
      for (const id of ids) {
        const g = w.byId.get(id.split('#')[0]);
        if (!g) continue;
        gens.splice(gens.indexOf(g), 1);
        w.byId.delete(g.item.generation_id);
        n++;
      }
      return n;
    }),
    galleryBoards: () => call('galleryBoards', () => [...new Set([...BOARDS, ...gens.flatMap((g) => g.boards)])].filter((b) => !deletedBoards.has(b) || gens.some((g) => g.boards.includes(b)))),
    galleryRemoveFromBoard: (id, board) => call('galleryRemoveFromBoard', () => {
      const g = w.mustGen(id);
      g.boards = g.boards.filter((b) => b !== board);
    }),
    galleryDeleteBoard: (board) => call('galleryDeleteBoard', () => {
      const known = BOARDS.includes(board) || gens.some((g) => g.boards.includes(board));
      if (!known || deletedBoards.has(board) && !gens.some((g) => g.boards.includes(board))) throw engineError('board_not_found', { board });
      for (const g of gens) g.boards = g.boards.filter((b) => b !== board);
      deletedBoards.add(board);
    }),
    // The shell asks the user through a native dialog; here `pickedPath` is the answer
    // (unset: the user cancelled).
    galleryExport: (ids) => call('galleryExport', () => {
      const folder = w.opts.pickedPath;
      if (!folder) return null;
      return { folder, files: ids.map((id) => `${folder.replace(/\/$/, '')}/${id}.png`) };
    }),
    galleryReveal: (path) => call('galleryReveal', () => { void path; }),
    dashboardData: (project, from = null, to = null) => call('dashboardData', () => dashboard(project, from, to)),
    dashboardInvoice: (q) => call('dashboardInvoice', () => invoice(q)),
    dashboardInvoiceCsv: (q, name) => call('dashboardInvoiceCsv', () => {
      invoice(q);
      if (!w.opts.pickedPath) return null;
      const file = name.split(/[\\/]/).pop() || 'proofsheet';
      return `${w.opts.pickedPath}/${file.endsWith('.csv') ? file : `${file}.csv`}`;
    }),
    chargesList: (project) => call('chargesList', () => w.unconfirmedOf(project)),
    chargeConfirm: (id, amount) => call('chargeConfirm', () => settleCharge(id, amount ?? null, true)),
    chargeRefund: (id) => call('chargeRefund', () => settleCharge(id, null, false)),
  };
}
