import type { KeyCheckView, ProviderId } from '../api';

/** Key test results live for the whole run, not just while Settings is open (issue 12 §1.19.7). */
class KeyChecks {
  byProvider = $state<Partial<Record<ProviderId, KeyCheckView | 'testing'>>>({});
  set(provider: ProviderId, v: KeyCheckView | 'testing') {
    this.byProvider = { ...this.byProvider, [provider]: v };
  }
  forget(provider: ProviderId) {
    const next = { ...this.byProvider };
    delete next[provider];
    this.byProvider = next;
  }
}

export const keyChecks = new KeyChecks();
