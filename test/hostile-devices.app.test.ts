import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../lib/model/reading';
import { DEFAULT_HOUSE_LIMITS } from '../lib/registry/house-limits';
import { DEAD_LETTER_PAYLOAD_MAX } from '../lib/ingest/7-dead-letter';
import { startApp, type RunningApp } from './support/app';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { deepJson, INVALID_UTF8, keyFlood } from './support/hostile-payloads';
import { startMosquitto, type Credentials, type TestBroker } from './support/mosquitto';
import { attemptPublish, connects, PREDICTABLE_CLIENT_ID_SUFFIXES, recorder, sessionPresent } from './support/mqtt-probe';
import { watchRss, type RssWatch } from './support/node-status';
import { expectEveryAckedReadingOnce, SequencePublisher } from './support/sequence-publisher';

/**
 * Issue #15, the hostile-device suite: the project's Mosquitto (houses with their own device users
 * and ACLs, as in production), a Postgres database and the real application (npm start's settings
 * and default flow). An honest house publishes a counted stream of readings (QoS 1, 50 a second)
 * the whole time while a hostile house, as its own device user, tries one attack after another.
 * For each: the honest readings keep arriving, the attack's effect is bounded and recorded (dead
 * letters with a code and a reason, reject counters on /metrics, what the broker refused). At the
 * end: every acknowledged honest reading stored exactly once, and the app's resident memory
 * (sampled every 200 ms the whole time) stayed under a generous bound. No timing claims: every
 * wait is bounded polling.
 */

const HONEST = 'calm';
const HOSTILE = 'rogue';
const HONEST_RATE = 50;
const RSS_BOUND_MB = 600;
const PAYLOAD_LIMIT = DEFAULT_MAX_PAYLOAD_BYTES;
/** 192 KB messages over the parser's limit (19 MB), and 63 KB messages of 7 000 invalid keys (350 000 rejects). */
const OVERSIZED = 100;
const KEY_FLOODS = 50;

type Counts = Record<string, number>;

describe('hostile devices against the real broker and app (issue #15)', function () {
  this.timeout(180000);
  let broker: TestBroker;
  let db: TestDatabase;
  let app: RunningApp;
  let rss: RssWatch;
  let honest: SequencePublisher;
  let rogue: Credentials;
  let calm: Credentials;
  const metricsToken = randomUUID();
  const base = `octopus-hd-${randomUUID().slice(0, 6)}`;
  const seen = { flood: { messages: 0, devices: 0 }, forgedPublishes: { acked: 0, closed: 0 }, refusedConnects: 0, sessionsTaken: 0, sharedGranted: [] as string[], sharedRefused: [] as string[] };

  const as = (c: Credentials, tag: string): IClientOptions => ({ username: c.username, password: c.password, clientId: `${c.username}-${tag}` });
  const rogueClient = (tag: string): Promise<MqttClient> => connectAsync(`mqtt://127.0.0.1:${broker.port}`, { ...as(rogue, tag), reconnectPeriod: 0 });
  const publishAll = async (tag: string, messages: Array<[string, string | Buffer]>) => {
    const c = await rogueClient(tag);
    try {
      await Promise.all(messages.map(([topic, payload]) => c.publishAsync(topic, payload, { qos: 1 })));
    } finally {
      await c.endAsync();
    }
  };
  const deadLetters = async (topicLike: string): Promise<Counts> => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const res = await c.query('select code, count(*)::int as n from dead_letters where topic like $1 group by code', [topicLike]);
      return Object.fromEntries(res.rows.map((r: { code: string; n: number }) => [r.code, r.n]));
    } finally {
      await c.end();
    }
  };
  const deadLettersReach = (topicLike: string, code: string, n: number) =>
    waitFor(async () => ((await deadLetters(topicLike))[code] ?? 0) >= n, 60000, `${n} dead letters ${code} for ${topicLike}`);
  const metrics = async () => {
    const text = await (await fetch(`${app.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } })).text();
    const rejected: Counts = {};
    for (const m of text.matchAll(/^octopus_messages_rejected_total\{code="([^"]+)"\} (\d+)$/gm)) rejected[m[1]] = Number(m[2]);
    return { rejected, deadLetters: Number(/^octopus_dead_letters_total (\d+)$/m.exec(text)?.[1] ?? NaN) };
  };
  const honestStored = () => countRows(db.url, "select count(*) as n from readings where attribute = 'seq' and device_id like $1", [`${HONEST}/%`]);
  /** Two more seconds of the honest stream reach Postgres after the attack (bounded polling, no timing claim). */
  const honestKeepsArriving = async (after: string) => {
    const before = await honestStored().catch(() => 0); // at the start the tables may not be made yet
    await waitFor(async () => (await honestStored()) >= before + 2 * HONEST_RATE, 60000, `the honest house's readings to keep arriving after ${after}`);
    assert.doesNotThrow(() => process.kill(app.pid, 0), 'the app is running');
  };
  const sourceConnections = () => app.output().match(/connected to mqtt:\/\/\S+, subscribed to/g)?.length ?? 0;

  before(async () => {
    broker = await startMosquitto({ houses: [HONEST, HOSTILE] });
    calm = (await broker.house(HONEST)).devices;
    rogue = (await broker.house(HOSTILE)).devices;
    db = await createTestDatabase();
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url, OCTOPUS_METRICS_TOKEN: metricsToken, OCTOPUS_CLIENT_ID: base });
    rss = watchRss(app.pid, 200);
    await waitFor(() => sourceConnections() >= 1, 15000, 'the source to subscribe');
    honest = new SequencePublisher(broker.urlFor(calm), HONEST, 10, { clientId: `${calm.username}-seq` });
    await honest.start(HONEST_RATE);
    await honestKeepsArriving('the start');
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && app) console.log(app.output().split('\n').slice(-40).join('\n'));
  });
  after(async () => {
    rss?.stop();
    await honest?.stop(0);
    await app?.stop();
    await broker?.stop();
    await db?.drop();
  });

  it("oversized payloads: over the parser's limit, one bounded dead letter each; over the broker's packet limit, the connection is closed", async () => {
    const big = Buffer.alloc(PAYLOAD_LIMIT * 3, 0x37);
    await publishAll('big', Array.from({ length: OVERSIZED }, (): [string, Buffer] => [`${HOSTILE}/r/big/x`, big]));
    // 2 MB is over Mosquitto's max_packet_size (1 MB): it closes the connection, nothing reaches the app.
    assert.equal(await attemptPublish(`mqtt://127.0.0.1:${broker.port}`, as(rogue, 'huge'), `${HOSTILE}/r/huge/x`, 'x'.repeat(2 * 1024 * 1024)), 'closed');
    await deadLettersReach(`${HOSTILE}/r/big/%`, 'payload-too-large', OVERSIZED);
    const bounded = await countRows(
      db.url,
      "select count(*) as n from dead_letters where topic = $1 and code = 'payload-too-large' and length(payload) <= $2 and (detail->>'payloadBytes')::int = $3 and reason ~ 'more than the limit'",
      [`${HOSTILE}/r/big/x`, DEAD_LETTER_PAYLOAD_MAX, big.length],
    );
    assert.equal(bounded, OVERSIZED, 'each a dead letter with a reason, its size and a payload cut to 8 KB');
    assert.deepEqual(await deadLetters(`${HOSTILE}/r/huge/%`), {});
    await honestKeepsArriving('oversized payloads');
  });

  it('JSON nested 10 000 levels deep: refused as such, never a parser error', async () => {
    const topics = [`${HOSTILE}/r/deep/x`, `${HOSTILE}/r/deep`, `${HOSTILE}/tele/deep/SENSOR`, `${HOSTILE}/shellies/deep/info`];
    const messages: Array<[string, string]> = [];
    for (const topic of topics) for (const kind of ['object', 'array', 'object', 'object'] as const) messages.push([topic, deepJson(10_000, kind)]);
    assert.ok(messages.every(([, p]) => p.length < PAYLOAD_LIMIT));
    await publishAll('deep', messages);
    // An array on site/room/device is refused for its shape (topic-depth) before it is read.
    await waitFor(async () => Object.values(await deadLetters(`${HOSTILE}/%deep%`)).reduce((a, b) => a + b, 0) >= messages.length, 60000, 'a dead letter per nested message');
    const codes = await deadLetters(`${HOSTILE}/%deep%`);
    assert.equal(codes['parser-error'], undefined, JSON.stringify(codes));
    assert.ok((codes['payload-invalid-json'] ?? 0) >= messages.length - 1, JSON.stringify(codes));
    assert.equal(await countRows(db.url, "select count(*) as n from dead_letters where topic like $1 and reason ~ 'nested more than 64'", [`${HOSTILE}/%deep%`]), codes['payload-invalid-json']);
    assert.doesNotMatch(app.output(), /Maximum call stack/);
    await honestKeepsArriving('deep nesting');
  });

  it('a key flood (7 000 invalid keys in one object): one bounded dead letter per message, every key counted on /metrics', async () => {
    const flood = keyFlood(7000);
    const before = (await metrics()).rejected['attribute-invalid'] ?? 0;
    await publishAll('keys', Array.from({ length: KEY_FLOODS }, (): [string, string] => [`${HOSTILE}/r/keys`, flood]));
    await deadLettersReach(`${HOSTILE}/r/keys`, 'attribute-invalid', KEY_FLOODS);
    assert.deepEqual(await deadLetters(`${HOSTILE}/r/keys`), { 'attribute-invalid': KEY_FLOODS }, 'one dead letter per message, not per key');
    assert.equal(
      await countRows(db.url, "select count(*) as n from dead_letters where topic = $1 and length(payload) <= $2 and reason ~ '^7000 values refused.*and [0-9]+ more'", [`${HOSTILE}/r/keys`, DEAD_LETTER_PAYLOAD_MAX]),
      KEY_FLOODS,
    );
    await waitFor(async () => ((await metrics()).rejected['attribute-invalid'] ?? 0) >= before + KEY_FLOODS * 7000, 30000, 'every invalid key counted as attribute-invalid rejects on /metrics');
    await honestKeepsArriving('the key flood');
  });

  it('invalid UTF-8 payloads: each one dead letter (payload-not-utf8)', async () => {
    const messages: Array<[string, Buffer]> = [];
    for (let i = 0; i < 10; i++) for (const p of INVALID_UTF8) messages.push([p[0] === 0x7b ? `${HOSTILE}/r/utf` : `${HOSTILE}/r/utf/x`, p]);
    await publishAll('utf', messages);
    await deadLettersReach(`${HOSTILE}/r/utf%`, 'payload-not-utf8', messages.length);
    assert.deepEqual(await deadLetters(`${HOSTILE}/r/utf%`), { 'payload-not-utf8': messages.length });
    await honestKeepsArriving('invalid UTF-8');
  });

  it("connecting with Node-RED's client ids: no session taken, Node-RED's source not kicked off; other users' names refused", async () => {
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const connectionsBefore = sourceConnections();
    for (const suffix of ['', ...PREDICTABLE_CLIENT_ID_SUFFIXES]) {
      const id = suffix ? `${base}-${suffix}` : base;
      const login = { username: rogue.username, password: rogue.password, clientId: id };
      if (await sessionPresent(url, { ...login, clean: false })) seen.sessionsTaken++;
      for (let attempt = 0; attempt < 3; attempt++) await sessionPresent(url, { ...login, clean: true });
    }
    assert.equal(seen.sessionsTaken, 0, "a session of Node-RED's handed to the hostile house");
    // Its password with another user's name: the honest house's, Node-RED's ingest user.
    for (const username of [calm.username, broker.ingest.username, `${HONEST}-hub`]) {
      const attempt = await connects(url, { username, password: rogue.password, clientId: `${username}-x` });
      assert.equal(attempt.ok, false, username);
      seen.refusedConnects++;
    }
    await honestKeepsArriving("connects with Node-RED's client ids");
    assert.equal(sourceConnections(), connectionsBefore, "Node-RED's source was not disconnected");
    assert.match(broker.output(), new RegExp(`as ${base}-octopus-source-[0-9a-f]{16} `), "the source's real client id carries the tag");
  });

  it("joining the ingest's $share group: the hostile house receives nothing of the honest house", async () => {
    const filters = ['$share/octopus-ingest/#', '$share/octopus-ingest/+/+/+/+', `$share/octopus-ingest/${HONEST}/#`, '#', `${HONEST}/#`];
    const spy = await recorder(`mqtt://127.0.0.1:${broker.port}`, as(rogue, 'share'), filters);
    try {
      seen.sharedRefused = spy.refused;
      seen.sharedGranted = filters.filter((f) => !spy.refused.includes(f));
      await honestKeepsArriving('joining the $share group');
      assert.deepEqual(spy.topics().filter((t) => !t.startsWith(`${HOSTILE}/`)), [], 'messages of other houses delivered to the hostile house');
    } finally {
      await spy.client.endAsync();
    }
  });

  it("publishing under another house's prefix: dropped by the broker, nothing stored under the honest house", async () => {
    const forged = JSON.stringify({ value: -1, ts: Date.now() - 60_000 });
    const marker = `${HOSTILE}/r/marker/t`;
    // One after the other, each acknowledged (or its connection closed) before the next: had any
    // forged message been let through, it would have reached the app before the marker.
    const url = `mqtt://127.0.0.1:${broker.port}`;
    for (const [topic, payload] of [
      [`${HONEST}/r/dev1/seq`, forged],
      [`${HONEST}/r/forged/seq`, forged],
      [`${HONEST}/r/lamp/on/set`, 'true'],
      [`octopus/alerts/${HONEST}`, '{}'],
    ]) {
      seen.forgedPublishes[await attemptPublish(url, as(rogue, 'forge'), topic, payload)]++;
    }
    assert.equal(await attemptPublish(url, as(rogue, 'forge'), marker, '1'), 'acked');
    await waitFor(async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${HOSTILE}/r/marker`])) === 1, 30000, "the hostile house's own reading");
    await honestKeepsArriving('publishing under another prefix');
    assert.equal(await countRows(db.url, "select count(*) as n from readings where device_id like $1 and (num < 0 or device_id = $2)", [`${HONEST}/%`, `${HONEST}/r/forged`]), 0);
    assert.equal(await countRows(db.url, 'select count(*) as n from devices where device_id = $1', [`${HONEST}/r/forged`]), 0);
  });

  it('a unique-topic flood with long levels: devices and attributes capped per house, long levels refused, every message a reading or a dead letter', async () => {
    const { maxDevicesPerSite, maxAttributesPerDevice } = DEFAULT_HOUSE_LIMITS;
    const pad = (s: string, n: number) => s.padEnd(n, 'x');
    const devicesBefore = await countRows(db.url, 'select count(*) as n from devices where site = $1', [HOSTILE]);
    const messages: Array<[string, string]> = [];
    // One device with more attributes than it may have, then more devices than the house may have, then levels over 128 bytes.
    for (let i = 0; i < maxAttributesPerDevice + 100; i++) messages.push([`${HOSTILE}/flood-many/dev/${pad(`a${i}-`, 100)}`, '1']);
    for (let i = 0; i < maxDevicesPerSite + 500; i++) messages.push([`${HOSTILE}/${pad('flood-room', 100)}/${pad(`d${i}-`, 110)}/t`, '1']);
    for (let i = 0; i < 200; i++) messages.push([`${HOSTILE}/flood-long/${pad(`l${i}-`, 200)}/t`, '1']);
    await publishAll('flood', messages);
    const readings = () => countRows(db.url, 'select count(*) as n from readings where device_id like $1', [`${HOSTILE}/flood-%`]);
    const dead = () => countRows(db.url, 'select count(*) as n from dead_letters where topic like $1', [`${HOSTILE}/flood-%`]);
    await waitFor(async () => (await readings()) + (await dead()) >= messages.length, 90000, `each of the ${messages.length} messages stored or dead-lettered`);
    const codes = await deadLetters(`${HOSTILE}/flood-%`);
    assert.equal(codes['topic-level-too-long'], 200, JSON.stringify(codes));
    assert.equal(codes['attribute-limit'], 100, JSON.stringify(codes));
    const devices = await countRows(db.url, 'select count(*) as n from devices where site = $1', [HOSTILE]);
    assert.ok(devices <= maxDevicesPerSite, `${devices} devices in the hostile house`);
    assert.equal(codes['device-limit'], maxDevicesPerSite + 500 + 1 - (maxDevicesPerSite - devicesBefore), JSON.stringify(codes));
    assert.equal((await readings()) + (await dead()), messages.length, 'nothing stored twice');
    const m = await metrics();
    assert.ok((m.rejected['device-limit'] ?? 0) >= codes['device-limit'] && (m.rejected['topic-level-too-long'] ?? 0) >= 200, JSON.stringify(m.rejected));
    seen.flood = { messages: messages.length, devices };
    await honestKeepsArriving('the unique-topic flood');
  });

  it('at the end: every acknowledged honest reading stored exactly once, memory bounded, the app alive', async () => {
    await honest.stop();
    const stored = await expectEveryAckedReadingOnce(db.url, honest, 60000);
    rss.stop();
    assert.ok(stored.every((n) => Number.isInteger(n) && n >= 1 && n <= honest.sent), 'only the honest house wrote its readings');
    const dead = await deadLetters(`${HOSTILE}/%`);
    const m = await metrics();
    console.log(
      `      [hostile devices] honest readings stored ${new Set(stored).size} of ${honest.acked.size} acked (${honest.sent} sent), 0 lost, 0 duplicated; ` +
        `app RSS peak ${Math.round(rss.peak())} MB (first ${Math.round(rss.first())} MB, ${rss.samples()} samples, bound ${RSS_BOUND_MB} MB); ` +
        `dead letters by code ${JSON.stringify(dead)}; rejects on /metrics ${JSON.stringify(m.rejected)}; ` +
        `broker: ${seen.refusedConnects} connects refused, ${seen.sessionsTaken} sessions taken, $share granted ${seen.sharedGranted.length}/refused ${seen.sharedRefused.length}, forged publishes ${JSON.stringify(seen.forgedPublishes)} (dropped); topic flood ${seen.flood.messages} messages → ${seen.flood.devices} devices`,
    );
    assert.ok(rss.samples() > 10, `${rss.samples()} RSS samples`);
    assert.ok(rss.peak() < RSS_BOUND_MB, `the app's RSS peaked at ${Math.round(rss.peak())} MB`);
    assert.ok(m.deadLetters >= Object.values(dead).reduce((a, b) => a + b, 0), `octopus_dead_letters_total ${m.deadLetters}`);
    assert.doesNotThrow(() => process.kill(app.pid, 0), 'the app is running');
    assert.doesNotMatch(app.output(), /Maximum call stack|Invalid string length|heap out of memory/);
  });
});
