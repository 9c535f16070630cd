import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { DataTable, type Column } from "./DataTable";

interface Row { symbol: string; pnl: number | null }

const rows: Row[] = [
  { symbol: "MSFT", pnl: 12 },
  { symbol: "AAPL", pnl: -3 },
  { symbol: "TSLA", pnl: null },
  { symbol: "NVDA", pnl: 100 },
];
const columns: Column<Row>[] = [
  { key: "symbol", label: "Symbol", render: (r) => r.symbol, sortValue: (r) => r.symbol },
  { key: "pnl", label: "P&L", render: (r) => String(r.pnl ?? "-"), sortValue: (r) => r.pnl, numeric: true },
];

function symbols(): string[] {
  const body = screen.getAllByRole("rowgroup")[1] as HTMLElement;
  return within(body).getAllByRole("row").map((row) => row.firstChild?.textContent ?? "");
}

describe("DataTable", () => {
  it("test_table_header_click_sorts_ascending_then_descending", async () => {
    render(<DataTable caption="Trades" rows={rows} columns={columns} rowKey={(r) => r.symbol} />);
    expect(symbols()).toEqual(["MSFT", "AAPL", "TSLA", "NVDA"]);
    await userEvent.click(screen.getByRole("button", { name: /P&L/ }));
    expect(symbols()).toEqual(["AAPL", "MSFT", "NVDA", "TSLA"]);
    expect(screen.getByRole("columnheader", { name: /P&L/ })).toHaveAttribute("aria-sort", "ascending");
    await userEvent.click(screen.getByRole("button", { name: /P&L/ }));
    expect(symbols()).toEqual(["NVDA", "MSFT", "AAPL", "TSLA"]);
  });

  it("test_table_initial_sort_orders_text_naturally", () => {
    render(<DataTable caption="Trades" rows={rows} columns={columns} rowKey={(r) => r.symbol} initialSort={{ key: "symbol", direction: "asc" }} />);
    expect(symbols()).toEqual(["AAPL", "MSFT", "NVDA", "TSLA"]);
  });
});
