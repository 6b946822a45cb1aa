// The fake's projects, keys, settings, negotiated rates and catalog import, refusing
// what the engine refuses with the engine's recorded words.
import { cmpUsd } from '../../money';
import { ApiError, type Backend } from '../backend';
import type * as T from '../types';
import { ENGINE, KEYED, OFFERS, engineError } from './fixtures';
import type { World } from './world';

type SettingsMethods = Pick<Backend, 'projectList' | 'projectShow' | 'projectSave' | 'projectRename' | 'projectArchive' |
  'keysList' | 'keysSet' | 'keysDelete' | 'keysTest' | 'settingsGet' | 'settingsSave' | 'settingsSetOverrides' | 'settingsImportCatalog'>;

const JOBS = (ENGINE as unknown as { max_concurrent_jobs: { min: number; max: number } }).max_concurrent_jobs;
const CALLS = (ENGINE as unknown as { max_calls_per_provider: { min: number; max: number } }).max_calls_per_provider;

export function fakeSettings(w: World): SettingsMethods {
  const { call } = w;
  const unknownOffers = (ids: string[]) => ids.filter((id) => !OFFERS.some((o) => o.offer_id === id));

  return {
    projectList: () => call('projectList', () => [...w.projects.values()].map((p) => p.view)),
    projectShow: (name) => call('projectShow', () => w.getProject(name)),
    projectSave: (input) => call('projectSave', () => {
      const name = input.name.trim();
      if (!name) throw engineError('project_name_empty');
      if (input.budget_usd != null && cmpUsd(input.budget_usd, '0') < 0) throw engineError('project_budget_negative');
      for (const [what, chain] of [['draft', input.draft_chain], ['final', input.final_chain]] as const) {
        const unknown = unknownOffers(chain);
        if (unknown.length) throw engineError('project_chain_unknown', { what, offers: unknown.join(', ') });
      }
      const prev = w.projects.get(name)?.view;
      const v = w.mkProject(name, {
        ...(prev ?? {}), client: input.client ?? null, budget_usd: input.budget_usd ?? null, period: input.period, hard: input.hard,
        // An empty list means the engine's default thresholds.
        warn_at: input.warn_at.length ? input.warn_at : ENGINE.new_project.warn_at, draft_chain: input.draft_chain, final_chain: input.final_chain,
        allow_safety_fallback: input.allow_safety_fallback, preflight_moderation: input.preflight_moderation, final_quality: input.final_quality ?? null,
      });
      w.projects.set(v.name, { view: v });
      w.refresh(v.name);
      w.changed('projects');
      return v;
    }),
    projectRename: (name, newName) => call('projectRename', () => {
      const p = w.projects.get(name);
      const next = newName.trim();
      if (!p) throw engineError('project_not_found', { name });
      if (!next) throw engineError('project_name_empty');
      if (next !== name && w.projects.has(next)) throw engineError('project_name_taken', { name: next });
      w.projects.delete(name);
      p.view = { ...p.view, name: next };
      w.projects.set(next, p);
      for (const g of w.gens) if (g.item.project === name) g.item.project = next;
      w.changed('projects');
      return p.view;
    }),
    projectArchive: (name, archived) => call('projectArchive', () => {
      const p = w.projects.get(name);
      if (!p) throw engineError('project_not_found', { name });
      p.view = { ...p.view, archived };
      w.changed('projects');
      return p.view;
    }),
    keysList: () => call('keysList', () => [...w.keys.values()]),
    keysSet: (provider, secret) => call('keysSet', () => {
      const key = secret.trim();
      if (!key) throw engineError('key_empty');
      if (/\s|\p{Cc}/u.test(key)) throw engineError('key_has_spaces');
      const k: T.KeyView = { provider, added_at: new Date().toISOString(), last4: key.slice(-4), source: 'keychain' };
      w.keys.set(provider, k);
      w.changed('keys');
      return k;
    }),
    keysDelete: (provider) => call('keysDelete', () => { w.keys.delete(provider); w.changed('keys'); }),
    keysTest: (provider) => call('keysTest', () => {
      if (!w.keys.has(provider)) throw new ApiError('not_found', `No key stored for ${provider}.`);
      // The demo's story by the seeded keys' order: the 4th key was revoked, the 5th
      // provider is unreachable, the 2nd reports a balance.
      const at = KEYED.indexOf(provider);
      if (at === 3) return { provider, status: 'invalid', balance: null, message: '401 Unauthorized — the key was revoked or mistyped.' };
      if (at === 4) return { provider, status: 'unreachable', balance: null, message: `Could not reach ${provider} (timed out after 10 s).` };
      return { provider, status: 'valid', balance: at === 1 ? '42.17' : null, message: 'Key accepted.' };
    }),
    settingsGet: () => call('settingsGet', () => w.settings),
    settingsSave: (input) => call('settingsSave', () => {
      for (const e of input.endpoints) {
        const url = e.base_url?.trim();
        if (url && (!/^https?:\/\//.test(url) || url.length < 10)) throw engineError('settings_bad_base_url', { url: e.base_url ?? '', owner: e.provider });
      }
      const calls = input.max_calls_per_provider ?? w.settings.max_calls_per_provider;
      // The engine refuses a per-provider cap out of range (the job cap it clamps).
      if (!Number.isInteger(calls) || calls < CALLS.min || calls > CALLS.max) throw engineError('settings_calls_out_of_range', { got: calls });
      w.settings = {
        ...w.settings, max_concurrent_jobs: Math.min(JOBS.max, Math.max(JOBS.min, input.max_concurrent_jobs)),
        max_calls_per_provider: calls,
        endpoints: input.endpoints.map((e) => ({ provider: e.provider, base_url: e.base_url ?? null, default_base_url: e.default_base_url, env_base_url: null })),
        gateways: input.gateways.map((g) => ({ ...g, price_per_image_usd: g.price_per_image_usd ?? null })),
      };
      w.changed('settings');
      return w.settings;
    }),
    settingsSetOverrides: (o) => call('settingsSetOverrides', () => {
      for (const x of o) {
        if (unknownOffers([x.offer_id]).length) throw engineError('override_unknown_offer', { offer_id: x.offer_id });
        if (!/^\d+(\.\d+)?$/.test(x.multiplier) || cmpUsd(x.multiplier, '0') <= 0) throw engineError('override_multiplier_zero', { offer_id: x.offer_id });
      }
      w.overrides = o.filter((x) => x.price_cap_usd || cmpUsd(x.multiplier, '1') !== 0).map((x) => ({ ...x, price_cap_usd: x.price_cap_usd ?? null }));
      w.settings = { ...w.settings, price_overrides: w.overrides.map((x) => ({ ...x, price_cap_usd: x.price_cap_usd ?? null })) };
    }),
    settingsImportCatalog: (json) => call('settingsImportCatalog', () => importCatalog(json)),
  };
}

/** The fake does not parse catalogs: it refuses what the engine refused when recorded, and
 *  accepts a document shaped like the real catalog (version, offers with id and formula). */
function importCatalog(json: string): T.CatalogImportReport {
  let doc: { version?: unknown; offers?: unknown };
  try {
    doc = JSON.parse(json) as typeof doc;
  } catch {
    throw engineError('catalog_not_json');
  }
  const offers = Array.isArray(doc?.offers) ? (doc.offers as Record<string, unknown>[]) : null;
  const real = typeof doc?.version === 'string' && offers?.every((o) => typeof o?.id === 'string' && o?.formula != null);
  if (!real || !offers) throw engineError('catalog_invented_schema');
  return { version: doc.version as string, offers: offers.length };
}
