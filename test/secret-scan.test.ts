import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scanText, type Finding } from './support/secret-scan';

const REPO = resolve(__dirname, '..', '..');

/**
 * Files whose secret-looking values are known not to be secrets. Keep it tiny, with the reason:
 *  - package-lock.json: the registry's sha512 integrity hashes of the dependencies.
 */
const ALLOWED_FILES = new Set(['package-lock.json']);

/**
 * Test fixtures that look like passwords and are none: values given to code under test, never
 * the credentials of any running system. Each is allowed in its file only.
 */
const ALLOWED_FIXTURES: Array<{ file: string; value: string; why: string }> = [
  { file: 'test/mqtt-auth.test.ts', value: 'p%3Ass', why: 'URL-decoding case of brokerCredentials' },
  { file: 'test/mqtt-auth.test.ts', value: 'b', why: 'a URL password the environment overrides' },
  { file: 'test/mqtt-auth.test.ts', value: 'secret', why: 'what redactUrl hides' },
  { file: 'test/mqtt-users-cli.db.mqtt.test.ts', value: 'ingest-from-env', why: 'the password the test sets for its own throwaway Mosquitto' },
  { file: 'test/hub-config.test.ts', value: 'pw-123', why: 'input of the hub config generator' },
  { file: 'test/mqtt-auth.test.ts', value: 'pw-123', why: 'input of the hub config generator' },
  { file: 'test/mqtt-auth.test.ts', value: 'local-pw', why: 'a hub LAN password the generator keeps on a rerun' },
];
const allowed = (f: Finding) => ALLOWED_FIXTURES.some((a) => a.file === f.file && a.value === f.value);

// Planted secrets are assembled at run time, so this file itself holds none for the scan to find.
const join2 = (...parts: string[]) => parts.join('');
const PLANTED: Array<[string, string, string]> = [
  ['key.pem', `${join2('-----BEGIN ', 'RSA PRIVATE KEY-----')}\nMIIEow…`, 'private key block'],
  ['docs/setup.md', `MQTT_URL=mqtts://ingest:${join2('hunter', '2hunter2')}@broker.example:8883`, 'password in a URL'],
  ['settings.ts', `const url = 'postgres://admin:${join2('pass', 'word')}@db/octopus';`, 'password in a URL'],
  ['lib/client.ts', `const client = connect({ ${join2('pass', 'word')}: "${join2('S3cr3t', '!value')}" });`, 'password literal'],
  ['deploy.sh', `export AWS_ACCESS_KEY_ID=${join2('AKIA', 'Z7Q2XK4M9WJ3LP5N')}`, 'AWS access key'],
  ['ci.yml', `token: ${join2('ghp', '_')}${randomBytes(27).toString('base64url').replace(/[-_]/g, 'a').slice(0, 36)}`, 'GitHub token'],
  ['script.sh', `curl -H "Authorization: Bearer ${join2('octo', '_')}${randomBytes(32).toString('base64url')}"`, 'Octopus API token'],
  ['flows/octopus.json', `{ "apiKey2": "${randomBytes(30).toString('base64')}" }`, 'high-entropy string in config'],
];

describe('secret scan of the repository', () => {
  it('finds planted secrets of every kind (the scan can fail)', () => {
    for (const [file, text, rule] of PLANTED) {
      const found = scanText(file, text);
      assert.ok(found.some((f) => f.rule === rule), `${rule} not found in ${JSON.stringify(text)}: ${JSON.stringify(found)}`);
    }
  });

  it('lets placeholders and non-secrets through', () => {
    const clean = [
      'DATABASE_URL=postgres://octopus:${PGPASSWORD}@db:5432/octopus',
      'mqtt://user:***@broker:1883',
      'MQTT_URL=mqtt://octopus:PASSWORD@mosquitto:1883',
      'mqtts://ingest:<password>@broker.example:8883',
      'postgres://postgres@127.0.0.1:5432/postgres',
      'expected postgres://user:password@host:5432/db',
      "credentials: { connectionString: { type: 'password' } },",
      'const password = randomBytes(18).toString("base64url");',
      "password: 'not the password'",
    ];
    for (const line of clean) assert.deepEqual(scanText('README.md', line), [], line);
    assert.deepEqual(scanText('flows/octopus.json', '{ "id": "octopus-broker-config", "topics": "+/+/+/+\\nzigbee2mqtt/#" }'), []);
  });

  it('finds no secret-looking value in any file git tracks', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
    assert.ok(files.length > 100, `git ls-files listed ${files.length} files`);
    const findings: Finding[] = [];
    let scanned = 0;
    for (const file of files) {
      if (ALLOWED_FILES.has(file)) continue;
      const path = join(REPO, file);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue; // deleted in the work tree, not yet in the index
      }
      if (size > 2_000_000) continue;
      const buf = readFileSync(path);
      if (buf.includes(0)) continue; // binary
      findings.push(...scanText(file, buf.toString('utf8')).filter((f) => !allowed(f)));
      scanned++;
    }
    assert.ok(scanned > 100);
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.excerpt}`), []);
  });
});
