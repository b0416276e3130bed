import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import { connectAsync, type MqttClient } from 'mqtt';
import { Pool } from 'pg';
import type { HttpMethod, OpenApiDocument } from '../lib/api/openapi';
import { registerApiRoutes, type HttpApp } from '../lib/api/routes';
import { AuthService } from '../lib/auth/auth-service';
import { migrate } from '../lib/db/migrate';
import type { Reading } from '../lib/model/reading';
import { RegistryService } from '../lib/registry/registry-service';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';
import { energyApiSuite } from './support/energy-api-suite';
import { automationApiSuite } from './support/automation-api-suite';
import type { AutomationService } from '../lib/automation/automation-service';
import { ServiceSlot } from '../lib/runtime/service-slot';
import { alertsApiSuite } from './support/alerts-api-suite';
import { notifyApiSuite } from './support/notify-api-suite';
import { onboardingApiSuite } from './support/onboarding-api-suite';
import { makeOnboarding } from '../lib/onboarding/onboarding-setup';
import { LiveUserTable } from '../lib/mqtt-auth/live-user-table';
import { RecentRejects } from '../lib/onboarding/recent-rejects';
import { registerAlertRoutes } from '../lib/alerts/alerts-api';
import { runtimeOf } from '../lib/runtime/octopus-runtime';
import type { AlertService } from '../lib/alerts/alert-service';
import { MQTT_TEST_URL, waitFor } from './support/env';

const DOC_ID = 'urn:octopus:openapi-under-test';

interface Answer {
  status: number;
  headers: Headers;
  // Response bodies are checked against the OpenAPI schemas; the tests then read them loosely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

interface CallOptions {
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
}

/**
 * Every answer of the suite goes through here: it finds the documented operation for the request,
 * asserts the status is documented, and validates the body against the documented schema with ajv
 * (the whole document added to ajv, so `#/components/schemas/…` resolve as in the document).
 */
class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly contract: Contract,
    /** Sent with every request: the caller's credentials (a bearer token, or a cookie and CSRF token). */
    private readonly credentials: Record<string, string> = {},
  ) {}

  /** The same API as another caller. */
  as(credentials: Record<string, string>): ApiClient {
    return new ApiClient(this.baseUrl, this.contract, credentials);
  }

  async call(method: Uppercase<HttpMethod>, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...this.credentials, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, init);
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    const parsed: unknown = contentType.startsWith('application/json') ? JSON.parse(text) : text;
    this.contract.check(method.toLowerCase() as HttpMethod, path, res.status, contentType, parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  get(path: string): Promise<Answer> {
    return this.call('GET', path);
  }
}

class Contract {
  readonly exercised = new Set<string>();
  private readonly ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    // The document's own keywords around the schemas are not JSON Schema: declared, never applied.
    for (const k of ['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security']) this.ajv.addKeyword(k);
    this.ajv.addSchema(doc, DOC_ID);
  }

  /** The documented path template a concrete path (as sent, still URL-encoded) belongs to. */
  template(path: string): string {
    const segments = path.split('?')[0].split('/');
    const found = Object.keys(this.doc.paths).find((t) => {
      const parts = t.split('/');
      return parts.length === segments.length && parts.every((p, i) => (p.startsWith('{') ? segments[i] !== '' : p === segments[i]));
    });
    assert.ok(found, `no documented path matches ${path}`);
    return found;
  }

  /** Every response and request body schema of the document, compiled: each `$ref` must resolve, in ajv's strict mode. */
  compileAll(): number {
    let n = 0;
    for (const [path, ops] of Object.entries(this.doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const bodies = Object.entries(op.responses)
          .filter(([, r]) => r.content?.['application/json'])
          .map(([status]) => ['responses', status, 'content', 'application/json', 'schema']);
        if (op.requestBody) bodies.push(['requestBody', 'content', 'application/json', 'schema']);
        for (const at of bodies) {
          this.ajv.compile({ $ref: `${DOC_ID}#/${pointer(['paths', path, method, ...at])}` });
          n++;
        }
      }
    }
    return n;
  }

  check(method: HttpMethod, path: string, status: number, contentType: string, body: unknown): void {
    const template = this.template(path);
    const operation = this.doc.paths[template][method];
    assert.ok(operation, `${method.toUpperCase()} ${template} is not documented`);
    this.exercised.add(`${method.toUpperCase()} ${template}`);
    const response = operation.responses[String(status)];
    assert.ok(response, `${method.toUpperCase()} ${path} answered ${status}, which is not documented (body: ${JSON.stringify(body)})`);
    if (!response.content) {
      assert.equal(body, '', `${status} is documented without a body`);
      return;
    }
    const media = Object.keys(response.content).find((t) => contentType.startsWith(t));
    assert.ok(media, `${method.toUpperCase()} ${path} ${status} answered ${contentType}, which is not documented`);
    if (media !== 'application/json') {
      // A streamed export: text in one of the documented types; its rows are checked by the tests.
      assert.equal(typeof body, 'string');
      return;
    }
    const key = `${DOC_ID}#/${pointer(['paths', template, method, 'responses', String(status), 'content', 'application/json', 'schema'])}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: key });
      this.validators.set(key, validate);
    }
    assert.ok(
      validate(body),
      `${method.toUpperCase()} ${path} ${status}: body does not match the OpenAPI schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }

  operations(): string[] {
    return Object.entries(this.doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  }
}

/** A JSON pointer as a URI fragment: `~` and `/` escaped inside segments, then URL-encoded (`{id}`). */
function pointer(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
}

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

const enc = encodeURIComponent;

function expectError(a: Answer, status: number, pattern: RegExp): void {
  assert.equal(a.status, status, `expected ${status}, got ${a.status}: ${JSON.stringify(a.body)}`);
  assert.match(a.body.error, pattern);
}

describe('REST API /api/v1 (real Postgres, Mosquitto and express)', function () {
  this.timeout(30000);
  const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const casa = `casa_${suffix}`;
  const oficina = `oficina_${suffix}`;
  const termo = `${casa}/salon/termo`;
  const enchufe = `${casa}/salon/enchufe`;
  const luz = `${casa}/cocina/luz`;
  const plug = `tasmota:plug_${suffix}`;
  const sensor = `${oficina}/sala/sensor`;

  let db: TestDatabase;
  let pool: Pool;
  let publisher: MqttClient;
  let deviceSide: MqttClient;
  let brokenPublisher: MqttClient;
  let service: RegistryService;
  let brokenService: RegistryService;
  const servers: Server[] = [];
  let api: ApiClient;
  let notDeployed: ApiClient;
  let broken: ApiClient;
  let contract: Contract;
  let auth: AuthService;
  const operatorName = `op_${suffix}`;
  let operatorToken = '';
  let alerts: AlertService | undefined;
  // The automation service the API serves (the suite provides one while it runs), as the runtime's slot would.
  const automations = new ServiceSlot<AutomationService>('automation service');

  const reading = (deviceId: string, attribute: string, value: Reading['value'], ts = Date.now(), unit?: string): Reading => {
    const [site, room, device] = deviceId.includes(':') ? [casa, 'garaje', deviceId.split(':')[1]] : deviceId.split('/');
    return { deviceId, site, room, device, attribute, value, ts, deviceTs: true, ...(unit ? { unit } : {}) };
  };

  before(async () => {
    db = await createTestDatabase('octopus_api');
    pool = new Pool({ connectionString: db.url, max: 4 });
    await migrate(pool);
    publisher = await connectAsync(MQTT_TEST_URL, { clientId: `api-test-pub-${suffix}` });
    deviceSide = await connectAsync(MQTT_TEST_URL, { clientId: `api-test-dev-${suffix}` });
    service = new RegistryService({
      database: () => Promise.resolve(pool),
      publish: async (topic, payload) => {
        await publisher.publishAsync(topic, payload, { qos: 1 });
      },
      saveIntervalMs: 200,
      sweepIntervalMs: 60000,
    });
    await service.start();

    // A registry whose broker connection is gone: its commands cannot be published (502).
    brokenPublisher = await connectAsync(MQTT_TEST_URL, { clientId: `api-test-broken-${suffix}` });
    await brokenPublisher.endAsync();
    brokenService = new RegistryService({
      database: () => Promise.resolve(pool),
      publish: async (topic, payload) => {
        await brokenPublisher.publishAsync(topic, payload, { qos: 1 });
      },
    });

    // Callers sign in against a user store in the same database: the suite acts as an operator with an API token.
    auth = new AuthService({ database: () => Promise.resolve(pool) });
    const operator = await auth.createUser({ username: operatorName, password: randomBytes(18).toString('base64url'), operator: true, sites: new Map() });
    assert.ok(operator);
    operatorToken = (await auth.createToken(operator, { name: 'api test', role: 'operator', sites: [], expiresAt: null })).token;
    // Onboarding as `npm start` has it: the embedded broker's in-process user table.
    const brokerUsers = new LiveUserTable();
    const onboarding = makeOnboarding({ MQTT_URL: 'mqtt://127.0.0.1:1883' }, () => brokerUsers, new RecentRejects());
    const withAuth = { auth: () => auth, automation: () => automations.current(), onboarding: () => onboarding, alerts: () => alerts };

    const app = express();
    registerApiRoutes(app, () => service, withAuth);
    const idle = express();
    registerApiRoutes(idle, () => undefined, withAuth);
    const failing = express();
    registerApiRoutes(failing, () => brokenService, withAuth);
    // The alerts part: its service comes with its own sub-suite (alertsApiSuite); none on the idle app.
    registerAlertRoutes(app, () => alerts, withAuth);
    registerAlertRoutes(idle, () => undefined, withAuth);
    const [main, idleServer, failingServer] = await Promise.all([listen(app), listen(idle), listen(failing)]);
    servers.push(main.server, idleServer.server, failingServer.server);

    const doc = (await (await fetch(`${main.url}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    contract = new Contract(doc);
    const asOperator = { Authorization: `Bearer ${operatorToken}` };
    api = new ApiClient(main.url, contract, asOperator);
    notDeployed = new ApiClient(idleServer.url, contract, asOperator);
    broken = new ApiClient(failingServer.url, contract, asOperator);

    const now = Date.now();
    service.observeReadings([
      reading(termo, 'temp', 21.5, now, '°C'),
      reading(termo, 'setpoint', 20, now, '°C'),
      reading(termo, 'mode', 'eco', now),
      reading(enchufe, 'on', false, now),
      reading(enchufe, 'power', 12, now, 'W'),
      reading(luz, 'level', 0, now, '%'),
      reading(sensor, 'temp', 18, now, '°C'),
    ]);
    service.observeReadings([reading(plug, 'power', true, now)], 'tasmota');
    service.observeDeviceEvents([
      { kind: 'availability', deviceId: sensor, site: oficina, room: 'sala', device: 'sensor', profile: 'octopus', state: 'offline', native: 'offline', ts: now },
    ]);
    brokenService.observeReadings([reading(enchufe, 'on', false, now)]);
    brokenService.updateMeta(enchufe, { controls: { on: { kind: 'switch' } } });
  });

  after(async () => {
    await service?.stop();
    for (const s of servers) await closeServer(s);
    await publisher?.endAsync();
    await deviceSide?.endAsync();
    await pool?.end();
    await db?.drop();
  });

  describe('GET /openapi.json', () => {
    it('is an OpenAPI 3.1 document with component schemas and a unique operationId per operation', async () => {
      const a = await api.get('/openapi.json');
      assert.equal(a.status, 200);
      assert.equal(a.body.openapi, '3.1.0');
      assert.deepEqual(a.body.servers, [{ url: '/api/v1' }]);
      for (const name of ['Device', 'DeviceDetail', 'DeviceList', 'Attribute', 'Reading', 'ReadingList', 'Command', 'CommandList', 'Error', 'Site', 'SiteList', 'Room', 'RoomList', 'History', 'HistoryPoint']) {
        assert.ok(a.body.components.schemas[name], `component ${name}`);
      }
      const ids = Object.values(contract.doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
      assert.equal(new Set(ids).size, ids.length);
      // registry (sites, devices, commands, this document) + auth + energy and export + alerts + automation + notify + onboarding
      assert.equal(ids.length, 13 + 13 + 7 + 5 + 21 + 12 + 11);
    });

    it('compiles in ajv strict mode, and the check it drives refuses what the schemas do not allow', () => {
      assert.ok(contract.compileAll() >= 40);
      const strict = new Contract(contract.doc);
      const device = { deviceId: 'h/r/d', site: 'h', room: 'r', device: 'd' };
      assert.throws(() => strict.check('get', '/devices/h%2Fr%2Fd', 200, 'application/json', device), /does not match the OpenAPI schema: .*must have required property/);
      assert.throws(() => strict.check('get', '/sites', 200, 'application/json', { items: [], extra: 1 }), /must NOT have additional properties/);
      assert.throws(() => strict.check('get', '/sites', 418, 'application/json', { error: 'teapot' }), /418, which is not documented/);
      assert.throws(() => strict.check('get', '/nowhere', 200, 'application/json', {}), /no documented path matches/);
    });

    it('is served (200) even while no registry is deployed', async () => {
      const a = await notDeployed.get('/openapi.json');
      assert.equal(a.status, 200);
      assert.equal(a.body.openapi, '3.1.0');
    });
  });

  describe('sites and rooms', () => {
    it('GET /sites counts devices by state per site', async () => {
      const a = await api.get('/sites');
      assert.equal(a.status, 200);
      const mine = a.body.items.filter((s: { site: string }) => s.site === casa || s.site === oficina);
      assert.deepEqual(mine, [
        { site: casa, rooms: 3, devices: 4, online: 4, stale: 0, offline: 0 },
        { site: oficina, rooms: 1, devices: 1, online: 0, stale: 0, offline: 1 },
      ]);
    });

    it('GET /sites/:site/rooms lists rooms with counts; an unknown site is 404', async () => {
      const a = await api.get(`/sites/${enc(casa)}/rooms`);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, {
        site: casa,
        items: [
          { room: 'cocina', devices: 1, online: 1, stale: 0, offline: 0 },
          { room: 'garaje', devices: 1, online: 1, stale: 0, offline: 0 },
          { room: 'salon', devices: 2, online: 2, stale: 0, offline: 0 },
        ],
      });
      expectError(await api.get(`/sites/nowhere_${suffix}/rooms`), 404, /unknown site "nowhere_/);
      expectError(await api.get(`/sites/${enc(casa)}/rooms?x=1`), 400, /unknown query parameter "x" \(this route takes none\)/);
    });
  });

  describe('devices', () => {
    it('GET /devices filters by site and state, sorts by id and pages', async () => {
      const all = await api.get(`/devices?site=${enc(casa)}`);
      assert.equal(all.status, 200);
      assert.equal(all.body.total, 4);
      assert.deepEqual(
        all.body.items.map((d: { deviceId: string }) => d.deviceId),
        [luz, enchufe, termo, plug].sort(),
      );
      assert.equal(all.body.limit, 50);
      assert.equal(all.body.offset, 0);

      const page = await api.get(`/devices?site=${enc(casa)}&limit=2&offset=1`);
      assert.deepEqual(page.body.items.map((d: { deviceId: string }) => d.deviceId), [luz, enchufe, termo, plug].sort().slice(1, 3));
      assert.equal(page.body.total, 4);

      const offline = await api.get(`/devices?state=offline&site=${enc(oficina)}`);
      assert.deepEqual(offline.body.items.map((d: { deviceId: string }) => d.deviceId), [sensor]);
      assert.equal(offline.body.items[0].stateReason, 'reported offline');

      const room = await api.get(`/devices?site=${enc(casa)}&room=salon`);
      assert.deepEqual(room.body.items.map((d: { deviceId: string }) => d.deviceId), [enchufe, termo]);

      const q = await api.get(`/devices?q=${enc(`PLUG_${suffix}`)}`);
      assert.deepEqual(q.body.items.map((d: { deviceId: string }) => d.deviceId), [plug]);

      const none = await api.get(`/devices?site=${enc(casa)}&limit=0`);
      assert.deepEqual([none.body.items.length, none.body.total], [0, 4]);
    });

    it('GET /devices refuses bad paging, an unknown state and unknown parameters with one sentence', async () => {
      expectError(await api.get('/devices?limit=-1'), 400, /^query parameter "limit" must be at least 0, not -1$/);
      expectError(await api.get('/devices?limit=501'), 400, /^query parameter "limit" must be at most 500/);
      expectError(await api.get('/devices?limit=ten'), 400, /^query parameter "limit" must be a whole number, not "ten"$/);
      expectError(await api.get('/devices?offset=1.5'), 400, /^query parameter "offset" must be a whole number/);
      expectError(await api.get('/devices?offset='), 400, /^query parameter "offset" must be a whole number/);
      expectError(await api.get('/devices?state=sleeping'), 400, /^query parameter "state" must be one of online, stale, offline, not "sleeping"$/);
      expectError(await api.get('/devices?state=online&state=stale'), 400, /^query parameter "state" must be one of/);
      expectError(await api.get('/devices?stat=online'), 400, /^unknown query parameter "stat" \(allowed: site, room, state, kind, q, limit, offset\)$/);
      expectError(await api.get('/devices?site='), 400, /^query parameter "site" must not be empty$/);
    });

    it('GET /devices/:id takes an URL-encoded id and answers the detail; unknown is 404', async () => {
      const a = await api.get(`/devices/${enc(termo)}`);
      assert.equal(a.status, 200);
      assert.equal(a.body.deviceId, termo);
      assert.equal(a.body.room, 'salon');
      assert.equal(a.body.state, 'online');
      assert.deepEqual(a.body.meta, {});
      assert.deepEqual(
        a.body.attributes.map((x: { name: string; value: unknown; unit: string | null; controllable: unknown }) => [x.name, x.value, x.unit, x.controllable]),
        [
          ['mode', 'eco', null, null],
          ['setpoint', 20, '°C', null],
          ['temp', 21.5, '°C', null],
        ],
      );
      const p = await api.get(`/devices/${enc(plug)}`);
      assert.equal(p.status, 200);
      assert.equal(p.body.profile, 'tasmota');
      expectError(await api.get(`/devices/${enc(`${casa}/salon/nada`)}`), 404, /^unknown device ".*\/salon\/nada"$/);
    });

    it('PATCH /devices/:id sets metadata and controls, null clears; the display room follows', async () => {
      const a = await api.call('PATCH', `/devices/${enc(termo)}`, {
        json: {
          name: 'Termostato',
          room: 'salón',
          kind: 'thermostat',
          icon: 'thermometer',
          expectedIntervalMs: 60000,
          controls: { setpoint: { kind: 'setpoint', min: 5, max: 30, step: 0.5 }, mode: { kind: 'switch' } },
        },
      });
      assert.equal(a.status, 200);
      assert.equal(a.body.name, 'Termostato');
      assert.equal(a.body.room, 'salón');
      assert.equal(a.body.expectedIntervalMs, 60000);
      assert.equal(a.body.intervalMs, 60000);
      assert.deepEqual(a.body.meta.controls.setpoint, { kind: 'setpoint', min: 5, max: 30, step: 0.5 });
      assert.deepEqual(a.body.attributes.find((x: { name: string }) => x.name === 'setpoint').controllable, { kind: 'setpoint', min: 5, max: 30, step: 0.5 });

      const cleared = await api.call('PATCH', `/devices/${enc(termo)}`, { json: { icon: null, controls: { setpoint: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } } });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.icon, null);
      assert.equal(cleared.body.meta.icon, undefined);
      assert.deepEqual(Object.keys(cleared.body.meta.controls), ['setpoint']);

      for (const [id, controls] of [
        [enchufe, { on: { kind: 'switch' } }],
        [luz, { level: { kind: 'level', min: 0, max: 100, step: 10 } }],
        [plug, { power: { kind: 'switch' } }],
      ] as const) {
        assert.equal((await api.call('PATCH', `/devices/${enc(id)}`, { json: { controls } })).status, 200);
      }

      const rooms = await api.get(`/sites/${enc(casa)}/rooms`);
      assert.deepEqual(rooms.body.items.map((r: { room: string }) => r.room), ['cocina', 'garaje', 'salon', 'salón']);
      const moved = await api.get(`/devices?site=${enc(casa)}&room=${enc('salón')}&kind=thermostat`);
      assert.deepEqual(moved.body.items.map((d: { deviceId: string }) => d.deviceId), [termo]);
      const byName = await api.get(`/devices?q=termostato&site=${enc(casa)}`);
      assert.deepEqual(byName.body.items.map((d: { deviceId: string }) => d.deviceId), [termo]);
    });

    it('PATCH /devices/:id refuses bad metadata, bodies and unknown devices', async () => {
      const path = `/devices/${enc(termo)}`;
      expectError(await api.call('PATCH', path, { json: { colour: 'red' } }), 400, /^unknown field "colour" \(allowed: name, room, kind, icon, expectedIntervalMs, controls/);
      expectError(await api.call('PATCH', path, { json: { expectedIntervalMs: 10 } }), 400, /^field "expectedIntervalMs" must be at least 1000, not 10$/);
      expectError(await api.call('PATCH', path, { json: { name: 42 } }), 400, /^field "name" must be text, not 42$/);
      expectError(await api.call('PATCH', path, { json: { controls: { on: { kind: 'dimmer' } } } }), 400, /^field "controls.on.kind" must be one of "switch", "level", "setpoint", not "dimmer"$/);
      expectError(await api.call('PATCH', path, { json: { controls: { on: { kind: 'level', min: 0 } } } }), 400, /^field "controls.on.max" is required$/);
      // What JSON Schema cannot say, the service does.
      expectError(await api.call('PATCH', path, { json: { controls: { on: { kind: 'level', min: 10, max: 0, step: 1 } } } }), 400, /control "on": min must be below max/);
      expectError(await api.call('PATCH', path, { json: ['name'] }), 400, /^the request body must be a JSON object, not a list$/);
      expectError(await api.call('PATCH', path, { body: '{"name": "x",}', contentType: 'application/json' }), 400, /^the request body is not valid JSON: .*(position|property name)/i);
      expectError(await api.call('PATCH', path, { body: '', contentType: 'application/json' }), 400, /^the request body is empty/);
      expectError(await api.call('PATCH', path, { body: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 415, /^the request body must be JSON: send Content-Type: application\/json, not application\/x-www-form-urlencoded$/);
      expectError(await api.call('PATCH', path, { body: '{"name":"x"}', contentType: 'application/json; charset=latin1' }), 415, /must be UTF-8/);
      expectError(await api.call('PATCH', path, { json: { name: 'x'.repeat(70 * 1024) } }), 413, /^the request body is larger than 64 KB$/);
      expectError(await api.call('PATCH', `/devices/${enc(`${casa}/x/y`)}`, { json: { name: 'x' } }), 404, /^unknown device/);
      assert.equal((await api.get(path)).body.name, 'Termostato', 'nothing refused was applied');
    });

    it('PATCH /devices/:id answers 413 for a streamed body past 64 KB (no Content-Length)', async () => {
      const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}",`);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 0) controller.enqueue(new TextEncoder().encode('{"name": ['));
          else if (sent < 10) controller.enqueue(chunk);
          else controller.close();
        },
      });
      expectError(await api.call('PATCH', `/devices/${enc(termo)}`, { body: stream, contentType: 'application/json' }), 413, /larger than 64 KB/);
    });

    it('GET /devices/:id/attributes lists latest values with their controls', async () => {
      const a = await api.get(`/devices/${enc(luz)}/attributes`);
      assert.equal(a.status, 200);
      assert.equal(a.body.deviceId, luz);
      assert.equal(a.body.items.length, 1);
      const [level] = a.body.items;
      assert.equal(level.name, 'level');
      assert.equal(level.value, 0);
      assert.equal(level.unit, '%');
      assert.deepEqual(level.controllable, { kind: 'level', min: 0, max: 100, step: 10 });
      assert.ok(!Number.isNaN(Date.parse(level.ts)));
      expectError(await api.get(`/devices/${enc(`${casa}/x/y`)}/attributes`), 404, /^unknown device/);
    });
  });

  describe('readings', () => {
    const HOUR = 3_600_000;
    let t0: number;
    before(async () => {
      t0 = Math.floor(Date.now() / 1000) * 1000;
      const rs = [
        reading(termo, 'temp', 20, t0 - 3 * HOUR, '°C'),
        reading(termo, 'temp', 20.5, t0 - 2 * HOUR, '°C'),
        reading(termo, 'temp', 21, t0 - HOUR, '°C'),
        reading(termo, 'temp', 19, t0 - 3 * 24 * HOUR, '°C'),
        reading(termo, 'mode', 'eco', t0 - HOUR),
      ];
      await storeBatch(pool, [{ readings: rs, deadLetters: [] }]);
    });

    it('defaults to the last 24 h, ordered by time', async () => {
      const a = await api.get(`/devices/${enc(termo)}/readings?attribute=temp`);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body.items, [
        { ts: new Date(t0 - 3 * HOUR).toISOString(), value: 20, unit: '°C' },
        { ts: new Date(t0 - 2 * HOUR).toISOString(), value: 20.5, unit: '°C' },
        { ts: new Date(t0 - HOUR).toISOString(), value: 21, unit: '°C' },
      ]);
      assert.equal(a.body.limit, 1000);
      assert.equal(a.body.truncated, false);
      assert.ok(Date.parse(a.body.to) - Date.parse(a.body.from) === 24 * HOUR);
    });

    it('takes a range and a limit, and says when it cut the answer short', async () => {
      const from = new Date(t0 - 4 * 24 * HOUR).toISOString();
      const to = new Date(t0 - 2 * HOUR).toISOString();
      const a = await api.get(`/devices/${enc(termo)}/readings?attribute=temp&from=${enc(from)}&to=${enc(to)}`);
      assert.deepEqual(a.body.items.map((r: { value: number }) => r.value), [19, 20]);
      assert.equal(a.body.from, from);
      const cut = await api.get(`/devices/${enc(termo)}/readings?attribute=temp&from=${enc(from)}&limit=2`);
      assert.deepEqual(cut.body.items.map((r: { value: number }) => r.value), [19, 20]);
      assert.equal(cut.body.truncated, true);
      const text = await api.get(`/devices/${enc(termo)}/readings?attribute=mode`);
      assert.deepEqual(text.body.items.map((r: { value: string; unit: null }) => [r.value, r.unit]), [['eco', null]]);
      // A range given with a UTC offset, a day that lies years after the test's readings.
      const later = Math.floor(t0 / (24 * HOUR)) * 24 * HOUR + 1000 * 24 * HOUR + 10 * HOUR;
      const inPlusTwo = (t: number) => `${new Date(t + 2 * HOUR).toISOString().slice(0, 19)}+02:00`;
      const offset = await api.get(`/devices/${enc(termo)}/readings?attribute=temp&to=${enc(inPlusTwo(later + 24 * HOUR))}&from=${enc(inPlusTwo(later))}`);
      assert.deepEqual([offset.body.from, offset.body.items], [new Date(later).toISOString(), []]);
    });

    it('refuses bad time ranges, limits and attributes', async () => {
      const path = `/devices/${enc(termo)}/readings?attribute=temp`;
      expectError(await api.get(`${path}&from=yesterday`), 400, /^bad time range: query parameter "from" must be an ISO 8601 date-time/);
      expectError(await api.get(`${path}&to=2026-02-30T00:00:00Z`), 400, /^bad time range: query parameter "to"/);
      expectError(await api.get(`${path}&from=2026-01-01T00:00:00`), 400, /^bad time range: .*UTC offset/);
      expectError(await api.get(`${path}&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`), 400, /^bad time range: from must be before to$/);
      expectError(await api.get(`${path}&from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`), 400, /^bad time range: from must be before to$/);
      expectError(await api.get(`${path}&from=2024-01-01T00:00:00Z&to=2025-02-01T00:00:00Z`), 400, /^bad time range: at most 366 days at a time$/);
      expectError(await api.get(`${path}&limit=10001`), 400, /^query parameter "limit" must be at most 10000/);
      expectError(await api.get(`${path}&limit=0`), 400, /^query parameter "limit" must be at least 1/);
      expectError(await api.get(`/devices/${enc(termo)}/readings`), 400, /^query parameter "attribute" is required$/);
      expectError(await api.get(`/devices/${enc(termo)}/readings?attribute=humidity`), 404, /has no attribute "humidity" \(it has: mode, setpoint, temp\)/);
      expectError(await api.get(`/devices/${enc(`${casa}/x/y`)}/readings?attribute=temp`), 404, /^unknown device/);
    });
  });

  describe('history', () => {
    const MINUTE = 60_000;
    let t0: number;
    before(async () => {
      t0 = Math.floor(Date.now() / MINUTE) * MINUTE;
      // Two readings per minute for the last three hours: 5 and 15, so every bucket's min/mean/max is known.
      const rs: Reading[] = [];
      for (let m = 1; m <= 180; m++) {
        rs.push(reading(luz, 'level', 5, t0 - m * MINUTE, '%'), reading(luz, 'level', 15, t0 - m * MINUTE + 30_000, '%'));
      }
      await storeBatch(pool, [{ readings: rs, deadLetters: [] }]);
    });

    it('answers buckets with min, mean and max, never more than asked', async () => {
      const from = new Date(t0 - 3 * 60 * MINUTE).toISOString();
      const to = new Date(t0).toISOString();
      const a = await api.get(`/devices/${enc(luz)}/history?attribute=level&from=${enc(from)}&to=${enc(to)}&points=100`);
      assert.equal(a.status, 200);
      assert.equal(a.body.bucketMs, 2 * MINUTE, 'the smallest nice bucket giving at most 100 points over 3 h');
      assert.equal(a.body.source, 'raw');
      assert.equal(a.body.unit, '%');
      assert.ok(a.body.points.length <= 100 && a.body.points.length >= 90, String(a.body.points.length));
      for (const p of a.body.points) assert.deepEqual([p.min, p.mean, p.max], [5, 10, 15]);
      assert.equal(a.body.points.reduce((n: number, p: { count: number }) => n + p.count, 0), 360);
    });

    it('reads a month through the hourly rollups, with the raw tail they do not cover yet', async () => {
      const a = await api.get(`/devices/${enc(luz)}/history?attribute=level&from=${enc(new Date(t0 - 30 * 24 * 60 * MINUTE).toISOString())}&to=${enc(new Date(t0).toISOString())}`);
      assert.equal(a.body.bucketMs, 60 * MINUTE);
      assert.equal(a.body.source, '1h');
      assert.ok(a.body.points.length <= 1000);
      // Nothing is rolled up yet (no maintenance runs here): the recent hours still come from raw readings.
      assert.equal(a.body.points.reduce((n: number, p: { count: number }) => n + p.count, 0), 360);
    });

    it('refuses text attributes, bad points and ranges', async () => {
      const path = `/devices/${enc(luz)}/history`;
      expectError(await api.get(`/devices/${enc(termo)}/history?attribute=mode`), 400, /holds text.*\/readings/);
      expectError(await api.get(`${path}?attribute=level&points=1`), 400, /^query parameter "points" must be at least 2/);
      expectError(await api.get(`${path}?attribute=level&points=5001`), 400, /^query parameter "points" must be at most 5000/);
      expectError(await api.get(`${path}?attribute=level&from=2010-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`), 400, /^bad time range: at most 10 years at a time$/);
      expectError(await api.get(`${path}?attribute=humidity`), 404, /has no attribute "humidity"/);
      expectError(await api.get(`/devices/${enc(`${casa}/x/y`)}/history?attribute=temp`), 404, /^unknown device/);
    });
  });

  describe('commands', () => {
    let confirmedId: string;
    let timedOutId: string;

    it('refuses what the device cannot take, with the right status', async () => {
      const send = (json: unknown) => api.call('POST', '/commands', { json });
      expectError(await send({ deviceId: enchufe, attribute: 'on', value: 'maybe' }), 400, /"on" is a switch: send true\/false/);
      expectError(await send({ deviceId: luz, attribute: 'level', value: 150 }), 400, /^150 is out of range for "level": 0 to 100$/);
      expectError(await send({ deviceId: luz, attribute: 'level', value: 15 }), 400, /^15 is not a step of 10 from 0/);
      expectError(await send({ deviceId: luz, attribute: 'level', value: 'high' }), 400, /takes a number from 0 to 100, not "high"/);
      expectError(await send({ deviceId: enchufe, attribute: 'power', value: 5 }), 409, /attribute "power" of .* is not controllable \(controllable: on\)/);
      expectError(await send({ deviceId: sensor, attribute: 'temp', value: 5 }), 409, /declare it in the device metadata first/);
      expectError(await send({ deviceId: `${casa}/x/y`, attribute: 'on', value: true }), 404, /^unknown device$/);
      expectError(await send({ deviceId: enchufe, value: true }), 400, /^field "attribute" is required$/);
      expectError(await send({ deviceId: enchufe, attribute: 'on', value: { on: true } }), 400, /^field "value" must be a number, a boolean or text, not an object$/);
      expectError(await send({ deviceId: enchufe, attribute: 'on', value: true, timeoutMs: 5 }), 400, /^field "timeoutMs" must be at least 100, not 5$/);
      expectError(await send({ deviceId: enchufe, attribute: 'on', value: true, by: 'me' }), 400, /^unknown field "by" \(allowed: deviceId, attribute, value, timeoutMs\)$/);
      expectError(await api.call('POST', '/commands', { body: '{"deviceId":', contentType: 'application/json' }), 400, /^the request body is not valid JSON/);
      expectError(await api.call('POST', '/commands', { body: '{}', contentType: 'text/plain' }), 415, /Content-Type: application\/json/);
      expectError(await api.call('POST', '/commands', { body: '{}' }), 415, /Content-Type: application\/json/);
      expectError(await api.call('POST', '/commands', { json: { deviceId: 'x'.repeat(65 * 1024), attribute: 'on', value: true } }), 413, /64 KB/);
    });

    it('answers 502 when the broker does not take the command', async () => {
      expectError(await broken.call('POST', '/commands', { json: { deviceId: enchufe, attribute: 'on', value: true } }), 502, /^not published: /);
    });

    it('end to end: published on the broker, confirmed by the device report', async () => {
      const topic = `${enchufe}/on/set`;
      const received: Array<{ topic: string; payload: string }> = [];
      deviceSide.on('message', (t, p) => received.push({ topic: t, payload: p.toString() }));
      await deviceSide.subscribeAsync([topic, `cmnd/plug_${suffix}/#`], { qos: 1 });

      const a = await api.call('POST', '/commands', { json: { deviceId: enchufe, attribute: 'on', value: 'on' } });
      assert.equal(a.status, 202);
      assert.equal(a.body.status, 'pending');
      assert.equal(a.body.value, true);
      assert.equal(a.body.topic, topic);
      assert.equal(a.body.payload, 'true');
      assert.equal(a.body.requestedBy, `api:${operatorName}`);
      assert.equal(a.headers.get('location'), `/api/v1/commands/${a.body.id}`);
      confirmedId = a.body.id;
      await waitFor(() => received.some((m) => m.topic === topic), 5000, 'the command on the broker');
      assert.deepEqual(received.find((m) => m.topic === topic), { topic, payload: 'true' });

      const pending = await api.get(`/commands/${confirmedId}`);
      assert.equal(pending.status, 200);
      assert.equal(pending.body.status, 'pending');

      // The device does what it was told and reports its new state.
      service.observeReadings([reading(enchufe, 'on', true)]);
      let status = '';
      await waitFor(async () => (status = (await api.get(`/commands/${confirmedId}`)).body.status) === 'confirmed', 5000, `confirmed (is ${status})`);
      const done = await api.get(`/commands/${confirmedId}`);
      assert.equal(done.body.detail, 'device reported true');

      // A firmware profile: the topic and payload its firmware expects.
      const t = await api.call('POST', '/commands', { json: { deviceId: plug, attribute: 'power', value: false } });
      assert.equal(t.status, 202);
      assert.deepEqual([t.body.topic, t.body.payload], [`cmnd/plug_${suffix}/POWER`, 'OFF']);
      await waitFor(() => received.some((m) => m.topic === `cmnd/plug_${suffix}/POWER` && m.payload === 'OFF'), 5000, 'the tasmota command');
    });

    it('a command the device never confirms times out', async () => {
      const a = await api.call('POST', '/commands', { json: { deviceId: enchufe, attribute: 'on', value: false, timeoutMs: 300 } });
      assert.equal(a.status, 202);
      timedOutId = a.body.id;
      let status = '';
      await waitFor(async () => (status = (await api.get(`/commands/${timedOutId}`)).body.status) === 'timeout', 5000, `timeout (is ${status})`);
      assert.match((await api.get(`/commands/${timedOutId}`)).body.detail, /^no report of false within/);
    });

    it('GET /commands/:id: unknown is 404, not an id is 400', async () => {
      expectError(await api.get(`/commands/${randomUUID()}`), 404, /^unknown command/);
      expectError(await api.get('/commands/42'), 400, /^path parameter "id" must be a UUID, not "42"$/);
    });

    it('GET /devices/:id/commands is the history, newest first, paged', async () => {
      const a = await api.get(`/devices/${enc(enchufe)}/commands`);
      assert.equal(a.status, 200);
      assert.equal(a.body.total, 2);
      assert.deepEqual(
        a.body.items.map((c: { id: string; status: string; value: unknown; requestedBy: string }) => [c.id, c.status, c.value, c.requestedBy]),
        [
          [timedOutId, 'timeout', false, `api:${operatorName}`],
          [confirmedId, 'confirmed', true, `api:${operatorName}`],
        ],
      );
      const second = await api.get(`/devices/${enc(enchufe)}/commands?limit=1&offset=1`);
      assert.deepEqual([second.body.items.map((c: { id: string }) => c.id), second.body.total, second.body.limit, second.body.offset], [[confirmedId], 2, 1, 1]);
      expectError(await api.get(`/devices/${enc(enchufe)}/commands?limit=1000`), 400, /"limit" must be at most 500/);
      expectError(await api.get(`/devices/${enc(enchufe)}/commands?offset=-3`), 400, /"offset" must be at least 0/);
      expectError(await api.get(`/devices/${enc(enchufe)}/commands?offset=1e20`), 400, /"offset" must be at most 1000000000/);
      expectError(await api.get(`/devices/${enc(`${casa}/x/y`)}/commands`), 404, /^unknown device/);
    });
  });

  describe('forgetting', () => {
    it('DELETE /devices/:id forgets the device (204), then it is unknown (404)', async () => {
      const a = await api.call('DELETE', `/devices/${enc(luz)}`);
      assert.equal(a.status, 204);
      expectError(await api.get(`/devices/${enc(luz)}`), 404, /^unknown device/);
      expectError(await api.call('DELETE', `/devices/${enc(luz)}`), 404, /^unknown device/);
      const rooms = await api.get(`/sites/${enc(casa)}/rooms`);
      assert.ok(!rooms.body.items.some((r: { room: string }) => r.room === 'cocina'));
    });
  });

  describe('signing in, users, roles and tokens', () => {
    const password = randomBytes(18).toString('base64url');
    const ownerName = `owner_${suffix}`;
    let ownerId = 0;
    const signIn = async (username: string, secret: string) => {
      const a = await api.as({}).call('POST', '/auth/login', { json: { username, password: secret } });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const cookie = (a.headers.get('set-cookie') ?? '').split(';')[0];
      return { answer: a, cookie, client: api.as({ Cookie: cookie, 'X-CSRF-Token': a.body.csrfToken }) };
    };

    it('without credentials every route but the login and the document answers 401', async () => {
      const anonymous = api.as({});
      expectError(await anonymous.get('/devices'), 401, /^sign in first/);
      expectError(await anonymous.get('/auth/me'), 401, /^sign in first/);
      expectError(await api.as({ Authorization: 'Bearer octo_notarealtoken' }).get('/sites'), 401, /^sign in first/);
      assert.equal((await anonymous.get('/openapi.json')).status, 200);
    });

    it('POST /auth/login sets an httpOnly SameSite cookie and answers the CSRF token; wrong passwords are 401', async () => {
      const made = await api.call('POST', '/users', { json: { username: ownerName, password, sites: { [casa]: 'owner' } } });
      assert.equal(made.status, 201);
      ownerId = made.body.id;
      assert.deepEqual(made.body.sites, { [casa]: 'owner' });
      expectError(await api.as({}).call('POST', '/auth/login', { json: { username: ownerName, password: 'not the password' } }), 401, /^wrong username or password$/);
      expectError(await api.as({}).call('POST', '/auth/login', { json: { username: 'nobody', password: 'not the password' } }), 401, /^wrong username or password$/);
      const { answer, client } = await signIn(ownerName, password);
      assert.match(answer.headers.get('set-cookie') ?? '', /^octopus_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'; frame-ancestors 'none'/);
      const me = await client.get('/auth/me');
      assert.equal(me.status, 200);
      assert.deepEqual([me.body.user.username, me.body.via, me.body.operator, me.body.sites], [ownerName, 'session', false, { [casa]: 'owner' }]);
      assert.equal(me.body.csrfToken, answer.body.csrfToken);
    });

    it('a cookie write needs the CSRF token and this origin; the owner sees and edits only their site', async () => {
      const { cookie, client } = await signIn(ownerName, password);
      const noCsrf = api.as({ Cookie: cookie });
      expectError(await noCsrf.call('PATCH', `/devices/${enc(termo)}`, { json: { icon: 'flame' } }), 403, /CSRF token/);
      expectError(await api.as({ Cookie: cookie, 'X-CSRF-Token': 'guessed' }).call('DELETE', `/devices/${enc(termo)}`), 403, /CSRF token/);
      assert.equal((await client.call('PATCH', `/devices/${enc(termo)}`, { json: { icon: 'flame' } })).status, 200);
      // The right token from a page of another origin (stolen, say) is refused too.
      expectError(await client.call('PATCH', `/devices/${enc(termo)}`, { json: { icon: 'skull' }, headers: { Origin: 'http://evil.example' } }), 403, /cross-site request refused/);
      expectError(await api.as({}).call('POST', '/auth/login', { json: { username: ownerName, password }, headers: { Origin: 'http://evil.example' } }), 403, /cross-site/);
      assert.equal((await client.get(`/devices/${enc(termo)}`)).body.icon, 'flame');
      const sites = await client.get('/sites');
      assert.deepEqual(sites.body.items.map((x: { site: string }) => x.site), [casa]);
      expectError(await client.get(`/devices/${enc(sensor)}`), 404, /^unknown device/);
      expectError(await client.get(`/sites/${enc(oficina)}/rooms`), 404, /^unknown site/);
      assert.ok((await client.get('/devices?limit=500')).body.items.every((d: { site: string }) => d.site === casa));
    });

    it('users: operators manage all; owners only the users of their sites', async () => {
      const { client: owner } = await signIn(ownerName, password);
      const resident = await owner.call('POST', '/users', { json: { username: `res_${suffix}`, password, sites: { [casa]: 'resident' } } });
      assert.equal(resident.status, 201);
      expectError(await owner.call('POST', '/users', { json: { username: `x_${suffix}`, password, sites: { [oficina]: 'viewer' } } }), 403, /do not own site/);
      expectError(await owner.call('POST', '/users', { json: { username: `y_${suffix}`, password, operator: true, sites: { [casa]: 'viewer' } } }), 403, /only operators make operators/);
      expectError(await owner.call('POST', '/users', { json: { username: `res_${suffix}`, password, sites: { [casa]: 'viewer' } } }), 409, /is taken/);
      expectError(await owner.call('POST', '/users', { json: { username: `z_${suffix}`, password: 'short', sites: { [casa]: 'viewer' } } }), 400, /at least 12 characters/);
      const other = await api.call('POST', '/users', { json: { username: `oficina_${suffix}`, password, sites: { [oficina]: 'owner' } } });
      assert.equal(other.status, 201);
      const listed = await owner.get('/users');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.items.map((u: { username: string }) => u.username).sort(), [ownerName, `res_${suffix}`].sort());
      assert.ok((await api.get('/users')).body.items.some((u: { username: string }) => u.username === `oficina_${suffix}`));
      expectError(await owner.get(`/users/${other.body.id}`), 404, /^no user/);
      assert.equal((await owner.get(`/users/${resident.body.id}`)).body.username, `res_${suffix}`);

      const role = await owner.call('PUT', `/users/${resident.body.id}/sites/${enc(casa)}`, { json: { role: 'viewer' } });
      assert.deepEqual([role.status, role.body.sites], [200, { [casa]: 'viewer' }]);
      expectError(await owner.call('PUT', `/users/${resident.body.id}/sites/${enc(oficina)}`, { json: { role: 'viewer' } }), 403, /cannot give roles/);
      expectError(await owner.call('PUT', `/users/${resident.body.id}/sites/${enc(casa)}`, { json: { role: 'god' } }), 400, /must be one of "owner", "resident", "viewer", not "god"/);
      const disabled = await owner.call('PATCH', `/users/${resident.body.id}`, { json: { disabled: true } });
      assert.deepEqual([disabled.status, disabled.body.disabled], [200, true]);
      expectError(await api.as({}).call('POST', '/auth/login', { json: { username: `res_${suffix}`, password } }), 401, /wrong username or password/);
      expectError(await owner.call('PATCH', `/users/${ownerId}`, { json: { disabled: true } }), 409, /cannot disable or unmake yourself/);
      expectError(await owner.call('PATCH', `/users/${other.body.id}`, { json: { disabled: true } }), 404, /^no user/);
      expectError(await api.call('PATCH', `/users/${ownerId}`, { json: {} }), 400, /./);
      const removed = await owner.call('DELETE', `/users/${resident.body.id}/sites/${enc(casa)}`);
      assert.equal(removed.status, 204);
      expectError(await api.call('DELETE', `/users/${resident.body.id}/sites/${enc(casa)}`), 404, /has no role/);
      assert.equal((await api.call('DELETE', `/users/${resident.body.id}`)).status, 204);
      expectError(await api.call('DELETE', `/users/${resident.body.id}`), 404, /^no user/);
    });

    it('tokens: scoped to a role at sites, never beyond their maker, revocable', async () => {
      const { client: owner } = await signIn(ownerName, password);
      expectError(await owner.call('POST', '/tokens', { json: { name: 'all', role: 'operator' } }), 403, /only operators/);
      expectError(await owner.call('POST', '/tokens', { json: { name: 'far', role: 'viewer', sites: [oficina] } }), 403, /cannot grant viewer at/);
      const made = await owner.call('POST', '/tokens', { json: { name: 'script', role: 'viewer', sites: [casa], expiresAt: new Date(Date.now() + 3_600_000).toISOString() } });
      assert.equal(made.status, 201);
      assert.match(made.body.token, /^octo_/);
      const script = api.as({ Authorization: `Bearer ${made.body.token}` });
      const me = await script.get('/auth/me');
      assert.deepEqual([me.body.via, me.body.csrfToken, me.body.sites], ['token', null, { [casa]: 'viewer' }]);
      assert.equal((await script.get(`/devices/${enc(termo)}`)).status, 200);
      expectError(await script.call('PATCH', `/devices/${enc(termo)}`, { json: { icon: 'x' } }), 403, /does not allow/);
      const listed = await owner.get('/tokens');
      assert.deepEqual(listed.body.items.map((t: { name: string }) => t.name), ['script']);
      assert.ok((await api.get('/tokens')).body.items.length >= 2);
      assert.equal((await owner.call('DELETE', `/tokens/${made.body.details.id}`)).status, 204);
      expectError(await script.get(`/devices/${enc(termo)}`), 401, /^sign in first/);
      expectError(await owner.call('DELETE', `/tokens/${made.body.details.id}`), 404, /^no token/);
    });

    it('five wrong passwords lock the account (429 with Retry-After), even for the right one; logout ends the session', async () => {
      const name = `lock_${suffix}`;
      assert.equal((await api.call('POST', '/users', { json: { username: name, password, sites: { [casa]: 'viewer' } } })).status, 201);
      const { client, cookie } = await signIn(name, password);
      const wrong = (i: number) => `${password}-wrong-${i}`;
      for (let i = 0; i < 4; i++) expectError(await api.as({}).call('POST', '/auth/login', { json: { username: name, password: wrong(i) } }), 401, /wrong/);
      const locked = await api.as({}).call('POST', '/auth/login', { json: { username: name, password: wrong(5) } });
      expectError(locked, 429, /locked/);
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      expectError(await api.as({}).call('POST', '/auth/login', { json: { username: name, password } }), 429, /locked/);
      assert.equal((await client.call('POST', '/auth/logout')).status, 204);
      expectError(await api.as({ Cookie: cookie }).get('/auth/me'), 401, /^sign in first/);
      const user = (await api.get('/users')).body.items.find((u: { username: string }) => u.username === name);
      assert.equal(user.locked, true);
      // An operator resets the password, which opens the account again.
      assert.equal((await api.call('PATCH', `/users/${user.id}`, { json: { password: `${password}!` } })).status, 200);
      await signIn(name, `${password}!`);
    });
  });

  describe('without a deployed registry', () => {
    it('every device route answers 503 (the sign-in routes need only the user store)', async () => {
      const id = enc(termo);
      const calls: Array<[Uppercase<HttpMethod>, string, CallOptions?]> = [
        ['GET', '/sites'],
        ['GET', `/sites/${enc(casa)}/rooms`],
        ['GET', '/devices'],
        ['GET', `/devices/${id}`],
        ['PATCH', `/devices/${id}`, { json: { name: 'x' } }],
        ['DELETE', `/devices/${id}`],
        ['GET', `/devices/${id}/attributes`],
        ['GET', `/devices/${id}/readings?attribute=temp`],
        ['GET', `/devices/${id}/history?attribute=temp`],
        ['GET', `/devices/${id}/commands`],
        ['POST', '/commands', { json: { deviceId: termo, attribute: 'on', value: true } }],
        ['GET', `/commands/${randomUUID()}`],
      ];
      for (const [method, path, options] of calls) {
        const a = await notDeployed.call(method, path, options);
        assert.equal(a.status, 503, `${method} ${path}`);
        assert.deepEqual(a.body, { error: 'device registry not deployed' });
      }
      assert.equal((await api.get(`/devices/${id}`)).body.name, 'Termostato', 'the idle app changed nothing');
    });
  });

  describe('energy and export', () => energyApiSuite(() => ({ api, pool, service, auth, suffix })));

  describe('home automation', () => automationApiSuite(() => ({ api, pool, service, suffix, automations })));

  describe('notifications', () => notifyApiSuite(() => ({ api, pool, auth, suffix, deploy: (s) => void (alerts = s) })));

  describe('onboarding', () => onboardingApiSuite(() => ({ api, suffix, operator: operatorName })));

  describe('alerts', () =>
    alertsApiSuite(() => ({
      api,
      notDeployed,
      pool,
      auth,
      suffix,
      operator: operatorName,
      deploy: (s) => {
        alerts = s;
      },
    })));

  describe('registration', () => {
    it('registers each route once per app, under the base path', () => {
      const seen: string[] = [];
      const record = (method: string) => (path: string) => void seen.push(`${method} ${path}`);
      const app: HttpApp = { get: record('GET'), post: record('POST'), put: record('PUT'), patch: record('PATCH'), delete: record('DELETE') };
      registerApiRoutes(app, () => service, { basePath: '/octopus/api/' });
      registerAlertRoutes(app, () => undefined, { basePath: '/octopus/api/' });
      assert.equal(seen.length, contract.operations().length);
      assert.ok(seen.includes('GET /octopus/api/devices/:id/readings'), seen.join('\n'));
      assert.ok(seen.every((s) => / \/octopus\/api\//.test(s)));
    });

    it('the runtime mounts them once per Node-RED instance, however many node files ask', () => {
      const seen: string[] = [];
      const record = (method: string) => (path: string) => void seen.push(`${method} ${path}`);
      const httpNode: HttpApp = { get: record('GET'), post: record('POST'), put: record('PUT'), patch: record('PATCH'), delete: record('DELETE') };
      const host = { httpNode, httpAdmin: { get: () => undefined, post: () => undefined }, needsPermission: () => () => undefined, log: { info() {}, warn() {}, error() {} } };
      // Node-RED hands every node file a RED of its own, with the same httpNode.
      const first = runtimeOf(host);
      assert.equal(runtimeOf({ ...host }), first);
      assert.equal(seen.filter((s) => / \/api\/v1\//.test(s)).length, contract.operations().length);
    });
  });

  // Last: mocha runs a suite's sub-suites in the order they are declared.
  describe('coverage', () => {
    it('exercised every operation of the OpenAPI document', () => {
      const missing = contract.operations().filter((op) => !contract.exercised.has(op));
      assert.deepEqual(missing, []);
    });
  });
});
