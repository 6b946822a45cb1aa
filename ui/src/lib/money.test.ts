import { describe, expect, it } from 'vitest';
import { addUsd, cmpUsd, formatUsd, fractionToPercent, mulUsd, percentToFraction, subUsd } from './money';

describe('formatUsd', () => {
  it('never rounds away small amounts', () => {
    expect(formatUsd('0.0042')).toBe('$0.0042');
    expect(formatUsd('0.00001')).toBe('$0.00001');
    expect(formatUsd('0.0000004217')).toBe('$0.00000042');
  });
  it('shows at least two decimals and trims trailing zeros', () => {
    expect(formatUsd('0.04')).toBe('$0.04');
    expect(formatUsd('0.0400000')).toBe('$0.04');
    expect(formatUsd('50')).toBe('$50.00');
    expect(formatUsd('31.2')).toBe('$31.20');
    expect(formatUsd('0')).toBe('$0.00');
  });
  it('keeps six decimals and groups thousands', () => {
    expect(formatUsd('0.041666666666')).toBe('$0.041667');
    expect(formatUsd('12345.5')).toBe('$12,345.50');
  });
  it('handles signs and bad input', () => {
    expect(formatUsd('-0.02')).toBe('−$0.02');
    expect(formatUsd('0.02', { sign: true })).toBe('+$0.02');
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd('abc')).toBe('—');
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
