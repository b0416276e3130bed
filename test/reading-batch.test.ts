import assert from 'node:assert/strict';
// Node-RED's own clone, the one its runtime applies to every extra wire of an output.
import { util as redUtil } from '@node-red/util';
import type { Reading } from '../lib/model/reading';
import { batchOf, batchProblem, isReadingBatch, ReadingBatchBuilder } from '../lib/ingest/5-reading-batch';
import { batchColumnLiterals, latestPerDevice } from '../lib/ingest/8-batch-columns';

const T = Date.now();

function r(over: Partial<Reading> = {}): Reading {
  return { deviceId: 'casa/salon/termo', site: 'casa', room: 'salon', device: 'termo', attribute: 'temperature', value: 21.5, ts: T, deviceTs: true, ...over };
}

const mixed: Reading[] = [
  r(),
  r({ attribute: 'humidity', value: 40, unit: '%', deviceTs: false }),
  r({ deviceId: 'tasmota:plug', site: 'home', room: 'kitchen', device: 'plug', attribute: 'power', value: true, ts: T + 5 }),
  r({ attribute: 'mode', value: 'eco "night" \\ mode', ts: T + 1 }),
  r({ attribute: 'energy', value: 1.25, unit: 'Wh', converted: 'Wmin → Wh (÷60)', ts: T + 2 }),
];

describe('ReadingBatch (columnar readings, issue #23)', () => {
  it('gives back exactly the readings it was built from: at(), readings(), iteration, forEach, scan and JSON', () => {
    const b = batchOf(mixed);
    assert.equal(b.length, 5);
    assert.deepEqual(b.readings(), mixed);
    assert.deepEqual([...b], mixed);
    const viaForEach: Reading[] = [];
    b.forEach((x) => viaForEach.push(x));
    assert.deepEqual(viaForEach, mixed);
    const viaScan: Reading[] = [];
    b.scan((x) => viaScan.push(JSON.parse(JSON.stringify(x)) as Reading));
    assert.deepEqual(viaScan, JSON.parse(JSON.stringify(mixed)));
    assert.deepEqual(JSON.parse(JSON.stringify({ payload: b })), { payload: JSON.parse(JSON.stringify(mixed)) });
    assert.equal(b.kindAt(2), 'boolean');
    assert.equal(b.textAt(3), 'eco "night" \\ mode');
    assert.equal(b.unitAt(1), '%');
    assert.equal(batchProblem(b), undefined);
  });

  it('stores each distinct string once, and each device identity once', () => {
    const b = batchOf(Array.from({ length: 100 }, (_, i) => r({ ts: T + i, value: i })));
    assert.deepEqual(b.strings, ['casa/salon/termo', 'casa', 'salon', 'termo', 'temperature']);
  });

  it('a Node-RED clone (cloneMessage) is a ReadingBatch with the same readings, sharing the column Buffer, copying no reading', () => {
    const b = batchOf(mixed);
    const msg = { payload: b, topic: 'x' };
    const clone = redUtil.cloneMessage(msg) as typeof msg;
    assert.ok(isReadingBatch(clone.payload), 'the prototype survives the clone: methods work in every receiver');
    assert.notEqual(clone.payload, b);
    assert.deepEqual(clone.payload.readings(), mixed);
    assert.equal(clone.payload.data.buffer, b.data.buffer, 'the columns are a view of the same memory (read-only by contract)');
    assert.notEqual(clone.payload.strings, b.strings, 'the string list is copied');
    const mine = clone.payload.readings();
    mine[0].value = 99;
    assert.equal(b.at(0).value, 21.5, "readings() are the receiver's own objects");
  });

  it('the builder starts again after finish(), and grows past its first capacity', () => {
    const builder = new ReadingBatchBuilder(2);
    for (let i = 0; i < 10; i++) builder.add(r({ ts: T + i, value: i }));
    const first = builder.finish();
    assert.equal(first.length, 10);
    assert.equal(builder.length, 0);
    builder.add(r({ attribute: 'other' }));
    const second = builder.finish();
    assert.deepEqual(second.readings(), [r({ attribute: 'other' })]);
    assert.deepEqual(first.readings().map((x) => x.value), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('batchProblem names a batch a flow edited into nonsense', () => {
    const b = batchOf(mixed);
    b.columns().deviceId[1] = 1000;
    assert.match(String(batchProblem(b)), /reading 1 names a string/);
    const c = batchOf(mixed);
    c.columns().num[0] = NaN;
    assert.match(String(batchProblem(c)), /not a finite number/);
    const d = batchOf(mixed);
    (d as unknown as { length: number }).length = 6;
    assert.match(String(batchProblem(d)), /Buffer of batch.length readings/);
    const e = batchOf(mixed);
    (e as unknown as { strings: unknown[] }).strings[0] = 7;
    assert.match(String(batchProblem(e)), /must hold strings/);
  });

  it('column literals: one Postgres array per column for all batches, strings quoted and escaped, absent values NULL', () => {
    const c = batchColumnLiterals([batchOf(mixed.slice(0, 2)), batchOf(mixed.slice(2))]);
    assert.equal(c.count, 5);
    assert.equal(c.deviceId, '{"casa/salon/termo","casa/salon/termo","tasmota:plug","casa/salon/termo","casa/salon/termo"}');
    assert.equal(c.ts, `{${T},${T},${T + 5},${T + 1},${T + 2}}`);
    // a text value's number is its index in its batch's strings
    assert.equal(c.num, '{21.5,40,1,10,1.25}');
    assert.equal(c.flags, '{4,8,5,6,28}');
    assert.equal(c.text, '{NULL,NULL,NULL,"eco \\"night\\" \\\\ mode",NULL}');
    assert.equal(c.unit, '{NULL,"%",NULL,NULL,"Wh"}');
  });

  it('column literals refuse a field that is not text (a bug upstream becomes poison, not a wrong row)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => batchColumnLiterals([batchOf([r({ unit: cyclic as unknown as string })])]), TypeError);
  });

  it('latestPerDevice keeps each device once, with its latest reading time', () => {
    const latest = latestPerDevice([batchOf(mixed), batchOf([r({ ts: T + 50 })])]);
    assert.deepEqual([...latest.keys()].sort(), ['casa/salon/termo', 'tasmota:plug']);
    assert.equal(latest.get('casa/salon/termo')?.ts, T + 50);
    assert.deepEqual(latest.get('tasmota:plug'), { deviceId: 'tasmota:plug', site: 'home', room: 'kitchen', device: 'plug', ts: T + 5 });
  });
});
