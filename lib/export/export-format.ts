/**
 * How exported rows are written: CSV that spreadsheet programs open as they are (a UTF-8 byte
 * order mark so Excel reads accents right, a header, one row per line with CRLF as RFC 4180 says,
 * decimal points, ISO 8601 times with their offset, text quoted when it must be) or NDJSON (one
 * JSON object a line). Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a
 * leading apostrophe in CSV: device-chosen text must not become a formula on someone's computer.
 */

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export const CSV_BOM = '\uFEFF';

/** A row as the export writes it: column name → value (time first). */
export type ExportRow = Record<string, string | number | boolean | null>;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA = /^[=+\-@\t\r]/;

/** One CSV field: numbers and booleans as they are (decimal point), text quoted when needed. */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = FORMULA.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(text) || text !== v ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: Array<string | number | boolean | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The rows of one batch as text in the format (the CSV header is written once, before the first batch). */
export function formatRows(format: ExportFormat, columns: readonly string[], rows: readonly ExportRow[]): string {
  let out = '';
  if (format === 'csv') for (const r of rows) out += csvLine(columns.map((c) => r[c] ?? null));
  else for (const r of rows) out += `${JSON.stringify(r)}\n`;
  return out;
}

/**
 * Reads CSV as this module writes it (and as RFC 4180 allows): quoted fields with doubled quotes,
 * CRLF or LF line ends, a leading BOM. For tests and tools that take an export back.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.startsWith(CSV_BOM) ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
