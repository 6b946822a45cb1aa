import { describe, expect, it } from 'vitest';
import type { OfferProvider } from './api';
import { humanize, modelName, providerName, withOfferNames } from './format';

const offers: { offer_id: string; provider: OfferProvider; model: string; display_name: string }[] = [
  { offer_id: 'openai:gpt-image-1-mini', provider: 'openai', model: 'gpt-image-1-mini', display_name: 'GPT Image 1 mini' },
  { offer_id: 'openai:gpt-image-1', provider: 'openai', model: 'gpt-image-1', display_name: 'GPT Image 1' },
];

describe('display names (issue 12 §2)', () => {
  it('names providers and models, never ids', () => {
    expect(providerName('a1111')).toBe('AUTOMATIC1111');
    expect(providerName('openai_compatible')).toBe('OpenAI-compatible gateway');
    expect(modelName(offers, 'openai/gpt-image-1')).toBe('GPT Image 1');
    expect(modelName(offers, 'openai:gpt-image-1-mini')).toBe('GPT Image 1 mini');
    expect(modelName(offers, 'a1111/local')).toBe('AUTOMATIC1111 local');
  });
  it('rewrites engine messages with names and says advice once', () => {
    expect(humanize('no offer in the chain can make this request (openai:gpt-image-1-mini: cannot make 1920×1080)', offers))
      .toBe('No offer in the chain can make this request (GPT Image 1 mini: cannot make 1920×1080)');
    expect(humanize("Blocked by openai's safety filter", offers)).toBe("Blocked by OpenAI's safety filter");
    expect(humanize("rejected by the safety system. — rephrase the prompt. Blocked by openai's safety filter — rephrase the prompt, or allow safety fallback", offers))
      .toBe("Rejected by the safety system. Blocked by OpenAI's safety filter — rephrase the prompt, or allow safety fallback");
    expect(humanize('quota — add credit. quota — add credit.', offers)).toBe('Quota — add credit.');
    expect(humanize('Not sent: this request needs up to $2.10726 but only $0.957802 is left of the $1 budget ($0.042198 spent, $0 held for jobs in flight).'))
      .toBe('Not sent: this request needs up to $2.11 but only $0.96 is left of the $1.00 budget ($0.0422 spent, $0.00 held for jobs in flight).');
  });
});

describe('engine messages read as plain text (issue 12 §2)', () => {
  it('turns developer back-ticks into quotes', () => {
    expect(humanize('gateway name `Studio LiteLLM` may only use letters, digits, - and _'))
      .toBe('Gateway name “Studio LiteLLM” may only use letters, digits, - and _');
    expect(humanize('catalog field `published`: missing')).toBe('Catalog field “published”: missing');
  });
});

describe('offer ids in notes (issue 12 §2)', () => {
  it('names the replacement offer instead of its id', () => {
    const offers = [{ offer_id: 'openai:gpt-image-2.5-sunburst', display_name: 'GPT Image 2.5 Sunburst' }];
    expect(withOfferNames('retiring on 2026-12-01, use openai:gpt-image-2.5-sunburst', offers))
      .toBe('retiring on 2026-12-01, use GPT Image 2.5 Sunburst');
  });
});

describe('withOfferNames on a reused offer list', () => {
  it('names offers the same on every call and follows a new list', () => {
    const offers = [{ offer_id: 'a:x', display_name: 'X' }, { offer_id: 'a:x-hd', display_name: 'X HD' }];
    for (let i = 0; i < 3; i++) expect(withOfferNames('use a:x-hd or a:x', offers)).toBe('use X HD or X');
    expect(withOfferNames('use a:x', [{ offer_id: 'a:x', display_name: 'Ex' }])).toBe('use Ex');
    expect(withOfferNames('', offers)).toBe('');
  });
});
