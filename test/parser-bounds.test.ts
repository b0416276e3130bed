import assert from 'node:assert/strict';
import type { ParseResult } from '../lib/model/reading';
import { createProfileContext, MAX_REJECTS_PER_MESSAGE, parseMessage } from '../lib/parser';
import { boundDeadLetter, DEAD_LETTER_PAYLOAD_MAX, deadLetterForRejects } from '../lib/ingest/7-dead-letter';
import { deepJson, keyFlood as floodText } from './support/hostile-payloads';

/** The flood as the device sends it. */
const keyFlood = (n: number, extra = ''): Buffer => Buffer.from(floodText(n, extra));

function rejectCount(r: ParseResult): number {
  let n = r.rejects.length;
  for (const k of Object.values(r.omittedRejects ?? {})) n += k ?? 0;
  return n;
}

describe('parser bounds: one message, one bounded dead letter', () => {
  const flood = keyFlood(7000);

  it('the 7 000-key flood is accepted under the payload limit (the reported message)', () => {
    assert.ok(flood.length > 60_000 && flood.length < 64 * 1024, String(flood.length));
  });

  it('caps the rejects of one message and counts the rest by code', () => {
    const r = parseMessage('casa1/r/d', flood);
    assert.equal(r.readings.length, 0);
    assert.ok(r.rejects.length <= MAX_REJECTS_PER_MESSAGE, `${r.rejects.length} rejects kept`);
    assert.ok(r.rejects.length > 0);
    assert.equal(rejectCount(r), 7000);
    assert.deepEqual(Object.keys(r.omittedRejects ?? {}), ['attribute-invalid']);
    assert.ok(r.rejects.every((x) => x.code === 'attribute-invalid'));
  });

  it('keeps the good attributes of a flooded message', () => {
    const r = parseMessage('casa1/r/d', keyFlood(3000, '"temperature":21.5,"humidity":40,'));
    assert.deepEqual(r.readings.map((x) => [x.attribute, x.value]), [['temperature', 21.5], ['humidity', 40]]);
    assert.equal(rejectCount(r), 3000);
  });

  it('a message with few rejects keeps them all and has no omitted count', () => {
    const r = parseMessage('casa1/r/d', '{"a/b":1,"c+d":2,"ok":3}');
    assert.equal(r.rejects.length, 2);
    assert.equal(r.omittedRejects, undefined);
  });

  it('the flood becomes one dead letter: capped payload with its size, summarised reasons', () => {
    const r = parseMessage('casa1/r/d', flood);
    const dl = deadLetterForRejects('casa1/r/d', flood, r.rejects, r.omittedRejects);
    assert.equal(dl.topic, 'casa1/r/d');
    assert.equal(dl.code, 'attribute-invalid');
    assert.ok(dl.payload !== undefined && dl.payload.length <= DEAD_LETTER_PAYLOAD_MAX, String(dl.payload?.length));
    assert.deepEqual(dl.payload, flood.subarray(0, dl.payload.length));
    assert.ok(dl.reason.length <= 2000, `reason of ${dl.reason.length} characters`);
    assert.match(dl.reason, /^7000 values refused/);
    assert.match(dl.reason, /attribute name "\/aaa" contains "\/"/);
    assert.match(dl.reason, /and \d+ more/);
    const detail = dl.detail as { payloadBytes: number; payloadTruncated: boolean; rejectCount: number; codes: Record<string, number>; rejects: unknown[] };
    assert.equal(detail.payloadBytes, flood.length);
    assert.equal(detail.payloadTruncated, true);
    assert.equal(detail.rejectCount, 7000);
    assert.deepEqual(detail.codes, { 'attribute-invalid': 7000 });
    assert.ok(detail.rejects.length <= MAX_REJECTS_PER_MESSAGE);
    // Everything the row holds stays small, whatever the message was.
    assert.ok(JSON.stringify(dl.detail).length < 16 * 1024);
  });

  it('a single reject keeps its reason and its whole (small) payload, as before', () => {
    const payload = Buffer.from('NaN');
    const r = parseMessage('casa1/r/d/temperature', payload);
    const dl = deadLetterForRejects('casa1/r/d/temperature', payload, r.rejects, r.omittedRejects);
    assert.equal(dl.code, 'value-not-finite');
    assert.equal(dl.reason, r.rejects[0].reason);
    assert.deepEqual(dl.payload, payload);
    assert.equal((dl.detail as { payloadTruncated?: boolean } | undefined)?.payloadTruncated, undefined);
  });

  it('JSON nested 10 000 deep is refused as such on every profile, never a parser-error (it overflowed the stack)', () => {
    const deep = [deepJson(10_000), deepJson(10_000, 'array'), `${'{"T":nan,"a":'.repeat(4000)}1${'}'.repeat(4000)}`];
    const topics = ['casa1/r/d/x', 'casa1/r/d', 'casa1/tele/plug/SENSOR', 'casa1/stat/plug/RESULT', 'casa1/zigbee2mqtt/lamp', 'casa1/shellies/sh1/info', 'casa1/homie/dev/$state', 'casa1/owntracks/u/phone'];
    for (const topic of topics) {
      for (const payload of deep) {
        const r = parseMessage(topic, payload, { context: createProfileContext() });
        assert.equal(r.readings.length, 0, topic);
        assert.deepEqual(r.rejects.map((x) => x.code), ['payload-invalid-json'], `${topic}: ${r.rejects[0]?.reason}`);
        assert.match(r.rejects[0].reason, /nested more than 64/);
      }
    }
    // 64 levels are still read (the profiles may refuse what they find deep inside, but not the JSON).
    const ok = parseMessage('casa1/r/d', `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`);
    assert.ok(!ok.rejects.some((x) => /nested more than 64 objects or arrays/.test(x.reason)), ok.rejects[0]?.reason);
  });

  it('boundDeadLetter caps any dead letter: payload, reason and a detail that cannot be written', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const big = Buffer.alloc(1_000_000, 0x41);
    const dl = boundDeadLetter({ topic: 't'.repeat(100_000), payload: big, code: 'store-failed', reason: 'r'.repeat(100_000), detail: cyclic });
    assert.ok((dl.payload?.length ?? 0) <= DEAD_LETTER_PAYLOAD_MAX);
    assert.ok(dl.reason.length <= 2000);
    assert.ok((dl.topic ?? '').length <= 1024);
    const detail = dl.detail as { payloadBytes: number; detailError?: string };
    assert.equal(detail.payloadBytes, 1_000_000);
    assert.match(String(detail.detailError), /circular|cyclic/i);
  });
});
