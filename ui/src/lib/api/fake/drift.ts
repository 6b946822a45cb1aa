// The browser fake's drift from real bills and model discovery (issue 14 §5, §6): one
// seeded drift on FLUX 1.1 [pro] (bills 25 % above the estimate over 5 attempts) when asked,
// and a Together listing with one model the catalog lacks.
import { ApiError } from '../backend';
import type * as T from '../types';
import { KEYED, OFFERS, PROVIDERS, engineError, factsOf, offerOf } from './fixtures';

export const DRIFT_OFFER = 'bfl:flux-pro-1.1';
const DRIFT_NAME = OFFERS.find((o) => o.offer_id === DRIFT_OFFER)?.display_name ?? DRIFT_OFFER;

function seeded(): T.DriftView {
  const evidence: T.DriftEvidence[] = [5, 4, 3, 2, 1].map((i) => ({
    attempt_id: String(900 + i), generation_id: `gen-drift-${i}`, expected_usd: '0.04', actual_usd: '0.05',
    reported_usd: '0.05', finished_at: `2026-11-2${i}T10:00:00Z`,
  }));
  return {
    offer_id: DRIFT_OFFER, ...offerOf(DRIFT_OFFER), display_name: DRIFT_NAME, ratio: '1.25', percent: '25',
    samples: 5, expected_usd: '0.2', actual_usd: '0.25', status: 'drifting', current_multiplier: '1', suggested_multiplier: '1.25',
    message: 'real bills ran 25% above the estimate over the last 5 settled attempts ($0.25 billed vs $0.2 estimated)',
    evidence,
  };
}

export interface FakeDrift {
  /** The cost-table mark of an offer (open drifts only). */
  markFor(offerId: string): T.DriftMark | null;
  /** Accepted rates: offer id → multiplier. */
  rateFor(offerId: string): string | null;
  open(): T.DriftView[];
  methods: {
    driftList(): Promise<T.DriftView[]>;
    driftAccept(offerId: string): Promise<T.DriftView>;
    driftIgnore(offerId: string): Promise<T.DriftView>;
    driftSettingsGet(): Promise<T.DriftSettings>;
    driftSettingsSave(input: T.DriftSettings): Promise<T.DriftSettings>;
    offersDiscover(provider: string | null): Promise<T.DiscoveryReport>;
    offersImport(provider: string, models: string[]): Promise<T.OfferImportReport>;
  };
}

export function createFakeDrift(seed: boolean, changed: (topic: T.DataTopic) => void): FakeDrift {
  const drifts: T.DriftView[] = seed ? [seeded()] : [];
  const rates = new Map<string, string>();
  const imported = new Set<string>();
  let settings: T.DriftSettings = { window: 10, threshold_pct: '10' };
  const clone = <X>(x: X): X => JSON.parse(JSON.stringify(x)) as X;
  const later = <X>(f: () => X): Promise<X> => Promise.resolve().then(() => clone(f()));
  const find = (id: string) => {
    const d = drifts.find((x) => x.offer_id === id);
    if (!d) throw new ApiError('not_found', `no drift on \`${id}\`: its settled costs agree with its estimates`);
    return d;
  };
  const listing: T.DiscoveredModel[] = [{
    model: 'black-forest-labs/FLUX.1-krea-dev', name: 'FLUX.1 Krea [dev]', offer_id: 'together:black-forest-labs/FLUX.1-krea-dev',
    listed_price: '$0.025 per megapixel', per_image_usd: '0.025', importable: true,
  }];
  const LISTED_BY = listing[0].offer_id.split(':')[0];
  return {
    markFor: (id) => {
      const d = drifts.find((x) => x.offer_id === id && x.status === 'drifting');
      return d ? { ratio: d.ratio, percent: d.percent, samples: d.samples, message: d.message } : null;
    },
    rateFor: (id) => rates.get(id) ?? null,
    open: () => clone(drifts.filter((d) => d.status === 'drifting')),
    methods: {
      driftList: () => later(() => drifts),
      driftAccept: (id) => later(() => {
        const d = find(id);
        d.status = 'accepted';
        rates.set(id, d.suggested_multiplier);
        changed('settings');
        return d;
      }),
      driftIgnore: (id) => later(() => {
        const d = find(id);
        d.status = 'ignored';
        changed('settings');
        return d;
      }),
      driftSettingsGet: () => later(() => settings),
      driftSettingsSave: (input) => later(() => {
        if (input.window < 2 || input.window > 500) throw engineError('drift_window_out_of_range', { window: input.window });
        if (!/^\d+(\.\d+)?$/.test(input.threshold_pct) || Number(input.threshold_pct) <= 0 || Number(input.threshold_pct) > 100) {
          throw engineError('drift_threshold_out_of_range', { threshold_pct: input.threshold_pct });
        }
        settings = { ...input };
        return settings;
      }),
      offersDiscover: (provider) => later(() => {
        // Which providers list models, and whether a key is needed, are the engine's facts;
        // the keyed ones answer, the listing's provider lists one new model.
        const all = PROVIDERS.filter((p) => factsOf(p)?.lists_models).map((p): T.ProviderDiscovery => {
          if (p === LISTED_BY) {
            return { provider: p, status: 'ok', message: null, listed: 3, new_models: listing.filter((m) => !imported.has(m.offer_id)), unlisted_offers: [] };
          }
          if (KEYED.includes(p) || factsOf(p)?.lists_without_key) {
            const unlisted = OFFERS.filter((o) => o.provider === p && o.status === 'shut_down').map((o) => o.offer_id);
            return { provider: p, status: 'ok', message: null, listed: 42, new_models: [], unlisted_offers: unlisted };
          }
          return { provider: p, status: 'no_key', message: `add a ${p} key in Settings → Keys to list its models`, listed: 0, new_models: [], unlisted_offers: [] };
        });
        return { providers: all.filter((p) => !provider || p.provider === provider) };
      }),
      offersImport: (provider, models) => later(() => {
        if (!factsOf(provider)?.imports_prices) throw engineError('import_unpriced_provider', { provider });
        const ids = models.map((m) => `${provider}:${m}`);
        for (const id of ids) {
          if (!listing.some((l) => l.offer_id === id)) throw new ApiError('not_found', `${provider} does not list \`${id}\` for this key; nothing was imported`);
        }
        ids.forEach((id) => imported.add(id));
        changed('settings');
        return { imported: ids };
      }),
    },
  };
}
