// What the real engine says, recorded by `tests/ipc/fake_fixtures.rs` from the bundled
// catalog (regenerate with `make bindings`; a stale copy fails that test). The fake
// answers from these instead of inventing offers, prices, limits or error texts.
import offersJson from '../fixtures/offers.json';
import estimatesJson from '../fixtures/estimates.json';
import engineJson from '../fixtures/engine.json';
import inputsJson from '../fixtures/inputs.json';
import { ApiError } from '../backend';
import type * as T from '../types';

interface RecordedError {
  kind: T.AppErrorKind;
  message: string;
  [more: string]: unknown;
}

/** What the engine knows of each provider (`engine::provider_facts`). */
export interface ProviderFacts {
  provider: T.ProviderId;
  lists_models: boolean;
  lists_without_key: boolean;
  imports_prices: boolean;
  polls_for_result: boolean;
}

interface Recorded {
  keyed_providers: T.ProviderId[];
  providers: ProviderFacts[];
  limits: { min_side: number; max_side: number; min_n: number; max_n: number };
  errors: Record<string, RecordedError>;
  over_budget: { offer_id: string; budget_usd: string; events: T.JobEvent[] };
  submit_prompt_empty: { events: T.JobEvent[] };
  settings: T.SettingsView;
  catalog_status: T.CatalogStatusView;
  size_presets: T.SizePreset[];
  new_project: T.ProjectView;
}

export interface RecordedEstimates {
  params: T.StoredParams;
  estimates: T.OfferEstimate[];
}

export const OFFERS = offersJson as unknown as T.OfferView[];
export const ESTIMATES = estimatesJson as unknown as RecordedEstimates[];
export const ENGINE = engineJson as unknown as Recorded;
export const LIMITS = ENGINE.limits;
/** Image inputs (issue 15): the engine's estimates of an edit (1 and 4 inputs), an inpaint
 *  and an upscale on every offer, what it answered to imports, and its refusals of bad inputs. */
export const INPUTS = inputsJson as unknown as { errors: Record<string, RecordedError>; estimates: RecordedEstimates[] };

/** Provider ids of the real catalog, in its order. */
export const PROVIDERS = [...new Set(ENGINE.settings.endpoints.map((e) => e.provider))];
/** Providers that had keys when the fixtures were recorded, in the recorder's order. */
export const KEYED = ENGINE.keyed_providers;

/** Provider and model of a recorded catalog offer (`offerId` must be one). */
export function offerOf(offerId: string): { provider: T.ProviderId; model: string } {
  const o = OFFERS.find((x) => x.offer_id === offerId);
  if (!o) throw new Error(`no recorded offer "${offerId}" (see tests/ipc/fake_fixtures.rs)`);
  return { provider: o.provider as T.ProviderId, model: o.model };
}

/** The engine's facts about `provider`. */
export function factsOf(provider: T.ProviderId | string): ProviderFacts | undefined {
  return ENGINE.providers.find((f) => f.provider === provider);
}

/** The engine's own error for `name`, with its `{slots}` filled in. */
export function engineError(name: string, slots: Record<string, string | number> = {}): ApiError {
  const e = ENGINE.errors[name] ?? INPUTS.errors[name];
  if (!e) throw new Error(`no recorded engine error "${name}" (see tests/ipc/fake_fixtures.rs)`);
  const { kind, message: text, ...rest } = e;
  const message = text.replace(/\{(\w+)\}/g, (m, k: string) => (k in slots ? String(slots[k]) : m));
  // Whatever else the engine's error carries (e.g. the field it concerns) comes along.
  return Object.assign(new ApiError(kind, message), rest);
}

export function clone<X>(x: X): X {
  return x === undefined ? x : (JSON.parse(JSON.stringify(x)) as X);
}
