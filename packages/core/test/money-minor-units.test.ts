import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Currency, MAX_AMOUNT, Money, MoneyError, formatAmount, parseAmount } from '../src/index.js';

describe('money in integer minor units', () => {
  it('parses what cashiers type, without floats', () => {
    expect(parseAmount('12', Currency.HKD)).toBe(1200);
    expect(parseAmount('12.5', Currency.HKD)).toBe(1250);
    expect(parseAmount('HK$1,234.05', Currency.HKD)).toBe(123405);
    expect(parseAmount('0.29', Currency.HKD)).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
  });
  it.each(['', '-1', '1.234', '1e3', 'abc', '1.2.3', ' . '])('refuses %j', (text) => {
    expect(() => parseAmount(text, Currency.HKD)).toThrow(MoneyError);
  });
  it('formats for people', () => {
    expect(formatAmount(123450, Currency.HKD)).toBe('HK$1,234.50');
    expect(formatAmount(5, Currency.HKD)).toBe('HK$0.05');
  });
  it('throws on currency mismatch, negatives, floats and overflow', () => {
    expect(() => new Money(1.5, Currency.HKD)).toThrow(MoneyError);
    expect(() => new Money(MAX_AMOUNT + 1, Currency.HKD)).toThrow(MoneyError);
    expect(() => new Money(1, 840 as Currency)).toThrow(MoneyError);
    expect(() => new Money(1, Currency.HKD).subtract(new Money(2, Currency.HKD))).toThrow(MoneyError);
    expect(() => new Money(MAX_AMOUNT, Currency.HKD).add(new Money(1, Currency.HKD))).toThrow(MoneyError);
  });
  it('format and parse are inverse on every amount', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_AMOUNT }),
        (m) => parseAmount(formatAmount(m, Currency.HKD), Currency.HKD) === m,
      ),
    );
  });
});
