import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { commandArgv, envPairs, parseDockerfile, type Stage } from './support/dockerfile';
import { adminToken, OCTOPUS_TYPES, REPO_ROOT, registeredTypes, TEST_OPERATOR } from './support/node-red-admin';
import { startMosquitto } from './support/mosquitto';
import { cachedInstall, freePort, startNodeRedProcess, type NodeRedProcess } from './support/node-red-install';
import { watchNodeStatus } from './support/node-status';

const run = promisify(execFile);
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yaml');
const SECRETS = { POSTGRES_PASSWORD: 'pg-test-secret-1', OCTOPUS_CREDENTIAL_SECRET: 'cred-test-secret-2', OCTOPUS_ADMIN_PASSWORD: 'admin-test-secret-3', MQTT_PASSWORD: 'mqtt-test-secret-4', OCTOPUS_METRICS_TOKEN: 'metrics-test-secret-5', OCTOPUS_MQTT_ADMIN_PASSWORD: 'mqtt-admin-test-secret-6' };

interface ComposeService {
  image?: string;
  entrypoint?: string[];
  build?: { context: string };
  restart?: string;
  ports?: Array<{ published: number | string; target: number; host_ip?: string } | string>;
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

/** `host:published:target` of a port, whichever form `docker-compose config` prints it in (a string when it has a host address). */
function portSpec(p: NonNullable<ComposeService['ports']>[number]): string {
  if (typeof p === 'string') return p.replace(/\/tcp$/, '').split(':').length === 3 ? p.replace(/\/tcp$/, '') : `*:${p.replace(/\/tcp$/, '')}`;
  return `${p.host_ip ?? '*'}:${p.published}:${p.target}`;
}

function dockerCompose(envFile: string, args: string[]) {
  // A clean environment: variables of the test's own shell must not stand in for the .env file.
  return spawnSync('docker-compose', ['--project-directory', REPO_ROOT, '-f', COMPOSE_FILE, '--env-file', envFile, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME },
  });
}

function envFile(vars: Record<string, string>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'octopus-compose-')), '.env');
  writeFileSync(path, Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(''));
  return path;
}

describe('docker-compose.yaml', function () {
  this.timeout(60000);

  before(function () {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) throw new Error('docker-compose is not installed: `apt-get install docker-compose` (bash .ci/run does it)');
  });

  it('passes `docker-compose config` with the secrets in .env, and describes the system as designed', () => {
    const result = dockerCompose(envFile(SECRETS), ['config']);
    assert.equal(result.status, 0, result.stderr);
    const config = parseYaml(result.stdout) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
    const { mosquitto, postgres, 'node-red': nodeRed } = config.services;
    assert.deepEqual(Object.keys(config.services).sort(), ['mosquitto', 'node-red', 'postgres']);

    assert.equal(mosquitto.image, 'eclipse-mosquitto:2');
    // Plain MQTT only on the host's loopback by default (Node-RED reaches it on the compose
    // network); TLS is the way in from the LAN and the internet.
    assert.deepEqual(mosquitto.ports?.map(portSpec).sort(), ['*:8883:8883', '127.0.0.1:1883:1883']);
    const lan = parseYaml(dockerCompose(envFile({ ...SECRETS, OCTOPUS_MQTT_PLAIN_BIND: '0.0.0.0' }), ['config']).stdout) as { services: Record<string, ComposeService> };
    assert.deepEqual(lan.services.mosquitto.ports?.map(portSpec).sort(), ['*:8883:8883', '0.0.0.0:1883:1883'], 'opened to the LAN on request');
    assert.ok(mosquitto.volumes?.includes(`${join(REPO_ROOT, 'mosquitto')}:/mosquitto/config:ro`), 'the project config mounted read-only');
    assert.ok(mosquitto.volumes?.some((v) => /^mosquitto-data:\/mosquitto\/data/.test(v)));
    assert.ok(mosquitto.volumes?.some((v) => /^mosquitto-log:\/mosquitto\/log/.test(v)));
    assert.match(mosquitto.healthcheck?.test.join(' ') ?? '', /mosquitto_sub/);

    assert.match(postgres.image ?? '', /^postgres:\d+/);
    assert.equal(postgres.ports, undefined, 'Postgres is not published');
    assert.ok(postgres.volumes?.some((v) => /^postgres-data:\/var\/lib\/postgresql\/data/.test(v)));
    assert.match(postgres.healthcheck?.test.join(' ') ?? '', /pg_isready/);
    assert.equal(postgres.environment?.POSTGRES_PASSWORD, SECRETS.POSTGRES_PASSWORD);

    assert.equal(nodeRed.build?.context, REPO_ROOT, 'built from the Dockerfile here');
    assert.deepEqual(nodeRed.ports?.map(portSpec), ['*:1880:1880']);
    assert.deepEqual(nodeRed.depends_on, { mosquitto: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    assert.equal(nodeRed.environment?.DATABASE_URL, `postgres://octopus:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/octopus`);
    assert.equal(nodeRed.environment?.MQTT_URL, 'mqtt://mosquitto:1883');
    assert.equal(nodeRed.environment?.OCTOPUS_CREDENTIAL_SECRET, SECRETS.OCTOPUS_CREDENTIAL_SECRET);
    assert.equal(nodeRed.environment?.OCTOPUS_ADMIN_PASSWORD, SECRETS.OCTOPUS_ADMIN_PASSWORD);
    assert.equal(nodeRed.environment?.MQTT_USERNAME, 'octopus');
    assert.equal(nodeRed.environment?.MQTT_PASSWORD, SECRETS.MQTT_PASSWORD);
    assert.equal(mosquitto.environment?.MQTT_PASSWORD, SECRETS.MQTT_PASSWORD, 'the healthcheck logs in as the app');
    // Users live in the dynamic security plugin: its first start makes the admin client Node-RED logs in with.
    assert.deepEqual(mosquitto.entrypoint, ['/bin/sh', '/mosquitto/config/dynsec-init.sh']);
    assert.equal(mosquitto.environment?.OCTOPUS_MQTT_ADMIN_PASSWORD, SECRETS.OCTOPUS_MQTT_ADMIN_PASSWORD);
    assert.equal(nodeRed.environment?.OCTOPUS_MQTT_ADMIN_PASSWORD, SECRETS.OCTOPUS_MQTT_ADMIN_PASSWORD);
    assert.equal(nodeRed.environment?.OCTOPUS_MQTT_ADMIN_USER, mosquitto.environment?.OCTOPUS_MQTT_ADMIN_USER);
    assert.equal(nodeRed.environment?.OCTOPUS_METRICS_TOKEN, SECRETS.OCTOPUS_METRICS_TOKEN, '/metrics is never open in a deployment');
    assert.equal(nodeRed.environment?.OCTOPUS_DATA_DIR, '/data');
    assert.ok(nodeRed.volumes?.some((v) => /^node-red-data:\/data/.test(v)));

    for (const [name, service] of Object.entries(config.services)) assert.equal(service.restart, 'unless-stopped', `${name} restarts`);
    assert.deepEqual(Object.keys(config.volumes).sort(), ['mosquitto-data', 'mosquitto-log', 'node-red-data', 'postgres-data']);
    // The secrets come from .env only.
    const source = readFileSync(COMPOSE_FILE, 'utf8');
    for (const secret of Object.values(SECRETS)) assert.ok(!source.includes(secret));
  });

  it("Mosquitto's healthcheck command passes against a broker running the project's config (logging in as the app when it must)", async () => {
    const config = parseYaml(dockerCompose(envFile(SECRETS), ['config']).stdout) as { services: Record<string, ComposeService> };
    const [form, command] = config.services.mosquitto.healthcheck?.test ?? [];
    assert.equal(form, 'CMD-SHELL');
    const broker = await startMosquitto();
    try {
      // The container's port is 1883; the test's broker listens on a free one. `$$` is compose's escape for `$`.
      const shell = command.replace(/\$\$/g, '$').replace(/-p 1883\b/, `-p ${broker.port}`);
      assert.notEqual(shell, command.replace(/\$\$/g, '$'), 'the healthcheck names the port');
      const url = new URL(broker.url);
      const login = { MQTT_USERNAME: decodeURIComponent(url.username), MQTT_PASSWORD: decodeURIComponent(url.password) };
      const healthy = spawnSync('/bin/sh', ['-c', shell], { encoding: 'utf8', env: { PATH: process.env.PATH, ...login }, timeout: 15000 });
      assert.equal(healthy.status, 0, `healthcheck: ${healthy.stdout}${healthy.stderr}`);
      if (login.MQTT_USERNAME) {
        const wrong = spawnSync('/bin/sh', ['-c', shell], { encoding: 'utf8', env: { PATH: process.env.PATH, ...login, MQTT_PASSWORD: 'not-the-password' }, timeout: 15000 });
        assert.notEqual(wrong.status, 0, 'a wrong password is unhealthy');
      }
    } finally {
      await broker.stop();
    }
  });

  for (const missing of Object.keys(SECRETS)) {
    it(`refuses to run without ${missing}, naming it`, () => {
      const vars: Record<string, string> = { ...SECRETS };
      delete vars[missing];
      const result = dockerCompose(envFile(vars), ['config']);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, new RegExp(`set ${missing} in \\.env`));
    });
  }

  it('.env.example lists every variable the compose file reads, each with a comment', () => {
    const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').split('\n');
    const used = new Set([...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/(?<!\$)\$\{(\w+)/g)].map((m) => m[1]));
    for (const name of used) {
      const at = example.findIndex((l) => new RegExp(`^#?\\s*${name}=`).test(l));
      assert.ok(at > 0, `${name} in .env.example`);
      assert.ok(example.slice(0, at).reverse().find((l) => !/^#?\s*\w+=/.test(l))?.startsWith('#'), `${name} has a comment`);
    }
  });
});

/**
 * The image's paths and where this test lays them out. The Dockerfile may use no other absolute
 * path, so that every step it takes can be taken here.
 */
function pathMapper(roots: Record<string, string>) {
  const keys = Object.keys(roots).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![\\w.$-])(${keys.map((k) => k.replace(/[/.]/g, '\\$&')).join('|')})(?=$|[/\\s"'*:])`, 'g');
  return {
    map: (text: string) => text.replace(pattern, (root: string) => roots[root]),
    unmapped: (text: string) => [...text.matchAll(/(?<![\w.$-])\/[A-Za-z][^\s"'*:]*/g)].map((m) => m[0]).filter((p) => !keys.some((k) => p === k || p.startsWith(`${k}/`))),
  };
}

describe('Dockerfile, its steps taken outside Docker', function () {
  this.timeout(300000);

  const stages: Stage[] = parseDockerfile(join(REPO_ROOT, 'Dockerfile'));
  const image = join(mkdtempSync(join(tmpdir(), 'octopus-image-')), 'root');
  const packDir = join(image, 'pack');
  const paths = pathMapper({ '/build': REPO_ROOT, '/pack': packDir, '/usr/src/node-red': join(image, 'usr/src/node-red'), '/data': join(image, 'data') });
  let db: TestDatabase;
  let nodeRed: NodeRedProcess | undefined;
  let entrypoint: string[] = [];
  let healthcheck: string[] = [];
  const imageEnv: Record<string, string> = {};
  const clientId = `octopus-docker-${randomUUID().slice(0, 8)}`;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await nodeRed?.stop();
    const c = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-octopus-source`, clean: true });
    await c.endAsync();
    await db?.drop();
  });

  it('builds on the official images: a Node 20 stage packs, nodered/node-red:4.1 runs', () => {
    assert.deepEqual(
      stages.map((s) => [s.from, s.name]),
      [
        ['node:20-alpine', 'pack'],
        ['nodered/node-red:4.1', undefined],
      ],
    );
    for (const stage of stages) {
      for (const ins of stage.instructions) assert.deepEqual(paths.unmapped(ins.args), [], `line ${ins.line}: only the image paths the test lays out`);
    }
  });

  it('pack stage: `npm ci` as this checkout was installed, then its `npm pack` run here writes the tarball', async () => {
    const [pack] = stages;
    let cwd = REPO_ROOT;
    mkdirSync(packDir, { recursive: true });
    for (const ins of pack.instructions) {
      if (ins.keyword === 'WORKDIR') assert.equal(paths.map(ins.args), REPO_ROOT, 'the build context is this repository');
      else if (ins.keyword === 'COPY') assert.equal(ins.args, '. .', 'the whole context (less .dockerignore)');
      else if (ins.keyword === 'RUN' && /^npm ci\b/.test(ins.args)) {
        // The checkout's node_modules come from the same `npm ci` (.ci/run); running it here would
        // pull them from under the running tests.
        assert.equal(ins.args, 'npm ci --no-audit --no-fund --ignore-scripts');
        assert.ok(existsSync(join(REPO_ROOT, 'node_modules', '.package-lock.json')));
      } else if (ins.keyword === 'RUN') {
        await run('/bin/sh', ['-c', paths.map(ins.args)], { cwd, maxBuffer: 64 * 1024 * 1024 });
      } else assert.fail(`unexpected ${ins.keyword} in the pack stage (line ${ins.line}): teach this test to take it`);
      cwd = REPO_ROOT;
    }
    assert.deepEqual(readdirSync(packDir), ['node-red-contrib-octopus.tgz']);
  });

  it('image stage: Node-RED 4.1 as the image lays it out, the tarball installed beside it', async () => {
    const [, final] = stages;
    // The official image: Node-RED in /usr/src/node-red (its package.json depends on node-red 4.1.x), /data for the user.
    cpSync(await cachedInstall('node-red-4.1', { 'node-red': '~4.1.0' }), join(image, 'usr/src/node-red'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(image, 'data'), { recursive: true });
    let cwd = join(image, 'usr/src/node-red');
    for (const ins of final.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          cwd = paths.map(ins.args);
          break;
        case 'COPY': {
          const from = /^--from=(\S+)\s+/.exec(ins.args);
          const [dest, ...sources] = ins.args.replace(/^--from=\S+\s+/, '').split(/\s+/).reverse();
          for (const src of sources.reverse()) {
            const source = from ? paths.map(src) : join(REPO_ROOT, src);
            const target = dest.endsWith('/') ? join(paths.map(dest), basename(src)) : paths.map(dest);
            mkdirSync(join(target, '..'), { recursive: true });
            cpSync(source, target);
          }
          break;
        }
        case 'RUN':
          await run('/bin/sh', ['-c', paths.map(ins.args)], { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...imageEnv } });
          break;
        case 'ENV':
          for (const [k, v] of envPairs(ins.args)) imageEnv[k] = paths.map(v);
          break;
        case 'EXPOSE':
          assert.equal(ins.args, '1880');
          break;
        case 'HEALTHCHECK':
          healthcheck = commandArgv(paths.map(ins.args.replace(/^.*?\bCMD\s+/, '')));
          break;
        case 'ENTRYPOINT':
          entrypoint = commandArgv(paths.map(ins.args));
          break;
        default:
          assert.fail(`unexpected ${ins.keyword} in the image stage (line ${ins.line}): teach this test to take it`);
      }
    }
    const installed = join(image, 'usr/src/node-red/node_modules/node-red-contrib-octopus');
    assert.ok(existsSync(join(installed, 'dist/settings.js')), 'the pack is installed beside Node-RED');
    assert.ok(!existsSync(join(installed, 'node_modules/node-red')), 'no second Node-RED inside the pack');
    assert.equal(imageEnv.OCTOPUS_DATA_DIR, join(image, 'data'));
    assert.equal(entrypoint.length, 1, 'ENTRYPOINT is the script alone (exec form)');
    assert.equal(readFileSync(entrypoint[0], 'utf8'), readFileSync(join(REPO_ROOT, 'docker', 'entrypoint.sh'), 'utf8'));
  });

  it('the entrypoint refuses to start without DATABASE_URL, saying so', () => {
    const result = spawnSync(entrypoint[0], [], { encoding: 'utf8', env: { PATH: process.env.PATH, ...imageEnv, MQTT_URL: MQTT_TEST_URL } });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /DATABASE_URL is not set/);
  });

  it('the entrypoint starts Node-RED 4.1 with the Octopus settings: editor served, every Octopus node registered', async () => {
    const port = await freePort();
    // What docker-compose.yaml passes the container (PORT, broker, database, client id, secret).
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...imageEnv,
      PORT: String(port),
      MQTT_URL: MQTT_TEST_URL,
      DATABASE_URL: db.url,
      OCTOPUS_CLIENT_ID: clientId,
      OCTOPUS_CREDENTIAL_SECRET: 'docker-test-secret',
      OCTOPUS_ADMIN_USER: TEST_OPERATOR.username,
      OCTOPUS_ADMIN_PASSWORD: TEST_OPERATOR.password,
    };
    nodeRed = await startNodeRedProcess(entrypoint[0], entrypoint.slice(1), { cwd: join(image, 'usr/src/node-red'), env, port });
    const out = nodeRed.output();
    assert.match(out, /Node-RED version: v4\.1\./);
    assert.ok(out.includes(`Settings file  : ${join(image, 'usr/src/node-red/node_modules/node-red-contrib-octopus/dist/settings.js')}`), out);
    assert.ok(out.includes(`User directory : ${join(image, 'data/node-red')}`), out);
    const editor = await fetch(`${nodeRed.baseUrl}/`);
    assert.equal(editor.status, 200);
    assert.match(await editor.text(), /Octopus/);
    assert.deepEqual(await registeredTypes(nodeRed.baseUrl, await adminToken(nodeRed.baseUrl)), [...OCTOPUS_TYPES].sort());
  });

  it('runs the default flow: a published reading is stored in Postgres', async () => {
    const base = (nodeRed as NodeRedProcess).baseUrl;
    const watcher = await watchNodeStatus(base, await adminToken(base));
    try {
      await waitFor(() => watcher.events.filter((e) => e.nodeId === 'octopus-source').at(-1)?.text.startsWith('connected') === true, 30000, 'the source connected');
    } finally {
      watcher.close();
    }
    const site = `docker-${randomUUID().slice(0, 6)}`;
    const mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-pub` });
    await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 21.5, unit: '°C' }), { qos: 1 });
    await mqtt.endAsync();
    await waitFor(async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${site}/salon/termo`])) === 1, 30000, 'the reading in Postgres');
  });

  it('the HEALTHCHECK command reports healthy', async () => {
    const [command, ...args] = healthcheck;
    const { port } = nodeRed as NodeRedProcess;
    await run(command === 'node' ? process.execPath : command, args, { env: { ...process.env, ...imageEnv, PORT: String(port) } });
  });

  it('stops cleanly on SIGTERM (docker stop)', async () => {
    assert.equal(await (nodeRed as NodeRedProcess).stop(), 0);
    nodeRed = undefined;
  });
});
