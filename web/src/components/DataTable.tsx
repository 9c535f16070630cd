import { useState, type ReactNode } from "react";

import { sortRows, type Direction } from "../lib/sort";

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ReactNode;
  /** The value to sort by; a column without one is not sortable. */
  sortValue?: (row: T) => string | number | boolean | null | undefined;
  numeric?: boolean;
}

interface Props<T> {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  caption: string;
  initialSort?: { key: string; direction: Direction };
}

/** A dense table whose sortable headers are buttons (keyboard and screen-reader friendly). */
export function DataTable<T>({ rows, columns, rowKey, caption, initialSort }: Props<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const column = columns.find((candidate) => candidate.key === sort?.key);
  const sorted =
    sort && column?.sortValue ? sortRows(rows, column.sortValue, sort.direction) : rows;

  function toggle(key: string) {
    setSort((current) =>
      current?.key === key && current.direction === "asc"
        ? { key, direction: "desc" }
        : { key, direction: "asc" },
    );
  }

  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((col) => (
              <th
                key={col.key}
                className={col.numeric ? "num" : undefined}
                aria-sort={
                  sort?.key === col.key ? (sort.direction === "asc" ? "ascending" : "descending") : undefined
                }
              >
                {col.sortValue ? (
                  <button type="button" className="sort" onClick={() => toggle(col.key)}>
                    {col.label}
                    <span aria-hidden="true">
                      {sort?.key === col.key ? (sort.direction === "asc" ? " ▲" : " ▼") : ""}
                    </span>
                  </button>
                ) : (
                  col.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((col) => (
                <td key={col.key} className={col.numeric ? "num" : undefined}>
                  {col.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
