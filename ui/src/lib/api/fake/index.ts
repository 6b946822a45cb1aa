// In-memory backend for the browser preview (no Tauri) and vitest. Its offers, prices,
// limits, error texts and fresh-library shapes are the real engine's, recorded into
// ../fixtures by `tests/ipc/fake_fixtures.rs` (`make bindings`); its library (projects,
// gallery, keys) is seeded here. Loaded only when needed: see ../index.ts.
import type { Backend } from '../backend';
import type * as T from '../types';
import { createFakeCatalog } from './catalog';
import { fakeImageUrl } from './data';
import { createFakeDrift } from './drift';
import { OFFERS } from './fixtures';
import { fakeGallery } from './gallery';
import { fakeGateways } from './gateways';
import { fakeJobs } from './jobs';
import { fakeInputs } from './inputs';
import { fakeSettings } from './settings';
import { fakeTeam } from './team';
import { createWorld, type FakeOptions } from './world';

export type { FakeOptions } from './world';

export function createFakeBackend(opts: FakeOptions = {}): Backend & { jobsRunning(): number } {
  const listeners = new Set<(topic: T.DataTopic) => void>();
  const w = createWorld(opts, listeners);
  const { call } = w;
  const catalog = createFakeCatalog(w.now, opts.offline ?? false);
  const drift = createFakeDrift(opts.drift ?? false, w.changed);
  let uiState: string | null = null;

  return {
    name: 'fake',
    appInfo: () => call('appInfo', () => ({ version: '0.1.0', data_dir: w.settings.data_dir, channel: 'dev', first_paint_ms: null })),
    appReady: () => call('appReady', () => Math.round(performance.now())),
    uiStateGet: () => call('uiStateGet', () => uiState),
    uiStateSet: (json) => call('uiStateSet', () => { uiState = json; }),
    pricingOffers: () => call('pricingOffers', () => OFFERS),
    ...fakeJobs(w, drift),
    ...fakeSettings(w),
    ...fakeGallery(w, drift),
    ...fakeInputs(w),
    catalogStatus: () => call('catalogStatus', () => catalog.status()),
    catalogSetFeedUrl: (url) => call('catalogSetFeedUrl', () => catalog.setUrl(url)),
    catalogCheck: () => call('catalogCheck', () => catalog.check()),
    catalogApply: (version) => call('catalogApply', () => {
      const st = catalog.apply(version);
      w.settings = { ...w.settings, catalog_version: st.version };
      return st;
    }),
    catalogRestore: () => call('catalogRestore', () => {
      const st = catalog.restore();
      w.settings = { ...w.settings, catalog_version: st.version };
      return st;
    }),
    ...drift.methods,
    ...fakeGateways(call, w.changed, () => OFFERS.map((o) => o.offer_id)),
    ...fakeTeam(call, w.changed),
    onDataChanged(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    imageUrl: (path) => fakeImageUrl(path),
  };
}
