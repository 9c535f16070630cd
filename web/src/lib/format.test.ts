import { describe, expect, it } from "vitest";

import { formatMoney, formatPercent, formatTime, signClass } from "./format";

describe("formatting", () => {
  it("test_format_money_uses_currency_and_two_decimals", () => {
    expect(formatMoney(1234.5, "USD")).toMatch(/\$1,234\.50/);
  });

  it("test_format_percent_of_fraction_shows_percentage", () => {
    expect(formatPercent(0.0525)).toMatch(/5\.25\s?%/);
    expect(formatPercent(-0.1, 1)).toMatch(/-10\.0\s?%/);
  });

  it("test_format_missing_values_shows_dash", () => {
    expect(formatMoney(null)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
    expect(formatTime(null)).toBe("—");
  });

  it("test_format_time_in_user_time_zone_shifts_clock", () => {
    const iso = "2024-03-01T14:30:00Z";
    expect(formatTime(iso, "UTC")).toContain("14:30");
    expect(formatTime(iso, "America/New_York")).toContain("09:30");
    expect(formatTime(iso, "Asia/Tokyo")).toContain("23:30");
  });

  it("test_sign_class_marks_gains_and_losses", () => {
    expect([signClass(1), signClass(-1), signClass(0), signClass(null)]).toEqual(["up", "down", "", ""]);
  });
});
