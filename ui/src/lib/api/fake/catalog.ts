// The catalog feed in the browser fake: the engine's bundled catalog (recorded), one
// signed update waiting on the feed, apply and restore. Mirrors the engine's rules (nothing
// changes before apply; restore swaps with the previous catalog; only https feeds, or http
// to localhost, refused with the engine's words).
import { ApiError } from '../backend';
import type * as T from '../types';
import { ENGINE, engineError } from './fixtures';

const DEFAULT_FEED = ENGINE.catalog_status.default_feed_url;

interface Ref {
  version: string;
  published: string;
  bundled: boolean;
}

const BUNDLED: Ref = { version: ENGINE.catalog_status.bundled_version, published: ENGINE.catalog_status.published, bundled: true };
const UPDATE: Ref = { version: '2026.12.01-1', published: '2026-12-01', bundled: false };

const DIFF: T.CatalogDiffView = {
  from_version: BUNDLED.version,
  from_published: BUNDLED.published,
  to_version: UPDATE.version,
  to_published: UPDATE.published,
  price_changes: [
    { offer_id: 'bfl:flux-pro-1.1', display_name: 'FLUX 1.1 [pro]', probe: '1024x1024', old_usd: '0.04', new_usd: '0.05', percent: '25.0' },
    { offer_id: 'openai:gpt-image-2', display_name: 'GPT Image 2', probe: '1024x1024 high', old_usd: '0.165', new_usd: '0.15', percent: '-9.1' },
  ],
  added: [{ offer_id: 'bfl:flux-2-ultra', display_name: 'FLUX.2 [ultra]' }],
  removed: [{ offer_id: 'stability:sd3.5-medium', display_name: 'SD 3.5 Medium' }],
  lifecycle_changes: [
    { offer_id: 'openai:gpt-image-2', display_name: 'GPT Image 2', field: 'shutdown_on', old: null, new: '2027-06-01' },
  ],
  other_changes: [],
};

export interface FakeCatalog {
  status(): T.CatalogStatusView;
  setUrl(url: string | null): T.CatalogStatusView;
  check(): T.CatalogCheckView;
  apply(version: string): T.CatalogStatusView;
  restore(): T.CatalogStatusView;
}

/** `offline`: every check fails as if the network were down. */
export function createFakeCatalog(now: number, offline = false): FakeCatalog {
  let active: Ref = BUNDLED;
  let previous: Ref | null = null;
  let pending = false;
  let url: string | null = null;
  let lastChecked: string | null = null;
  let lastError: string | null = null;
  let appliedAt: string | null = null;

  const age = (published: string) => Math.max(0, Math.floor((now - Date.parse(`${published}T00:00:00Z`)) / 86_400_000));
  const status = (): T.CatalogStatusView => ({
    version: active.version,
    published: active.published,
    age_days: age(active.published),
    origin: active.bundled ? 'bundled' : 'feed',
    bundled_version: BUNDLED.version,
    feed_url: url ?? DEFAULT_FEED,
    default_feed_url: DEFAULT_FEED,
    last_checked_at: lastChecked,
    last_check_error: lastError,
    pending: pending ? { ...DIFF, from_version: active.version, from_published: active.published } : null,
    previous: previous ? { ...previous } : null,
    applied_at: appliedAt,
  });

  return {
    status,
    setUrl(u) {
      const v = u?.trim() || null;
      if (v && !/^https:\/\/|^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(v)) {
        throw engineError('feed_url_not_https', { url: v });
      }
      url = v;
      pending = false;
      return status();
    },
    check() {
      lastChecked = new Date(now).toISOString();
      if (offline) {
        lastError = `cannot reach the catalog feed at ${url ?? DEFAULT_FEED} (offline). Proofsheet keeps using the prices it has; check your connection or the feed URL in Settings → Catalog.`;
        throw new ApiError('provider', lastError);
      }
      lastError = null;
      const feed = url ?? DEFAULT_FEED;
      if (active.version === UPDATE.version) {
        pending = false;
        return { outcome: 'up_to_date', feed_url: feed, diff: null, message: `The catalog in use (${active.version}) is the newest.` };
      }
      pending = true;
      return {
        outcome: 'update_available', feed_url: feed, diff: status().pending,
        message: `Catalog ${UPDATE.version} (published ${UPDATE.published}) is available; review the changes, then apply.`,
      };
    },
    apply(version) {
      if (!pending) throw new ApiError('validation', `nothing to apply: the catalog in use (${active.version}) is the feed's newest`);
      if (version !== UPDATE.version) throw new ApiError('validation', `the update waiting is ${UPDATE.version}, not ${version}; check again and review it before applying`);
      previous = active;
      active = UPDATE;
      pending = false;
      appliedAt = new Date(now).toISOString();
      return status();
    },
    restore() {
      if (!previous) throw new ApiError('not_found', 'no previous catalog to restore: no update has been applied');
      [active, previous] = [previous, active];
      appliedAt = new Date(now).toISOString();
      return status();
    },
  };
}
