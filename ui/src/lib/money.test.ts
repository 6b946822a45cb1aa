import { describe, expect, it } from 'vitest';
import { addUsd, cmpUsd, formatPrice, formatUsd, fractionToPercent, mulUsd, percentToFraction, shareUsd, subUsd } from './money';

describe('formatUsd (budgets, totals, invoices: cents)', () => {
  it('rounds to cents and groups thousands', () => {
    expect(formatUsd('0.496696')).toBe('$0.50');
    expect(formatUsd('0.5')).toBe('$0.50');
    expect(formatUsd('50')).toBe('$50.00');
    expect(formatUsd('1000.5')).toBe('$1,000.50');
    expect(formatUsd('12345.555')).toBe('$12,345.56');
    expect(formatUsd('0')).toBe('$0.00');
  });
  it('never shows a non-zero amount as $0.00', () => {
    expect(formatUsd('0.002216')).toBe('< $0.01');
    expect(formatUsd('0.0049')).toBe('< $0.01');
    expect(formatUsd('0.005')).toBe('$0.01');
  });
  it('handles signs and bad input', () => {
    expect(formatUsd('-1.171811')).toBe('−$1.17');
    expect(formatUsd('0.02', { sign: true })).toBe('+$0.02');
    expect(formatUsd('0', { sign: true })).toBe('$0.00');
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd('abc')).toBe('—');
  });
});

describe('formatPrice (per-image and per-request prices)', () => {
  it('keeps four decimals so columns align', () => {
    expect(formatPrice('0.005')).toBe('$0.0050');
    expect(formatPrice('0.005024')).toBe('$0.0050');
    expect(formatPrice('0.0423')).toBe('$0.0423');
    expect(formatPrice('0.134424')).toBe('$0.1344');
    expect(formatPrice('1.2')).toBe('$1.2000');
    expect(formatPrice('0')).toBe('$0.0000');
  });
  it('never rounds a non-zero price to zero', () => {
    expect(formatPrice('0.00001')).toBe('< $0.0001');
    expect(formatPrice('0.00005')).toBe('$0.0001');
  });
  it('shows a dash for what cannot be priced', () => {
    expect(formatPrice(null)).toBe('—');
    expect(formatPrice('')).toBe('—');
  });
  it('states a tiny amount the right way round, and a tiny difference as about zero', () => {
    expect(formatPrice('-0.00001')).toBe('> −$0.0001');
    expect(formatPrice('0.00001')).toBe('< $0.0001');
    expect(formatPrice('-0.00001', { sign: true })).toBe('≈ $0.0000');
    expect(formatUsd('-0.001')).toBe('> −$0.01');
    expect(formatUsd('0.001', { sign: true })).toBe('≈ $0.00');
  });

  it('signs differences', () => {
    expect(formatPrice('0.008769', { sign: true })).toBe('+$0.0088');
    expect(formatPrice('-0.0027')).toBe('−$0.0027');
  });
});

describe('shareUsd', () => {
  it('splits a job cost evenly across its images', () => {
    expect(formatPrice(shareUsd('0.006568', 3))).toBe('$0.0022');
    expect(shareUsd('0.03', 3)).toBe('0.01');
    expect(shareUsd('0.03', 1)).toBe('0.03');
  });
});

describe('decimal arithmetic', () => {
  it('adds without float error', () => {
    expect(addUsd('0.1', '0.2')).toBe('0.3');
    expect(addUsd('0.0042', '0.0042', '0.0042')).toBe('0.0126');
    expect(subUsd('50', '31.2')).toBe('18.8');
    expect(mulUsd('0.04', '3')).toBe('0.12');
    expect(cmpUsd('0.0042', '0.004')).toBe(1);
    expect(cmpUsd('0.040', '0.04')).toBe(0);
  });
  it('converts thresholds', () => {
    expect(fractionToPercent('0.8')).toBe('80%');
    expect(fractionToPercent('0.125')).toBe('12.5%');
    expect(fractionToPercent('1')).toBe('100%');
    expect(percentToFraction('80')).toBe('0.8');
    expect(percentToFraction('12.5')).toBe('0.125');
  });
});
