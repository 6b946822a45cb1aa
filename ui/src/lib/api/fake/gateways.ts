// The browser fake's named gateways: kept in memory, secrets never returned.
import type { Backend } from '../backend';
import { engineError } from './fixtures';
import type * as T from '../types';

type Call = <R>(name: keyof Backend, f: () => R) => Promise<R>;

const NAME = /^[A-Za-z0-9_-]{1,40}$/;

export function fakeGateways(call: Call, changed: (topic: T.DataTopic) => void, offerIds: () => string[]) {
  const gateways = new Map<string, T.GatewayView>();
  const secretsSet = new Map<string, Set<string>>();

  function view(input: T.GatewayInput, prev: T.GatewayView | undefined): T.GatewayView {
    const set = secretsSet.get(input.name) ?? new Set<string>();
    for (const h of input.headers) if (h.secret && h.value) set.add(h.name.toLowerCase());
    if (input.key) set.add('__key__');
    secretsSet.set(input.name, set);
    return {
      name: input.name,
      base_url: input.base_url.replace(/\/+$/, ''),
      dialect: input.dialect,
      headers: input.headers.map((h) => ({
        name: h.name.toLowerCase(),
        value: h.secret ? null : (h.value ?? null),
        secret: h.secret,
        secret_set: h.secret && set.has(h.name.toLowerCase()),
      })),
      models: input.models.map((m) => ({
        name: m.name,
        offer_id: `gateway:${input.name}/${m.name}`,
        bound_offer: m.offer_id ?? null,
        pricing: m.offer_id ? 'bound' : input.price_per_image_usd ? 'flat' : 'unknown',
        tier: 'final',
      })),
      markup_percent: input.markup_percent ?? null,
      markup_per_image_usd: input.markup_per_image_usd ?? null,
      price_per_image_usd: input.price_per_image_usd ?? null,
      cost_header: input.cost_header ?? null,
      cost_json_path: input.cost_json_path ?? null,
      key_set: set.has('__key__') || (prev?.key_set ?? false),
    };
  }

  const methods: Pick<Backend, 'gatewayList' | 'gatewaySave' | 'gatewayRemove' | 'gatewayTest'> = {
    gatewayList: () => call('gatewayList', () => [...gateways.values()]),
    gatewaySave: (input) => call('gatewaySave', () => {
      if (!NAME.test(input.name)) throw engineError('gateway_bad_name', { name: input.name });
      if (!/^https?:\/\/.{3,}/.test(input.base_url.trim())) throw engineError('gateway_bad_url', { url: input.base_url });
      for (const m of input.models) {
        if (m.offer_id && !offerIds().includes(m.offer_id)) throw engineError('gateway_unknown_offer', { model: m.name, offer_id: m.offer_id });
      }
      const v = view(input, gateways.get(input.name));
      gateways.set(input.name, v);
      changed('settings');
      return v;
    }),
    gatewayRemove: (name) => call('gatewayRemove', () => {
      if (!gateways.delete(name)) throw engineError('gateway_not_found', { name });
      secretsSet.delete(name);
      changed('settings');
    }),
    gatewayTest: (name) => call('gatewayTest', () => {
      const g = gateways.get(name);
      if (!g) throw engineError('gateway_not_found', { name });
      const served = g.models.filter((m) => m.bound_offer).map((m) => m.name);
      const missing = g.models.filter((m) => !m.bound_offer).map((m) => m.name);
      return {
        name, reachable: true, key_accepted: g.key_set, served, missing, listed: served.length,
        message: g.key_set ? `reachable; key accepted; ${served.length} model${served.length === 1 ? '' : 's'} listed` : 'the gateway refused the key (HTTP 401)',
      };
    }),
  };
  return methods;
}
