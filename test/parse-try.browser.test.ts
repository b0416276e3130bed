/**
 * The parse node's "try a message" panel in the real Node-RED editor of the real app (issue #17):
 * the operator signs in to the editor, opens the parse node's edit dialog, pastes a message and
 * sees its readings; pastes a malformed one and sees the reason; adds a topic template in the
 * dialog, without deploying, and sees the message read by it; picks a message the node saw from
 * the broker. The admin routes answer 401 to anyone not signed in.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type RunningApp } from './support/app';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';

const PARSER = 'octopus-parser'; // the parse node of the default flow

describe('octopus-parse "try a message" panel in the editor (browser)', function () {
  this.timeout(180000);
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let mqtt: MqttClient;
  const pageErrors: string[] = [];
  const site = `try-${randomUUID().slice(0, 6)}`;

  before(async () => {
    db = await createTestDatabase();
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url });
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `try-${randomUUID()}` });
    await waitFor(() => /connected to mqtt/.test(app.output()), 15000, 'the source connected');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // the editor, as an operator signs in to it
    await page.goto(`${app.baseUrl}/`);
    await page.fill('#node-dialog-login-username', app.admin.username);
    await page.fill('#node-dialog-login-password', app.admin.password);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction((id) => {
      const red = (window as unknown as { RED?: { nodes?: { node(id: string): unknown } } }).RED;
      return !!red?.nodes?.node(id);
    }, PARSER, { timeout: 60000 });
  });

  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    await db?.drop();
  });

  async function openDialog(): Promise<void> {
    await page.evaluate((id) => {
      const red = (window as unknown as { RED: { editor: { edit(n: unknown): void }; nodes: { node(id: string): unknown } } }).RED;
      red.editor.edit(red.nodes.node(id));
    }, PARSER);
    await page.locator('#octopus-try-topic').waitFor({ state: 'visible' });
  }

  async function closeDialog(): Promise<void> {
    await page.click('#node-dialog-cancel');
    await page.locator('#octopus-try-topic').waitFor({ state: 'detached' });
  }

  /** Pastes a message, presses Try and returns the panel's lines once the answer is shown. */
  async function tryMessage(topic: string, payload: string): Promise<string[]> {
    await page.fill('#octopus-try-topic', topic);
    await page.fill('#octopus-try-payload', payload);
    await page.click('#octopus-try-run');
    await page.locator('#octopus-try-result .octopus-try-head, #octopus-try-result .octopus-try-error').first().waitFor();
    return page.locator('#octopus-try-result > div').allInnerTexts();
  }

  it('shows the readings of a pasted message and the reason of a malformed one', async () => {
    await openDialog();
    const good = await tryMessage('casa/salon/termo/temperature', '{"value":21.5,"unit":"°C"}');
    assert.deepEqual(good, ['Octopus format: 1 reading(s), 0 reject(s)', '✔ casa/salon/termo  temperature = 21.5 °C']);
    const channels = await tryMessage('tele/shelly25/SENSOR', '{"ENERGY":{"Power":[23.63,67.17]}}');
    assert.deepEqual(channels.slice(1), ['✔ tasmota:shelly25  ENERGY.Power.0 = 23.63 W', '✔ tasmota:shelly25  ENERGY.Power.1 = 67.17 W']);
    const bad = await tryMessage('casa/salon/termo', '{"temperature":');
    assert.equal(bad[0], 'Octopus format: 0 reading(s), 1 reject(s)');
    assert.match(bad[1], /^✖ payload-invalid-json: the payload looks like JSON but is not valid: Unexpected end of JSON input/);
    await closeDialog();
  });

  it('reflects a template typed in the dialog before any deploy', async () => {
    await openDialog();
    const before = await tryMessage('/ESP_Easy/BME280/Temperature', '21.37');
    assert.match(before[1], /^✖ topic-empty-level: .*leading \//);
    await page.fill('#node-input-templates', '/{device}/{sensor}/{attribute}');
    const after = await tryMessage('/ESP_Easy/BME280/Temperature', '21.37');
    assert.deepEqual(after, ['Octopus format, template /{device}/{sensor}/{attribute}: 1 reading(s), 0 reject(s)', '✔ home/ESP_Easy  BME280.Temperature = 21.37']);
    // a template that does not compile: its reason, not a result
    await page.fill('#node-input-templates', '{site}/{attribute}');
    const broken = await tryMessage('/ESP_Easy/BME280/Temperature', '21.37');
    assert.deepEqual(broken, ['topic templates: line 1: template "{site}/{attribute}" names no device: take {device} or {room} from the topic, or set device=…']);
    await closeDialog();
    // nothing was deployed: the running node has no template
    const flows = (await (await app.adminFetch('/flows', { headers: { 'Node-RED-API-Version': 'v2' } })).json()) as { flows: Array<{ id: string; templates?: string }> };
    assert.ok(!flows.flows.find((n) => n.id === PARSER)?.templates);
  });

  it('picks one of the last messages the node saw from the broker', async () => {
    await mqtt.publishAsync(`${site}/cocina/enchufe/power`, '{"value":40,"unit":"W"}', { qos: 1 });
    const recent = async () => (await (await app.adminFetch(`/octopus-parse/${PARSER}/recent`)).json()) as { messages: Array<{ topic: string }> };
    await waitFor(async () => (await recent()).messages.some((m) => m.topic.startsWith(site)), 15000, 'the message among the recent ones');
    await openDialog();
    const option = page.locator('#octopus-try-recent option', { hasText: `${site}/cocina/enchufe/power` });
    await option.waitFor({ state: 'attached' });
    await page.selectOption('#octopus-try-recent', (await option.getAttribute('value')) ?? '');
    assert.equal(await page.inputValue('#octopus-try-payload'), '{"value":40,"unit":"W"}');
    await page.click('#octopus-try-run');
    await page.locator('#octopus-try-result .octopus-try-reading').waitFor();
    assert.deepEqual(await page.locator('#octopus-try-result .octopus-try-reading').allInnerTexts(), [`✔ ${site}/cocina/enchufe  power = 40 W`]);
    await closeDialog();
    assert.deepEqual(pageErrors, []);
  });

  it('Done in the dialog saves a node of an older flow with the current configVersion (issue #16)', async () => {
    // As the editor holds a node saved before versions: no configVersion.
    await page.evaluate((id) => {
      const red = (window as unknown as { RED: { nodes: { node(id: string): { configVersion?: unknown } } } }).RED;
      delete red.nodes.node(id).configVersion;
    }, PARSER);
    await openDialog();
    await page.click('#node-dialog-ok');
    await page.locator('#octopus-try-topic').waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => {
      const red = (window as unknown as { RED: { nodes: { node(id: string): { configVersion?: unknown; changed?: boolean } } } }).RED;
      const n = red.nodes.node(id);
      return { configVersion: n.configVersion, changed: n.changed === true };
    }, PARSER);
    assert.deepEqual(saved, { configVersion: 1, changed: true });
    assert.deepEqual(pageErrors, []);
  });

  it('answers 401 to anyone not signed in: payloads are for operators (the panel\'s static script is served to all, like the editor\'s)', async () => {
    const tried = await fetch(`${app.baseUrl}/octopus-parse/try`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ topic: 'a/b/c/d', payload: '1' }) });
    assert.equal(tried.status, 401);
    assert.equal((await fetch(`${app.baseUrl}/octopus-parse/${PARSER}/recent`)).status, 401);
    const script = await fetch(`${app.baseUrl}/octopus-parse/try-panel.js`);
    assert.deepEqual([script.status, script.headers.get('content-type')], [200, 'application/javascript; charset=utf-8']);
    assert.match(await script.text(), /window\.OctopusParseTry = \{ open: open \}/);
  });
});
