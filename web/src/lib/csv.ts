/** A first look at a CSV file before it is uploaded: its header and first rows. */
export interface CsvPreview {
  header: string[];
  rows: string[][];
}

function splitLine(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (char === '"' && quoted && line[i + 1] === '"') {
      cell += '"';
      i += 1;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === "," && !quoted) {
      cells.push(cell);
      cell = "";
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells.map((value) => value.trim());
}

/** Parse the header and up to `limit` data rows; the server still validates every row. */
export function previewCsv(text: string, limit = 10): CsvPreview {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const [first, ...rest] = lines;
  return {
    header: first ? splitLine(first) : [],
    rows: rest.slice(0, limit).map(splitLine),
  };
}
