/**
 * Dead letters of a bounded size. One refused message is one row, whatever it held: its reasons
 * summarised (the first few quoted, "and K more"), the rest counted by code in `detail`, and the
 * payload cut to DEAD_LETTER_PAYLOAD_MAX bytes with its original size recorded. Without these bounds
 * a 64 KB message of 7 000 bad keys became 7 000 rows of 64 KB each, a query too large to build
 * (`RangeError: Invalid string length`), retried forever (issue #15).
 */
import type { DeadLetter } from './8-readings-store';
import type { RejectCode } from '../model/reading';
import { sanitize, truncate } from '../parser/parse-kit';

/** Bytes of the original payload kept in a dead letter. */
export const DEAD_LETTER_PAYLOAD_MAX = 8 * 1024;
/** Characters of a dead letter's reason. */
export const DEAD_LETTER_REASON_MAX = 2000;
/** Characters of a dead letter's topic (MQTT allows 65 535 bytes). */
export const DEAD_LETTER_TOPIC_MAX = 1024;
/** Characters of a dead letter's detail, as JSON. */
export const DEAD_LETTER_DETAIL_MAX = 8 * 1024;
/** Reasons listed in a grouped dead letter's detail. */
export const DEAD_LETTER_REJECTS_MAX = 20;
/** Characters of one quoted reason inside a grouped reason or detail. */
const ONE_REASON_MAX = 300;

/** What a dead letter summarises: a parser reject, or a dead letter of its own. */
export interface RefusedValue {
  code: RejectCode | 'store-failed';
  reason: string;
  attribute?: string;
}

/**
 * The one dead letter for a refused message: its reasons (listed ones, plus `omitted` counted by
 * code, as the parser's ParseResult.omittedRejects) summarised and bounded. A message with one
 * reason keeps that reason as it is.
 */
export function deadLetterForRejects(
  topic: string | undefined,
  payload: Buffer | undefined,
  rejects: readonly RefusedValue[],
  omitted?: Partial<Record<string, number>>,
): DeadLetter {
  const codes: Record<string, number> = {};
  for (const r of rejects) codes[r.code] = (codes[r.code] ?? 0) + 1;
  let total = rejects.length;
  for (const [code, n] of Object.entries(omitted ?? {})) {
    if (!n) continue;
    codes[code] = (codes[code] ?? 0) + n;
    total += n;
  }
  const first = rejects[0];
  const code = (first?.code ?? Object.keys(codes)[0] ?? 'value-invalid') as DeadLetter['code'];
  if (total <= 1 && first !== undefined) {
    return boundDeadLetter({ topic, payload, code, reason: first.reason, detail: first.attribute ? { attribute: first.attribute } : undefined });
  }
  const listed = rejects.slice(0, DEAD_LETTER_REJECTS_MAX).map((r) => {
    const one: { code: string; reason: string; attribute?: string } = { code: r.code, reason: truncate(r.reason, ONE_REASON_MAX) };
    if (r.attribute !== undefined) one.attribute = truncate(r.attribute, 80);
    return one;
  });
  return boundDeadLetter({
    topic,
    payload,
    code,
    reason: summarise(total, codes, rejects),
    detail: { rejectCount: total, codes, rejects: listed },
  });
}

/** "7000 values refused (attribute-invalid ×7000): reason; reason; … and 6995 more", within the reason limit. */
function summarise(total: number, codes: Record<string, number>, rejects: readonly RefusedValue[]): string {
  const byCode = Object.entries(codes)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  let text = truncate(`${total} values refused (${byCode}): `, DEAD_LETTER_REASON_MAX / 2);
  // room for "; and 1234567 more" at the end
  const budget = DEAD_LETTER_REASON_MAX - 32;
  let quoted = 0;
  for (const r of rejects) {
    const part = `${quoted > 0 ? '; ' : ''}${truncate(r.reason, ONE_REASON_MAX)}`;
    if (text.length + part.length > budget) break;
    text += part;
    quoted++;
  }
  if (total > quoted) text += `${quoted > 0 ? '; ' : ''}and ${total - quoted} more`;
  return text;
}

/**
 * Any dead letter, cut to size: payload (original size and `payloadTruncated` in detail), topic,
 * reason, and a detail that is too long or cannot be written as JSON at all (a cycle, a throwing
 * toJSON) is replaced by a note saying so. Never throws.
 */
export function boundDeadLetter(dl: DeadLetter): DeadLetter {
  let detail = boundDetail(dl.detail);
  let payload = dl.payload;
  if (payload !== undefined && payload.length > DEAD_LETTER_PAYLOAD_MAX) {
    const bytes = payload.length;
    // a copy, so the row does not keep the whole original buffer alive
    payload = Buffer.from(payload.subarray(0, DEAD_LETTER_PAYLOAD_MAX));
    detail = { ...(isRecord(detail) ? detail : detail === undefined ? {} : { detail }), payloadBytes: bytes, payloadTruncated: true };
  }
  const topic = dl.topic === undefined ? undefined : cut(String(dl.topic), DEAD_LETTER_TOPIC_MAX);
  const reason = cut(String(dl.reason), DEAD_LETTER_REASON_MAX);
  if (payload === dl.payload && detail === dl.detail && topic === dl.topic && reason === dl.reason) return dl;
  return { topic, payload, code: dl.code, reason, detail };
}

/** The detail itself when it is small JSON, else a note of what was wrong with it. */
function boundDetail(detail: unknown): unknown {
  if (detail === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(detail);
  } catch (err) {
    return { detailError: truncate(describeError(err), ONE_REASON_MAX) };
  }
  if (json === undefined) return undefined;
  if (json.length <= DEAD_LETTER_DETAIL_MAX) return detail;
  return { detailTruncated: true, detailChars: json.length, detailStart: json.slice(0, 1000) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `Name: message` of any thrown value, for a reason. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** At most `max` characters, an ellipsis included. */
function cut(s: string, max: number): string {
  return s.length <= max ? s : truncate(s, max - 1);
}

/** Text a Postgres text column takes (no NUL, control characters or lone surrogates), at most `max` characters. */
export function storableText(s: string, max: number): string {
  return sanitize(cut(s, max));
}
