import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OpenApiDocument } from '../lib/api/openapi';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL } from './support/env';
import { dataDirWithDefaultFlow } from './support/flows';
import { answerProblem, closeConnections, describeExchange, send, type FuzzAnswer } from './support/fuzz-http';
import { fuzzCase, operationsOf, type FuzzCase } from './support/fuzz-requests';
import { seedHouses, withHotAlertRule, type Houses } from './support/houses';

/**
 * Property-based fuzz of the whole HTTP surface under /api/v1 (issue #15), with fast-check against
 * the real app (`npm start`'s script and default flow, Postgres, MQTT) holding two houses: every
 * operation of the OpenAPI document (the alerts API among them) × random and hostile path parameters, query
 * strings, headers and bodies (valid-shaped from the document's schemas, then mutated: wrong types,
 * huge strings, deep nesting, prototype keys, NUL, invalid UTF-8, 1e999, a lying Content-Length)
 * × 16 identities (anonymous, expired and revoked credentials, each role of house A and B by
 * session and token, the operator). Whatever is asked: no 5xx; a JSON answer, with an `error`
 * sentence from 400 on; no stack trace or file path; and nothing of house A told to house B.
 *
 * `npm test` runs FUZZ_RUNS (default 4000) cases from the fixed seed below; `npm run fuzz` runs
 * 50 000 from a random seed it prints. FUZZ_SEED replays one.
 */

const FIXED_SEED = 1_512_026;
const longRun = process.env.npm_lifecycle_event === 'fuzz';
const runs = Number(process.env.FUZZ_RUNS ?? (longRun ? 50_000 : 4000));
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : longRun ? Math.floor(Math.random() * 2 ** 31) : FIXED_SEED;
/** Distinct failures shown in full (the rest are counted): the same fault found 300 times is one. */
const SHOWN = 12;

describe(`HTTP fuzz of /api/v1: every operation × hostile requests × 16 identities (fast-check, ${runs} cases, seed ${seed})`, function () {
  this.timeout(180_000 + runs * 200);
  let db: TestDatabase;
  let app: RunningApp;
  let houses: Houses;

  before(async () => {
    assert.ok(Number.isInteger(runs) && runs > 0 && Number.isInteger(seed), `FUZZ_RUNS (${process.env.FUZZ_RUNS}) and FUZZ_SEED (${process.env.FUZZ_SEED}) must be whole numbers`);
    db = await createTestDatabase('octopus_http_fuzz');
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url }, { dataDir: dataDirWithDefaultFlow(withHotAlertRule) });
    houses = await seedHouses(app, db.url, MQTT_TEST_URL);
  });
  after(async () => {
    closeConnections();
    await houses?.close();
    await app?.stop();
    await db?.drop();
  });

  it('answers every request with JSON, no 5xx, no stack trace or file path, and nothing of house A to house B', async () => {
    const doc = (await (await fetch(`${app.baseUrl}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    const ops = operationsOf(doc);
    assert.ok(ops.length >= 25, `only ${ops.length} operations`);
    const failures = new Map<string, { count: number; first: string }>();
    const tried = new Map<string, number>();
    const statuses = new Map<number, number>();
    // The leak check can see: what house A's owner is shown of house A would be a leak to house B.
    const probe = { method: 'GET', path: `/api/v1/devices?site=${houses.A}`, headers: houses.identities.find((i) => i.name === 'owner A')!.headers('GET') };
    assert.match(String(answerProblem(probe, await send(app.baseUrl, probe), houses.secretsOfA.filter((x) => x !== houses.A))), /shown to house B/);
    const started = Date.now();

    const property = fc.asyncProperty(fuzzCase(houses, app.baseUrl, ops, doc.components.schemas), async ({ who, op, request }: FuzzCase) => {
      tried.set(`${op.method} ${op.template}`, (tried.get(`${op.method} ${op.template}`) ?? 0) + 1);
      // A session's logout would end it for every later case: it logs out a session of its own.
      const own = who.headers('POST').Cookie;
      if (op.template === '/auth/logout' && who.userId !== undefined && own && request.headers.Cookie?.includes(own)) {
        const spare = await houses.spareSession(who.userId);
        request.headers.Cookie = request.headers.Cookie.replace(own, spare.cookie);
        if (request.headers['X-CSRF-Token'] !== undefined) request.headers['X-CSRF-Token'] = spare.csrfToken;
      }
      let answer: FuzzAnswer | Error;
      try {
        answer = await send(app.baseUrl, request);
      } catch (err) {
        answer = err as Error;
      }
      if (!(answer instanceof Error)) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const why = answer instanceof Error ? 'no answer' : answerProblem(request, answer, who.side === 'B' ? houses.secretsOfA : []);
      if (why) {
        const key = `${why} — ${op.method} ${op.template}`;
        const seen = failures.get(key);
        if (seen) seen.count++;
        else failures.set(key, { count: 1, first: describeExchange(who.name, request, answer) });
      }
    });
    await fc.assert(property, { seed, numRuns: runs, endOnFailure: true });

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      ${runs} cases from seed ${seed} in ${seconds} s; answers: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    const untried = ops.map((o) => `${o.method} ${o.template}`).filter((k) => !tried.has(k));
    const report = [...failures].slice(0, SHOWN).map(([key, f]) => `${key} (${f.count}×), first:\n${f.first}`);
    assert.deepEqual(report, [], `${failures.size} distinct failures in ${runs} cases (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs}):\n\n${report.join('\n\n')}`);
    if (runs >= 2000) assert.deepEqual(untried, [], 'operations the fuzz never tried');
  });
});
