// Exact decimal arithmetic on the `_usd` strings (BigInt scaled integers).
// Floats are allowed only for chart geometry (see `toFloat`), never for shown amounts.

export interface Dec {
  /** value = v / 10^s */
  v: bigint;
  s: number;
}

const RE = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/;

export function parseDec(x: string | null | undefined): Dec | null {
  if (x == null) return null;
  const m = RE.exec(String(x));
  if (!m || (!m[2] && !m[3])) return null;
  const frac = m[3] ?? '';
  let v = BigInt((m[2] || '0') + frac);
  if (m[1] === '-') v = -v;
  return { v, s: frac.length };
}

export function dec(x: string | null | undefined): Dec {
  return parseDec(x) ?? { v: 0n, s: 0 };
}

const P10 = (n: number) => 10n ** BigInt(n);

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.s, b.s);
  return [a.v * P10(s - a.s), b.v * P10(s - b.s), s];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, s] = align(a, b);
  return { v: x + y, s };
}
export function sub(a: Dec, b: Dec): Dec {
  const [x, y, s] = align(a, b);
  return { v: x - y, s };
}
export function mul(a: Dec, b: Dec): Dec {
  return { v: a.v * b.v, s: a.s + b.s };
}
export function cmp(a: Dec, b: Dec): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}
export function isZero(a: Dec): boolean {
  return a.v === 0n;
}

/** Half-up (away from zero) rounding to `places` decimals. */
export function round(a: Dec, places: number): Dec {
  if (a.s <= places) return a;
  const div = P10(a.s - places);
  const neg = a.v < 0n;
  const abs = neg ? -a.v : a.v;
  let q = abs / div;
  if ((abs % div) * 2n >= div) q += 1n;
  return { v: neg ? -q : q, s: places };
}

/** Canonical string, trailing zeros trimmed ("0.0420" → "0.042"). */
export function toStr(a: Dec): string {
  const neg = a.v < 0n;
  let digits = (neg ? -a.v : a.v).toString().padStart(a.s + 1, '0');
  let int = digits.slice(0, digits.length - a.s);
  let frac = a.s ? digits.slice(digits.length - a.s) : '';
  frac = frac.replace(/0+$/, '');
  int = int.replace(/^0+(?=\d)/, '');
  digits = frac ? `${int}.${frac}` : int;
  return neg && (a.v !== 0n) ? `-${digits}` : digits;
}

export function addUsd(...xs: (string | null | undefined)[]): string {
  return toStr(xs.reduce<Dec>((acc, x) => add(acc, dec(x)), { v: 0n, s: 0 }));
}
export function subUsd(a: string, b: string): string {
  return toStr(sub(dec(a), dec(b)));
}
export function mulUsd(a: string, b: string): string {
  return toStr(mul(dec(a), dec(b)));
}
export function cmpUsd(a: string | null | undefined, b: string | null | undefined): -1 | 0 | 1 {
  return cmp(dec(a), dec(b));
}

/** For bar widths and chart geometry only. */
export function toFloat(x: string | null | undefined): number {
  const n = Number(x);
  return Number.isFinite(n) ? n : 0;
}

function groupThousands(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function body(d: Dec, places: number): string {
  const s = toStr(d);
  const [int, frac = ''] = s.split('.');
  return `$${groupThousands(int)}${places ? `.${frac.padEnd(places, '0')}` : ''}`;
}

/** A non-zero amount too small to show: a difference reads "≈ $0.00"; otherwise the bound
 * is stated the right way round ("< $0.01", "> −$0.01"). */
function tiny(neg: boolean, zero: string, unit: string, sign: boolean): string {
  if (sign) return `≈ ${zero}`;
  return neg ? `> −${unit}` : `< ${unit}`;
}

function signed(neg: boolean, text: string, sign: boolean): string {
  if (neg) return `−${text}`;
  return sign ? `+${text}` : text;
}

/**
 * One money rule for the whole window (issue 12, item 5).
 *
 * `formatUsd` — budgets, totals, spend, invoices: cents ("$0.50", "$1,000.50").
 * A non-zero amount under half a cent never reads "$0.00": it shows "< $0.01".
 */
export function formatUsd(x: string | null | undefined, opts: { sign?: boolean } = {}): string {
  const d = parseDec(x);
  if (!d) return '—';
  const neg = d.v < 0n;
  const abs: Dec = { v: neg ? -d.v : d.v, s: d.s };
  if (isZero(abs)) return '$0.00';
  const cents = round(abs, 2);
  if (isZero(cents)) return tiny(neg, '$0.00', '$0.01', !!opts.sign);
  return signed(neg, body(cents, 2), !!opts.sign);
}

/** Places used for per-image and per-request prices: "$0.0050", "$0.0423", "$1.2000". */
export const PRICE_PLACES = 4;

/**
 * `formatPrice` — per-image and per-request prices in tables: four decimals so a
 * column lines up and a non-zero price never reads "$0.00"; below $0.0001 it shows
 * "< $0.0001". Unpriceable (null, empty, garbage) is "—".
 */
export function formatPrice(x: string | null | undefined, opts: { sign?: boolean } = {}): string {
  const d = parseDec(x);
  if (!d) return '—';
  const neg = d.v < 0n;
  const abs: Dec = { v: neg ? -d.v : d.v, s: d.s };
  if (isZero(abs)) return '$0.0000';
  const shown = round(abs, PRICE_PLACES);
  if (isZero(shown)) return tiny(neg, '$0.0000', '$0.0001', !!opts.sign);
  return signed(neg, body(shown, PRICE_PLACES), !!opts.sign);
}

/** An even share of a total across `n` images (exact; for per-image captions). */
export function shareUsd(total: string, n: number): string {
  if (!Number.isInteger(n) || n <= 1) return toStr(dec(total));
  const d = dec(total);
  // 10 extra places keep the share exact enough for any shown precision.
  const scaled = d.v * P10(10);
  return toStr({ v: scaled / BigInt(n), s: d.s + 10 });
}

/** "0.8" → "80%" for thresholds (exact, no floats). */
export function fractionToPercent(x: string): string {
  return `${toStr(shiftLeft(dec(x), 2))}%`;
}

function shiftLeft(d: Dec, places: number): Dec {
  return d.s >= places ? { v: d.v, s: d.s - places } : { v: d.v * P10(places - d.s), s: 0 };
}

/** "80" → "0.8" (percent text to the fraction the backend stores). */
export function percentToFraction(x: string): string {
  const d = dec(x);
  return toStr({ v: d.v, s: d.s + 2 });
}
