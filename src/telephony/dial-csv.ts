/**
 * A dial list as a CSV file (RFC 4180: quoted fields, doubled quotes, CRLF or LF): a header row, a
 * `number` column (or `to`, `phone`), and any other columns, which become the row's context — who is
 * called and why — as strings; a `context` column of JSON is merged over them. Pure: text in, rows
 * out, every problem named by its line. Results are written back in the same format.
 */
import { VoicesocketError } from '../errors.js';
import { phoneDigits } from './outbound-call.js';

/** A list is for a campaign, not a phone book: past this, split it. */
export const MAX_LIST_ROWS = 100_000;
/** A field is a name or a note; a longer one is a broken file (an unclosed quote swallowing the rest). */
export const MAX_FIELD_CHARS = 16 * 1024;

const NUMBER_COLUMNS = ['number', 'to', 'phone'];

export interface DialListRow {
  /** 1-based line of the row in the file (the header is line 1). */
  line: number;
  /** The number as Vonage takes it: digits only. */
  number: string;
  context: Record<string, unknown>;
}

const invalid = (detail: string) => new VoicesocketError('DIAL_LIST_INVALID', detail);

/** Splits CSV text into records of fields, with the line each record starts on. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    if (field.length > MAX_FIELD_CHARS) throw invalid(`line ${recordLine}: a field longer than ${MAX_FIELD_CHARS} characters (an unclosed quote?)`);
    fields.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
    if (records.length > MAX_LIST_ROWS + 1) throw invalid(`more than ${MAX_LIST_ROWS} rows`);
    fields = [];
  };
  for (; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        field += char;
        if (field.length > MAX_FIELD_CHARS) throw invalid(`line ${recordLine}: a field longer than ${MAX_FIELD_CHARS} characters (an unclosed quote?)`);
      }
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') endField();
    else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += char;
  }
  if (quoted) throw invalid(`line ${recordLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** Reads a dial list; throws DIAL_LIST_INVALID naming the line of the first problem (nothing is dialled then). */
export function readDialList(text: string): DialListRow[] {
  const [header, ...records] = parseCsv(text);
  if (!header) throw invalid('the file is empty');
  const names = header.fields.map((name) => name.trim());
  const numberColumn = names.findIndex((name) => NUMBER_COLUMNS.includes(name.toLowerCase()));
  if (numberColumn < 0) throw invalid(`the header has no number column (one of ${NUMBER_COLUMNS.join(', ')}): ${names.join(',')}`);
  const contextColumn = names.findIndex((name) => name.toLowerCase() === 'context');
  return records.map(({ line, fields }) => {
    if (fields.length !== names.length) throw invalid(`line ${line}: ${fields.length} fields, the header has ${names.length}`);
    const number = phoneDigits(fields[numberColumn]!);
    if (!number) throw invalid(`line ${line}: ${JSON.stringify(fields[numberColumn])} is not a phone number (6 to 15 digits, + allowed)`);
    const context: Record<string, unknown> = {};
    names.forEach((name, index) => {
      if (index !== numberColumn && index !== contextColumn && name !== '') context[name] = fields[index];
    });
    if (contextColumn >= 0 && fields[contextColumn]!.trim() !== '') {
      let extra: unknown;
      try {
        extra = JSON.parse(fields[contextColumn]!);
      } catch {
        throw invalid(`line ${line}: the context column is not JSON`);
      }
      if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw invalid(`line ${line}: the context column is not a JSON object`);
      Object.assign(context, extra);
    }
    return { line, number, context };
  });
}

/** One CSV record: fields quoted when they hold a comma, a quote or a line break. */
export function csvRecord(values: ReadonlyArray<string | number | undefined>): string {
  return `${values
    .map((value) => {
      const text = value === undefined ? '' : String(value);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\n`;
}
