import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The test file names tell the tiers apart: `name.test.ts` needs nothing but Node (`npm run
 * test:unit`); a file that needs a service says so with a tag before `.test.ts`. A tag covers the
 * services of the tiers below it: `db` (Postgres), `mqtt` (a broker or Mosquitto's tools), `node`
 * (a Node-RED runtime, with its broker and database), `app` (the whole application in a child
 * process), `browser` (headless Chromium against the app). This test reads each test's source
 * and fails when a file uses a service its name does not admit.
 */
const TEST_ROOT = resolve(__dirname, '..', '..', 'test');

type Tier = 'db' | 'mqtt' | 'node' | 'app' | 'browser';

const USES: Array<[Tier, RegExp]> = [
  ['db', /\bPG_TEST_URL\b|from '\.{1,2}\/(?:\.\.\/)?support\/database'/],
  ['mqtt', /\bMQTT_TEST_URL\b|support\/mosquitto'|mosquitto_passwd|MOSQUITTO_BIN/],
  ['node', /node-red-node-test-helper|support\/node-red-(?:services|install)'/],
  ['app', /support\/app'|\bstartApp\(/],
  ['browser', /support\/browser'|playwright-core/],
];

/** Which tags admit a service: a heavier tier brings the lighter services with it. */
const ADMITTED_BY: Record<Tier, Tier[]> = {
  db: ['db', 'node', 'app', 'browser'],
  mqtt: ['mqtt', 'node', 'app', 'browser'],
  node: ['node', 'app', 'browser'],
  app: ['app', 'browser'],
  browser: ['browser'],
};

export function tagsOf(fileName: string): Tier[] {
  const parts = fileName.replace(/\.test\.ts$/, '').split('.').slice(1);
  return parts.filter((p): p is Tier => p in ADMITTED_BY);
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'support' ? [] : testFiles(join(dir, e.name));
    return e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [];
  });
}

describe('test tiers', () => {
  it('reads tags from file names', () => {
    assert.deepEqual(tagsOf('parser.test.ts'), []);
    assert.deepEqual(tagsOf('api.db.mqtt.test.ts'), ['db', 'mqtt']);
    assert.deepEqual(tagsOf('e2e.app.test.ts'), ['app']);
  });

  it('every test file that needs a service names its tier, and the unit tier needs none', () => {
    const files = testFiles(TEST_ROOT);
    assert.ok(files.length > 40, `found ${files.length} test files under ${TEST_ROOT}`);
    const wrong: string[] = [];
    for (const file of files) {
      if (file === __filename.replace(/\.js$/, '.ts').replace(`${join('dist', 'test')}`, 'test')) continue; // this file names the patterns
      const source = readFileSync(file, 'utf8');
      const tags = tagsOf(file.split('/').pop() as string);
      for (const [tier, pattern] of USES) {
        if (pattern.test(source) && !ADMITTED_BY[tier].some((t) => tags.includes(t))) {
          wrong.push(`${relative(TEST_ROOT, file)} uses ${tier} but its name says ${tags.length ? tags.join('.') : 'unit'}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('would catch a unit test that opens a database', () => {
    const source = "import { createTestDatabase } from './support/database';";
    const flagged = USES.filter(([, p]) => p.test(source)).map(([t]) => t);
    assert.deepEqual(flagged, ['db']);
    assert.ok(!ADMITTED_BY.db.some((t) => tagsOf('sneaky.test.ts').includes(t)));
  });
});
