/**
 * "Try a message" (issue #17): what the parser makes of one topic and payload under given
 * settings — readings, device events, rejects with their reasons, and what it did not read. The
 * parse node's edit dialog asks this with its current, undeployed settings (admin route), and
 * `npm run parse` from a shell. Pure, no Node-RED import; never throws.
 */
import type { ParseResult } from '../model/reading';
import { createProfileContext } from './context';
import { parseMessage } from './index';
import { type ParseConfig, parseOptionsOf } from './parse-config';

export const MAX_TRY_TOPIC = 4096;
/** The payload a try may carry; the settings' max payload still applies inside it. */
export const MAX_TRY_PAYLOAD = 1024 * 1024;

export type TryAnswer = { status: 200; body: { result: ParseResult } } | { status: 400; body: { error: { code: string; message: string } } };

function bad(code: string, message: string): TryAnswer {
  return { status: 400, body: { error: { code, message } } };
}

/** Parses `{config, topic, payload, base64?}` as the node with `config` would, with a fresh discovery context. */
export function tryMessage(body: unknown, now = Date.now()): TryAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('invalid-body', 'send a JSON object {config, topic, payload}');
  const b = body as Record<string, unknown>;
  if (typeof b.topic !== 'string') return bad('invalid-topic', 'topic must be text');
  if (b.topic.length > MAX_TRY_TOPIC) return bad('invalid-topic', `the topic is longer than ${MAX_TRY_TOPIC} characters`);
  if (typeof b.payload !== 'string') return bad('invalid-payload', 'payload must be text (base64: true for bytes)');
  if (b.payload.length > MAX_TRY_PAYLOAD * (b.base64 === true ? 1.4 : 1)) return bad('invalid-payload', `the payload is larger than ${MAX_TRY_PAYLOAD} bytes`);
  const config = b.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return bad('invalid-config', 'config must be an object of the node settings');
  const c = config as Record<string, unknown>;
  const text = (k: string): string | undefined => (typeof c[k] === 'string' || typeof c[k] === 'number' ? String(c[k]) : undefined);
  const settings: ParseConfig = {
    maxPayloadBytes: text('maxPayloadBytes'),
    profiles: text('profiles'),
    site: text('site'),
    maxLevelBytes: text('maxLevelBytes'),
    templates: text('templates'),
    tasmotaFullTopic: text('tasmotaFullTopic'),
    tasmotaPrefixes: text('tasmotaPrefixes'),
  };
  const options = parseOptionsOf(settings);
  if (typeof options === 'string') return bad('invalid-config', options);
  const payload = b.base64 === true ? Buffer.from(b.payload, 'base64') : Buffer.from(b.payload, 'utf8');
  const result = parseMessage(b.topic, payload, { ...options, receivedAt: now, context: createProfileContext(), explain: true });
  return { status: 200, body: { result } };
}

/** The result in lines an operator reads: readings, events, rejects with reasons, unread leaves, ignore reason. */
export function resultLines(r: ParseResult): string[] {
  const lines: string[] = [];
  const head = [r.profile ? `profile ${r.profile}` : 'Octopus format', r.template ? `template ${JSON.stringify(r.template)}` : ''].filter((s) => s !== '').join(', ');
  lines.push(`${head}: ${r.readings.length} reading${r.readings.length === 1 ? '' : 's'}, ${r.rejects.length} reject${r.rejects.length === 1 ? '' : 's'}`);
  for (const x of r.readings) {
    lines.push(`  reading  ${x.deviceId}  ${x.attribute} = ${JSON.stringify(x.value)}${x.unit ? ` ${x.unit}` : ''}${x.deviceTs ? `  at ${new Date(x.ts).toISOString()} (device time)` : ''}${x.converted ? `  (${x.converted})` : ''}`);
  }
  for (const e of [...(r.availability ?? []), ...(r.devices ?? []), ...(r.deletions ?? []), ...(r.commands ?? [])]) {
    const detail = e.kind === 'availability' ? `${e.state} (${e.native})` : e.kind === 'command' ? `${e.command} ${JSON.stringify(e.value)}` : e.kind === 'deletion' ? e.reason : [e.name, e.model, e.firmware].filter(Boolean).join(', ');
    lines.push(`  event    ${e.kind}  ${e.deviceId}  ${detail}`);
  }
  for (const x of r.rejects) lines.push(`  reject   ${x.code}${x.attribute !== undefined ? ` [${x.attribute}]` : ''}: ${x.reason}`);
  for (const [code, n] of Object.entries(r.omittedRejects ?? {})) lines.push(`  reject   ${code}: ${n} more not listed`);
  for (const u of r.unread ?? []) lines.push(`  not read ${u.attribute}: ${u.reason}`);
  if (r.ignored !== undefined) lines.push(`  ignored: ${r.ignored}`);
  return lines;
}
