/** ISO 4217 numeric currency codes the scheme knows. Amounts are integer minor units (HKD: cents). */
export const Currency = { HKD: 344 } as const;
export type Currency = (typeof Currency)[keyof typeof Currency];

const MINOR_DIGITS: Readonly<Record<number, number>> = { 344: 2 };
const SYMBOL: Readonly<Record<number, string>> = { 344: 'HK$' };

/**
 * Largest amount any message may carry, in minor units: HK$10,000,000,000.00 (10^12 cents).
 * Far above any card or batch figure, far below 2^53, so sums of millions of amounts stay exact.
 */
export const MAX_AMOUNT = 1_000_000_000_000;

/** Error for misuse of money values (mixing currencies, floats, out-of-range amounts). */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

/** True if `code` is a currency this scheme supports. */
export function isSupportedCurrency(code: number): code is Currency {
  return MINOR_DIGITS[code] !== undefined;
}

/**
 * Checks that `minor` is an integer amount in 0..MAX_AMOUNT.
 * @throws MoneyError for floats, negatives and out-of-range values (misuse).
 */
export function assertAmount(minor: number): number {
  if (!Number.isSafeInteger(minor) || minor < 0 || minor > MAX_AMOUNT)
    throw new MoneyError(`not an amount in minor units: ${minor}`);
  return minor;
}

/**
 * An amount of one currency. Arithmetic across currencies throws; results stay within bounds.
 * @example new Money(1250, Currency.HKD).add(new Money(50, Currency.HKD)).format() // 'HK$13.00'
 */
export class Money {
  constructor(
    readonly minor: number,
    readonly currency: Currency,
  ) {
    assertAmount(minor);
    if (!isSupportedCurrency(currency)) throw new MoneyError(`unsupported currency ${currency}`);
  }

  /** @throws MoneyError on currency mismatch or overflow past MAX_AMOUNT. */
  add(other: Money): Money {
    this.sameCurrency(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  /** @throws MoneyError on currency mismatch or a negative result. */
  subtract(other: Money): Money {
    this.sameCurrency(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  /** Human form, e.g. 'HK$1,234.50'. */
  format(): string {
    return formatAmount(this.minor, this.currency);
  }

  private sameCurrency(other: Money): void {
    if (other.currency !== this.currency)
      throw new MoneyError(`currency mismatch: ${this.currency} vs ${other.currency}`);
  }
}

/**
 * Formats minor units for people: formatAmount(123450, 344) === 'HK$1,234.50'.
 * @throws MoneyError for unsupported currencies or invalid amounts.
 */
export function formatAmount(minor: number, currency: number): string {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new MoneyError(`unsupported currency ${currency}`);
  const sign = minor < 0 ? '-' : '';
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`not an integer amount: ${minor}`);
  const abs = Math.abs(minor);
  const unit = 10 ** digits;
  const whole = Math.floor(abs / unit).toLocaleString('en-US');
  const frac = String(abs % unit).padStart(digits, '0');
  return `${sign}${SYMBOL[currency] ?? ''}${whole}${digits > 0 ? `.${frac}` : ''}`;
}

/**
 * Parses a decimal amount typed by a person ('12', '12.5', '12.50', 'HK$1,234.50') into minor units, without floats.
 * @throws MoneyError if it is not a non-negative decimal with at most the currency's minor digits.
 * @example parseAmount('12.50', 344) // 1250
 */
export function parseAmount(text: string, currency: number): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new MoneyError(`unsupported currency ${currency}`);
  const cleaned = text.trim().replace(/^HK\$/i, '').replaceAll(',', '');
  const m = /^(\d{1,13})(?:\.(\d+))?$/.exec(cleaned);
  if (m === null) throw new MoneyError(`not an amount: '${text}'`);
  const frac = m[2] ?? '';
  if (frac.length > digits) throw new MoneyError(`'${text}' has more than ${digits} decimal places`);
  return assertAmount(Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0'));
}
