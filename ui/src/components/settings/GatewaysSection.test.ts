import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import GatewaysSection from './GatewaysSection.svelte';
import { setBackend } from '../../lib/api';
import { createFakeBackend } from '../../lib/api/fake';
import { app } from '../../lib/app/state.svelte';

describe('Settings → Gateways', () => {
  afterEach(() => cleanup());

  it('adds a Portkey gateway with a secret header and a bound model, never shows the secret, tests it', async () => {
    const b = createFakeBackend();
    setBackend(b);
    await app.loadOffers();
    const bound = app.offers.find((o) => o.provider === 'openai') ?? app.offers[0];
    render(GatewaysSection);
    await fireEvent.click(screen.getByTestId('gateway-add'));
    await fireEvent.input(screen.getByTestId('gw-name'), { target: { value: 'portkey' } });
    await fireEvent.input(screen.getByTestId('gw-url'), { target: { value: 'http://127.0.0.1:8787/v1' } });
    await fireEvent.input(screen.getByTestId('gw-key'), { target: { value: 'sk-upstream-supersecret-9999' } });
    await fireEvent.click(screen.getByText('+ Header'));
    await fireEvent.input(screen.getByLabelText('Header name'), { target: { value: 'x-portkey-api-key' } });
    await fireEvent.click(screen.getByLabelText('secret'));
    await fireEvent.input(screen.getByLabelText('Secret header value'), { target: { value: 'pk-hidden-value-1234' } });
    await fireEvent.input(screen.getByTestId('gw-model-0'), { target: { value: 'gpt-image-2' } });
    await fireEvent.change(screen.getByTestId('gw-offer-0'), { target: { value: bound.offer_id } });
    await fireEvent.input(screen.getByTestId('gw-markup'), { target: { value: '5' } });
    await fireEvent.click(screen.getByTestId('gw-save'));
    await waitFor(() => expect(screen.getByTestId('gateway-portkey')).toBeTruthy());
    const row = screen.getByTestId('gateway-portkey').textContent ?? '';
    expect(row).toContain('gateway:portkey/gpt-image-2');
    expect(row).toContain(bound.offer_id);
    expect(row).toContain('+5%');
    expect(row).toContain('x-portkey-api-key (secret)');
    expect(document.body.textContent).not.toContain('supersecret');
    expect(document.body.textContent).not.toContain('pk-hidden');
    const saved = await b.gatewayList();
    expect(JSON.stringify(saved)).not.toContain('pk-hidden');
    expect(saved[0].key_set).toBe(true);

    await fireEvent.click(screen.getByTestId('gateway-test-portkey'));
    await waitFor(() => expect(screen.getByTestId('gateway-result-portkey').textContent).toMatch(/Reachable · key accepted · serves gpt-image-2/));
  });

  it('says honestly what a Portkey test could check: headers accepted, no model list', async () => {
    const b = createFakeBackend();
    setBackend(b);
    await app.loadOffers();
    await b.gatewaySave({
      name: 'pk', base_url: 'http://127.0.0.1:8787/v1', dialect: 'images', key: null,
      headers: [{ name: 'x-portkey-provider', value: 'openai', secret: false }],
      models: [{ name: 'gpt-image-2', offer_id: null }], markup_percent: null, markup_per_image_usd: null,
      price_per_image_usd: null, cost_header: null, cost_json_path: null,
    });
    // What the engine answers for Portkey 1.15.2 (checked against the real gateway).
    b.gatewayTest = async (name) => ({
      name, reachable: true, key_accepted: null, served: [], missing: [], listed: 0,
      message: 'headers accepted by Portkey; it relays no model list (HTTP 500: Something went wrong), so the key and the models are checked by the first generation',
    });
    render(GatewaysSection);
    await waitFor(() => expect(screen.getByTestId('gateway-pk')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('gateway-test-pk'));
    await waitFor(() => expect(screen.getByTestId('gateway-result-pk').textContent).toMatch(/^Reachable · headers accepted by Portkey/));
    const shown = screen.getByTestId('gateway-result-pk').textContent ?? '';
    expect(shown).toContain('checked by the first generation');
    expect(shown).not.toMatch(/not listed|key not checked|none of the mapped models/);
  });

  it('says why a bad gateway is refused', async () => {
    setBackend(createFakeBackend());
    await app.loadOffers();
    render(GatewaysSection);
    await fireEvent.click(screen.getByTestId('gateway-add'));
    await fireEvent.input(screen.getByTestId('gw-name'), { target: { value: 'bad name' } });
    await fireEvent.input(screen.getByTestId('gw-url'), { target: { value: 'http://127.0.0.1:4000/v1' } });
    await fireEvent.click(screen.getByTestId('gw-save'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/letters, digits/));
  });
});

describe('an attempt through a gateway', () => {
  afterEach(() => cleanup());

  it('shows the gateway-reported cost beside the charge', async () => {
    const { default: AttemptCharge } = await import('../common/AttemptCharge.svelte');
    render(AttemptCharge, { props: { a: { billed: true, cost_usd: '0.033369', gateway_reported_usd: '0.042' } } });
    expect(screen.getByTestId('attempt-charge').textContent).toContain('$0.033');
    expect(screen.getByTestId('attempt-gateway-reported').textContent).toBe('gateway reported $0.0420');
  });
});
