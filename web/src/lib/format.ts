/** Number, money, percentage and time formatting with Intl, in the user's locale. */

const DASH = "—";

function finite(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

export function formatMoney(value: number | null | undefined, currency = "USD"): string {
  if (!finite(value)) return DASH;
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
}

/** Format a fraction (0.052) as a percentage (5.20 %). */
export function formatPercent(value: number | null | undefined, digits = 2): string {
  if (!finite(value)) return DASH;
  return new Intl.NumberFormat(undefined, {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (!finite(value)) return DASH;
  return new Intl.NumberFormat(undefined, {
    minimumFractionDigits: 0,
    maximumFractionDigits: digits,
  }).format(value);
}

/** Format an ISO time or epoch milliseconds in the given IANA time zone. */
export function formatTime(
  value: string | number | null | undefined,
  timeZone = "UTC",
  withTime = true,
): string {
  if (value === null || value === undefined || value === "") return DASH;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return DASH;
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    ...(withTime ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } : {}),
  }).format(date);
}

/** Signed class name for profit and loss colouring. */
export function signClass(value: number | null | undefined): string {
  if (!finite(value) || value === 0) return "";
  return value > 0 ? "up" : "down";
}
