import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { migrateConfig, MIGRATIONS, type MigrationStep } from '../lib/node-config/migrations';
import { configVersionOf, readNodeConfig } from '../lib/node-config/node-config';
import { NODE_SCHEMAS, type AlertConfig, type MqttInConfig, type OctopusNodeType, type StoreConfig } from '../lib/node-config/node-schemas';
import { parseOptionsOf } from '../lib/parser/parse-config';

const ROOT = resolve(__dirname, '..', '..');
type FlowNode = Record<string, unknown> & { id: string; type: string };

function fixture(name: string): FlowNode[] {
  return JSON.parse(readFileSync(resolve(ROOT, 'test', 'fixtures', name), 'utf8')) as FlowNode[];
}

const TYPES = Object.keys(NODE_SCHEMAS) as OctopusNodeType[];
const isOctopus = (n: FlowNode): n is FlowNode & { type: OctopusNodeType } => (TYPES as string[]).includes(n.type);

describe('node config versions and migrations (lib/node-config)', () => {
  it('reads a flow saved by the current version as it is, with no note', () => {
    const nodes = fixture('flow-v1.json').filter(isOctopus);
    assert.equal(new Set(nodes.map((n) => n.type)).size, 9, 'the application flow has nine Octopus node types');
    for (const n of nodes) {
      const read = readNodeConfig(n.type, n);
      assert.ok(read.ok, `${n.type}: ${read.ok ? '' : read.problem}`);
      assert.equal(read.note, undefined, n.type);
      assert.deepEqual(read.config, n, n.type);
    }
  });

  it('migrates a flow saved before versions: absent properties become what they meant, and the note says so', () => {
    const nodes = fixture('flow-v0.json').filter(isOctopus);
    for (const n of nodes) {
      assert.equal(n.configVersion, undefined);
      const read = readNodeConfig(n.type, n);
      assert.ok(read.ok, `${n.type}: ${read.ok ? '' : read.problem}`);
      assert.equal(read.config.configVersion, 1, n.type);
      assert.match(read.note ?? '', /^config saved with version 0, read as version 1 \(0→1: absent properties set to what they meant\)/, n.type);
      for (const [key, value] of Object.entries(n)) assert.deepEqual(read.config[key], value, `${n.type}.${key} is kept`);
    }
    const alert = readNodeConfig('octopus-alert', nodes.find((n) => n.type === 'octopus-alert') as FlowNode);
    // An alert node saved without repeatS never repeated; the editor's default for a new node is 3600.
    assert.ok(alert.ok);
    assert.equal(alert.config.repeatS, 0);
    assert.equal(alert.config.quietHours, '');
  });

  it('the notify and automation nodes saved before versions read as they ran; a severity that is none is refused', () => {
    const notify = readNodeConfig('octopus-notify', { id: 'n', type: 'octopus-notify', database: 'pg' });
    assert.ok(notify.ok);
    // without a severity a message was info; without a site it needed msg.site
    assert.deepEqual({ severity: notify.config.severity, site: notify.config.site, configVersion: notify.config.configVersion }, { severity: 'info', site: '', configVersion: 1 });
    const automation = readNodeConfig('octopus-automation', { id: 'a', type: 'octopus-automation', registry: 'r' });
    assert.ok(automation.ok);
    assert.equal(automation.config.site, '', 'every site');
    assert.deepEqual(readNodeConfig('octopus-notify', { configVersion: 1, severity: 'urgent' }), {
      ok: false,
      problem: 'config: property "severity" must be one of "info", "warning", "critical", "", not "urgent"',
    });
  });

  it('the migration changes nothing the node does: the parse settings of the old flow read the same before and after', () => {
    const old = fixture('flow-v0.json').find((n) => n.type === 'octopus-parse') as FlowNode;
    const read = readNodeConfig('octopus-parse', old);
    assert.ok(read.ok);
    assert.equal(read.config.maxLevelBytes, 128);
    assert.deepEqual(parseOptionsOf(read.config), parseOptionsOf(old as object));
    assert.equal(typeof parseOptionsOf(old as object), 'object');
  });

  it('runs the steps from the saved version on, and reads a newer version as it is', () => {
    const steps: MigrationStep[] = [
      { from: 0, what: 'a default', migrate: (c) => ({ waitMs: 100, ...c }) },
      { from: 1, what: 'waitMs in seconds', migrate: ({ waitMs, ...c }) => ({ ...c, waitS: Number(waitMs) / 1000 }) },
    ];
    assert.deepEqual(migrateConfig({ id: 'a' }, steps), { ok: true, config: { id: 'a', waitS: 0.1, configVersion: 2 }, from: 0, to: 2, applied: ['0→1: a default', '1→2: waitMs in seconds'] });
    assert.deepEqual(migrateConfig({ configVersion: 1, waitMs: 2500 }, steps), { ok: true, config: { waitS: 2.5, configVersion: 2 }, from: 1, to: 2, applied: ['1→2: waitMs in seconds'] });
    // the editor's hidden inputs store text
    assert.deepEqual(migrateConfig({ configVersion: '2', waitS: 3 }, steps), { ok: true, config: { waitS: 3, configVersion: 2 }, from: 2, to: 2, applied: [] });
    assert.deepEqual(migrateConfig({ configVersion: 7, waitS: 3 }, steps), { ok: true, config: { waitS: 3, configVersion: 7 }, from: 7, to: 2, applied: [], newer: true });
    for (const bad of [-1, 1.5, 'two', true, {}]) {
      const r = migrateConfig({ configVersion: bad }, steps);
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.match(r.ok ? '' : r.problem, /^configVersion .* is not a version \(a whole number, 0 or more\)$/);
    }
  });

  it('says what is wrong with a config that is not of the right shape, in one sentence', () => {
    const cases: Array<[OctopusNodeType, Record<string, unknown>, string]> = [
      ['octopus-store', { configVersion: 1, batchSize: { n: 5 } }, 'config: property "batchSize" must be a number or text, not an object'],
      ['octopus-mqtt-in', { configVersion: 1, ackMode: 'sometimes' }, 'config: property "ackMode" must be one of "after-store", "on-receipt", not "sometimes"'],
      ['octopus-alert', { rules: 42 }, 'config: property "rules" must be text, not 42'],
      ['octopus-broker', { configVersion: 1, tlsRejectUnauthorized: 'no' }, 'config: property "tlsRejectUnauthorized" must be true or false, not "no"'],
      ['octopus-parse', { configVersion: 'new' }, 'config: configVersion "new" is not a version (a whole number, 0 or more)'],
    ];
    for (const [type, saved, problem] of cases) assert.deepEqual(readNodeConfig(type, saved), { ok: false, problem }, type);
    const newer = readNodeConfig('octopus-store', { configVersion: 9, batchSize: 10, someday: true });
    assert.ok(newer.ok);
    assert.match(newer.note ?? '', /newer Octopus \(version 9; this one knows up to 1\)/);
  });

  it('the editor saves new nodes with the current version, and every property in a schema is one the editor has', () => {
    for (const type of TYPES) {
      const html = readFileSync(resolve(ROOT, 'nodes', type, `${type}.html`), 'utf8');
      assert.match(html, new RegExp(`configVersion: \\{ value: ${configVersionOf(type)} \\}`), type);
      for (const prop of Object.keys(NODE_SCHEMAS[type].properties)) assert.match(html, new RegExp(`\\n\\s+${prop}: \\{`), `${type}.${prop} in the editor's defaults`);
      assert.equal(configVersionOf(type), MIGRATIONS[type].length, type);
      // the dialog's Done stamps the version (window.octopusEditor.saveConfigVersion, in octopus-broker.html)
      assert.match(html, /oneditsave: function \(\) \{\n\s+window\.octopusEditor\.saveConfigVersion\(this\);/, type);
    }
  });

  it('the examples and the default flow are saved with the current version and read without a problem', () => {
    const files = readdirSync(resolve(ROOT, 'examples')).map((f) => resolve(ROOT, 'examples', f));
    for (const file of [...files, resolve(ROOT, 'flows', 'octopus.json')]) {
      for (const n of (JSON.parse(readFileSync(file, 'utf8')) as FlowNode[]).filter(isOctopus)) {
        assert.equal(n.configVersion, configVersionOf(n.type), `${file}: ${n.id}`);
        const read = readNodeConfig(n.type, n);
        assert.ok(read.ok && read.note === undefined, `${file}: ${n.id}`);
      }
    }
  });

  it('the config types follow the schemas', () => {
    const store: StoreConfig = { database: 'db', batchSize: '1000', batchWaitMs: 100 };
    const mqttIn: MqttInConfig = { ackMode: 'on-receipt', output: 'group' };
    // @ts-expect-error: a number setting is a number or text
    const badStore: StoreConfig = { batchSize: true };
    // @ts-expect-error: not one of the schema's ack modes
    const badMqttIn: MqttInConfig = { ackMode: 'sometimes' };
    // @ts-expect-error: the rules are JSON text
    const badAlert: AlertConfig = { rules: [] };
    assert.ok(readNodeConfig('octopus-store', store).ok);
    assert.ok(readNodeConfig('octopus-mqtt-in', mqttIn).ok);
    for (const [type, bad] of [['octopus-store', badStore], ['octopus-mqtt-in', badMqttIn], ['octopus-alert', badAlert]] as const) assert.equal(readNodeConfig(type, bad).ok, false, type);
  });
});
