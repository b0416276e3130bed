import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { createTestDatabase, type TestDatabase } from './support/database';
import { canConnect, mosquittoProcess, type MosquittoProcess } from './support/mosquitto';
import { freePort } from './support/ports';

const SCRIPT = resolve(__dirname, '..', 'scripts', 'mqtt-users.js');
const run = promisify(execFile);

function credentialsIn(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([^#:][^:]*):(.+)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

describe('npm run mqtt:users', function () {
  this.timeout(60000);
  let db: TestDatabase;
  let broker: MosquittoProcess | undefined;

  before(async () => {
    db = await createTestDatabase();
    const pool = new Pool({ connectionString: db.url });
    try {
      await migrate(pool);
      await pool.query("insert into devices (device_id, site, room, device) values ('villa/salon/t1', 'villa', 'salon', 't1'), ('loft/bed/t2', 'loft', 'bed', 't2'), ('bad site/x/y', 'bad site', 'x', 'y')");
    } finally {
      await pool.end();
    }
  });
  after(async () => {
    await broker?.stop();
    await db?.drop();
  });

  it("writes the password file and ACL for the registry's houses and the given ones; Mosquitto takes them; reruns keep passwords", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'octopus-mqtt-users-'));
    const credPath = join(dir, 'data', 'mqtt-credentials.txt');
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, MQTT_URL: 'mqtt://octopus:ingest-from-env@broker:1883' };
    delete env.MQTT_USERNAME;
    delete env.MQTT_PASSWORD;
    const first = await run(process.execPath, [SCRIPT, '--dir', dir, '--credentials', credPath, '--house', 'cabin'], { env });
    assert.match(first.stderr, /skipped: house "bad site" cannot have MQTT users/);
    assert.match(first.stdout, /7 users \(3 houses\)/);

    const creds = credentialsIn(credPath);
    assert.deepEqual([...creds.keys()].sort(), ['cabin-devices', 'cabin-hub', 'loft-devices', 'loft-hub', 'villa-devices', 'villa-hub']);
    for (const f of [credPath, join(dir, 'passwd'), join(dir, 'acl')]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    const acl = readFileSync(join(dir, 'acl'), 'utf8');
    assert.match(acl, /^user villa-hub\n/m);
    assert.match(acl, /^user octopus\ntopic readwrite #$/m);

    // The real Mosquitto logs them in with these files.
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${dir}/passwd\nacl_file ${dir}/acl\nlog_dest stderr\n`);
    const url = `mqtt://127.0.0.1:${port}`;
    broker = mosquittoProcess(conf, async () => {
      if (!(await canConnect(url, { username: 'octopus', password: 'ingest-from-env' }))) throw new Error('not yet');
    });
    await broker.start();
    assert.equal(await canConnect(url, { username: 'villa-hub', password: creds.get('villa-hub') }), true);
    assert.equal(await canConnect(url, { username: 'villa-hub', password: creds.get('loft-hub') }), false);

    // A second run with a new house: existing users keep their hashes, only the new ones are handed out.
    const before = readFileSync(join(dir, 'passwd'), 'utf8');
    await run(process.execPath, [SCRIPT, '--dir', dir, '--credentials', credPath, '--house', 'barn'], { env });
    const after = readFileSync(join(dir, 'passwd'), 'utf8');
    for (const line of before.split('\n').filter(Boolean)) assert.ok(after.includes(line), `kept ${line.split(':')[0]}`);
    assert.deepEqual([...credentialsIn(credPath).keys()].filter((u) => !creds.has(u)).sort(), ['barn-devices', 'barn-hub']);
    broker.reload();
    const barn = credentialsIn(credPath).get('barn-hub');
    const until = Date.now() + 10000;
    while (!(await canConnect(url, { username: 'barn-hub', password: barn }))) {
      if (Date.now() > until) assert.fail(`Mosquitto did not take barn-hub after SIGHUP: ${broker.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await canConnect(url, { username: 'villa-hub', password: creds.get('villa-hub') }), true);
  });
});
