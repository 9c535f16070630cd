export type Direction = "asc" | "desc";

type Sortable = string | number | boolean | null | undefined;

/** Compare two cell values: numbers numerically, text naturally, blanks always last. */
export function compareValues(a: Sortable, b: Sortable, direction: Direction): number {
  const blankA = a === null || a === undefined || a === "";
  const blankB = b === null || b === undefined || b === "";
  if (blankA || blankB) return blankA === blankB ? 0 : blankA ? 1 : -1;
  const order =
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a).localeCompare(String(b), undefined, { numeric: true });
  return direction === "asc" ? order : -order;
}

/** A sorted copy of rows by a key function; the sort is stable. */
export function sortRows<T>(rows: readonly T[], key: (row: T) => Sortable, direction: Direction): T[] {
  return [...rows].sort((a, b) => compareValues(key(a), key(b), direction));
}
