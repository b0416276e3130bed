/**
 * Issue #18: the pack as a new user meets it. A stock Node-RED 4.1 and 5 (default settings, no
 * environment variable) with the pack installed from its `npm pack` tarball, driven through the
 * editor in headless Chromium: import the full application example, see the unset broker and
 * database flagged before deploy, set them once (with Test connection), deploy, create the operator
 * from the dashboard node's dialog, sign in at /ui and see a published reading live; a node dropped
 * next to the broker picks it; importing two more examples keeps one broker, database and registry.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { STOCK_TARGETS, startStockNodeRed, type NodeRedProcess } from './support/node-red-install';
import { PACKAGE_NAME } from './support/node-red-admin';

declare const RED: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the editor's global, only inside page.evaluate

/** Palette label of every flow node type: one scheme, no hyphen, nothing named like a core node. */
const PALETTE = {
  'octopus-mqtt-in': 'sensor ingest',
  'octopus-parse': 'parse readings',
  'octopus-store': 'store readings',
  'octopus-devices': 'device events',
  'octopus-command': 'send command',
  'octopus-dashboard': 'live dashboard',
  'octopus-alert': 'threshold alerts',
  'octopus-automation': 'house automation',
};

/** Opens Import (Ctrl-I), picks one of the pack's examples and imports it; "Import copy" when ids exist. */
async function importExample(page: Page, name: string, expectConflict: boolean): Promise<void> {
  await page.evaluate(() => RED.actions.invoke('core:show-import-dialog'));
  await page.locator('#red-ui-clipboard-dialog-import-tabs a[href="#red-ui-clipboard-dialog-import-tab-examples"]').click();
  const tab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
  const file = tab.locator('.red-ui-treeList-label', { hasText: name });
  const importButton = page.locator('#red-ui-clipboard-dialog-ok');
  // The tree loads its folders as it opens: click until the example is selected (Import enabled).
  await waitFor(
    async () => {
      if (!(await file.isVisible())) {
        await tab.locator('.red-ui-treeList-label', { hasText: PACKAGE_NAME }).click();
        await file.waitFor({ timeout: 3000 }).catch(() => undefined);
      }
      if (await file.isVisible()) await file.click();
      return importButton.isEnabled();
    },
    15000,
    `${name} selected in Import → Examples`,
  );
  await importButton.click();
  if (expectConflict) {
    // Node-RED's own answer to ids that exist: "Import copy" makes new flow nodes and reuses config nodes of the same id.
    await page.locator('.red-ui-notification button', { hasText: 'Import copy' }).click();
  }
}

/** A first visit's dialogs, as a new user closes them: update notifications (declined) and the welcome tour. */
async function dismissWelcome(page: Page): Promise<void> {
  const until = Date.now() + 20000;
  for (;;) {
    const decline = page.locator('button', { hasText: 'No, do not enable notifications' });
    if (await decline.isVisible()) await decline.click();
    const closeTour = page.locator('.red-ui-tourGuide-popover button:has(.fa-times)');
    if (await closeTour.isVisible()) return closeTour.click();
    if (Date.now() > until) return;
    await page.waitForTimeout(200);
  }
}

async function configCount(page: Page, type: string): Promise<number> {
  return page.evaluate((t) => {
    let n = 0;
    RED.nodes.eachConfig((c: { type: string }) => {
      if (c.type === t) n++;
    });
    return n;
  }, type);
}

/** Opens a flow node's edit dialog by double-clicking it on the canvas. */
async function editNode(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => RED.view.reveal(nodeId), id);
  await page.locator(`g[id="${id}"] > rect.red-ui-flow-node`).dblclick();
  await page.locator('#node-dialog-ok').waitFor();
}

function statusOf(page: Page, id: string): Promise<string> {
  return page.locator(`g[id="${id}"] .red-ui-flow-node-status-label`).first().textContent().then((t) => t ?? '');
}

for (const target of STOCK_TARGETS) {
  describe(`first run in a stock ${target.label}, pack from npm pack, no environment variables`, function () {
    this.timeout(300000);
    let db: TestDatabase;
    let nodeRed: NodeRedProcess;
    let browser: Browser;
    let editor: Page;
    let visitor: Page;
    const pageErrors: Error[] = [];
    const clientId = `octopus-stock-${randomUUID().slice(0, 8)}`;
    const site = `stock-${target.nodeMajor}-${randomUUID().slice(0, 6)}`;
    const operator = { username: 'first-operator', password: randomBytes(15).toString('base64url') };

    before(async () => {
      db = await createTestDatabase();
      nodeRed = await startStockNodeRed(target);
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      editor = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      editor.on('pageerror', (e) => pageErrors.push(e));
      visitor = await browser.newPage();
      await editor.goto(nodeRed.baseUrl);
      editor.setDefaultTimeout(15000);
      await editor.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes?.getType('octopus-dashboard') !== undefined && document.querySelector('#red-ui-palette-container') !== null, undefined, { timeout: 60000 });
      await dismissWelcome(editor);
    });
    after(async () => {
      await browser?.close();
      await nodeRed?.stop();
      // The source's persistent session would otherwise stay on the broker.
      const c = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-octopus-source`, clean: true }).catch(() => undefined);
      await c?.endAsync();
      await db?.drop();
    });

    it(`is ${target.label}, and the palette names every node the same way`, async () => {
      assert.match(nodeRed.output(), target.version);
      for (const [type, label] of Object.entries(PALETTE)) {
        const shown = await editor.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).textContent();
        assert.equal(shown?.replace(/\s+/g, ' ').trim(), label, type);
        assert.doesNotMatch(label, /-|mqtt in|^(debug|inject|function|change|switch)$/, `${label} reads like nothing of core's`);
      }
    });

    it('imports the full application example; the unset broker and database are flagged, and Deploy warns first', async () => {
      await importExample(editor, '00-octopus-application', false);
      await editor.waitForFunction(() => RED.nodes.node('octopus-dashboard') !== null);
      await editor.locator('#red-ui-workspace-tabs a[href="#octopus-tab"]').click();
      const labels = await editor.evaluate(() => ['octopus-broker-config', 'octopus-postgres-config'].map((id) => RED.utils.getNodeLabel(RED.nodes.node(id))));
      assert.deepEqual(labels, ['broker (no URL set)', 'database (not set)']);
      await editor.locator('#red-ui-header-button-deploy').click();
      const warning = editor.locator('.red-ui-notification', { hasText: 'not properly configured' });
      await warning.waitFor();
      const text = (await warning.textContent()) ?? '';
      assert.match(text, /database \(not set\) \(octopus-postgres\)/);
      assert.match(text, /broker \(no URL set\) \(octopus-broker\)/);
      await warning.locator('button', { hasText: 'Cancel' }).click();
      assert.equal(await editor.evaluate(() => RED.nodes.dirty()), true, 'nothing deployed');
    });

    it('a node dropped next to the existing broker has it selected (its label is its palette label)', async () => {
      const before = await editor.evaluate(() => RED.nodes.filterNodes({ type: 'octopus-mqtt-in' }).map((n: { id: string }) => n.id));
      const box = await editor.locator('#red-ui-workspace-chart').boundingBox();
      assert.ok(box);
      await editor.locator('.red-ui-palette-node[data-palette-type="octopus-mqtt-in"]').dragTo(editor.locator('#red-ui-workspace-chart'), {
        targetPosition: { x: Math.round(box.width / 2), y: Math.round(box.height - 120) },
      });
      const dropped = await editor.evaluate(
        (old: string[]) =>
          RED.nodes
            .filterNodes({ type: 'octopus-mqtt-in' })
            .filter((n: { id: string }) => !old.includes(n.id))
            .map((n: { id: string; broker: string }) => ({ id: n.id, broker: n.broker, label: RED.utils.getNodeLabel(n) })),
        before,
      );
      assert.equal(dropped.length, 1, 'one node dropped');
      assert.equal(dropped[0].broker, 'octopus-broker-config');
      assert.equal(dropped[0].label, PALETTE['octopus-mqtt-in']);
      // Dropped nodes are selected: Delete takes it away again.
      await editor.keyboard.press('Delete');
      assert.equal(await editor.evaluate((id: string) => RED.nodes.node(id) ?? 'gone', dropped[0].id), 'gone');
    });

    it('flags a topic filter core mqtt in refuses (a/#/b), and help code samples wrap inside the sidebar', async () => {
      await editNode(editor, 'octopus-source');
      const topics = editor.locator('#node-input-topics');
      const original = await topics.inputValue();
      await topics.fill('+/+/+/+\na/#/b');
      await topics.dispatchEvent('change');
      await waitFor(async () => /input-error/.test((await topics.getAttribute('class')) ?? ''), 5000, 'a/#/b marked invalid');
      await topics.fill(original);
      await topics.dispatchEvent('change');
      await waitFor(async () => !/input-error/.test((await topics.getAttribute('class')) ?? ''), 5000, 'the default filters valid');
      await editor.locator('#node-dialog-cancel').click();
      await editor.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
      await editor.evaluate(() => RED.sidebar.help.show('octopus-alert'));
      const sample = editor.locator('.red-ui-help .octopus-help pre').first();
      await sample.waitFor();
      const fits = await sample.evaluate((pre) => ({ wraps: getComputedStyle(pre).whiteSpace === 'pre-wrap', overflow: pre.scrollWidth - pre.clientWidth }));
      assert.deepEqual(fits, { wraps: true, overflow: 0 }, 'the rules sample wraps instead of being cut off');
    });

    it('sets the broker and the database once, each checked with Test connection, and deploys without a warning', async () => {
      await editNode(editor, 'octopus-source');
      await editor.locator('#node-input-btn-broker-edit').click();
      await editor.locator('#node-config-input-url').fill(MQTT_TEST_URL);
      await editor.locator('#node-config-input-clientId').fill(clientId);
      await editor.locator('#octopus-broker-test').click();
      await waitFor(async () => /^✓ connected to mqtt:/.test((await editor.locator('#octopus-broker-test-result').textContent()) ?? ''), 15000, 'the broker test');
      await editor.locator('#node-config-dialog-ok').click();
      await editor.locator('#node-dialog-ok').click();

      await editNode(editor, 'octopus-readings-store');
      await editor.locator('#node-input-btn-database-edit').click();
      await editor.locator('#node-config-input-connectionString').fill(db.url);
      await editor.locator('#octopus-postgres-test').click();
      await waitFor(async () => /^✓ connected to .*PostgreSQL \d+/.test((await editor.locator('#octopus-postgres-test-result').textContent()) ?? ''), 15000, 'the database test');
      await editor.locator('#node-config-dialog-ok').click();
      await editor.locator('#node-dialog-ok').click();

      const labels = await editor.evaluate(() => ['octopus-broker-config', 'octopus-postgres-config'].map((id) => RED.utils.getNodeLabel(RED.nodes.node(id))));
      const database = new URL(db.url);
      assert.deepEqual(labels, [MQTT_TEST_URL, `${database.username}@${database.host}${database.pathname}`], 'labels from the URLs, no password');
      await editor.locator('#red-ui-header-button-deploy').click();
      await editor.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ timeout: 30000 });
      assert.equal(await editor.locator('.red-ui-notification', { hasText: 'not properly configured' }).count(), 0);
    });

    it('the dashboard node is yellow "no operator account", the sign-in page says how, /metrics is closed', async () => {
      await waitFor(async () => (await statusOf(editor, 'octopus-dashboard')).startsWith('no operator account'), 30000, 'the yellow status');
      assert.match((await editor.locator('g[id="octopus-dashboard"] .red-ui-flow-node-status').first().getAttribute('class')) ?? '', /yellow/);
      await visitor.goto(`${nodeRed.baseUrl}/ui/`);
      await visitor.waitForURL(/\/ui\/login/);
      assert.match((await visitor.locator('#login-setup').textContent()) ?? '', /No operator account exists yet.*open the live dashboard node/s);
      assert.equal((await fetch(`${nodeRed.baseUrl}/metrics`)).status, 401, 'anonymous /metrics in a stock Node-RED');
    });

    it('creates the operator from the dashboard node dialog, with no restart; a second one is refused', async () => {
      await editNode(editor, 'octopus-dashboard');
      await editor.locator('#octopus-operator-form').waitFor();
      await editor.locator('#octopus-operator-username').fill(operator.username);
      await editor.locator('#octopus-operator-password').fill(operator.password);
      await editor.locator('#octopus-operator-password2').fill(operator.password);
      await editor.locator('#octopus-operator-create').click();
      await waitFor(async () => /^✓ operator "first-operator" created/.test((await editor.locator('#octopus-operator-result').textContent()) ?? ''), 15000, 'the operator made');
      await waitFor(async () => /^✓ 1 operator account/.test((await editor.locator('#octopus-operator-state').textContent()) ?? ''), 5000, 'the dialog updated');
      await editor.locator('#node-dialog-cancel').click();
      const again = await fetch(`${nodeRed.baseUrl}/octopus/operator`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'second', password: operator.password }) });
      assert.equal(again.status, 409);
      await waitFor(async () => (await statusOf(editor, 'octopus-dashboard')).startsWith('/ui ·'), 15000, 'the status back to green');
    });

    it('signs in at /ui and sees a published reading live; /metrics answers the operator', async () => {
      await signIn(visitor, nodeRed.baseUrl, operator.username, operator.password);
      const mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-pub` });
      await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 21.5, unit: '°C' }), { qos: 1 });
      const value = visitor.locator(`.value[data-device-id="${site}/salon/termo"][data-attribute="temperature"]`);
      await value.waitFor({ timeout: 20000 });
      await waitFor(async () => (await value.textContent()) === '21.5 °C', 10000, 'the reading');
      await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 22.75, unit: '°C' }), { qos: 1 });
      await mqtt.endAsync();
      await waitFor(async () => (await value.textContent()) === '22.75 °C', 10000, 'the next reading, live');
      assert.equal((await visitor.request.get(`${nodeRed.baseUrl}/metrics`)).status(), 200, "/metrics with the operator's session");
    });

    it('importing two more examples keeps one broker, one database and one registry', async () => {
      await importExample(editor, '03-octopus-mqtt-in', true);
      await importExample(editor, '10-octopus-alert', true);
      await editor.waitForFunction(() => RED.nodes.filterNodes({ type: 'octopus-alert' }).length === 2);
      assert.deepEqual(
        await Promise.all(['octopus-broker', 'octopus-postgres', 'octopus-registry'].map((t) => configCount(editor, t))),
        [1, 1, 1],
      );
      // Errors raised inside Node-RED's own bundles (its welcome tour, closed early, can throw one) are
      // not the pack's; any other frame on top is (the nodes' editor scripts run from the page itself).
      const fromNodeRed = (e: Error) => /\/(red\/red(\.min)?|vendor\/[^\s:]+)\.js/.test((e.stack ?? '').split('\n')[1] ?? '');
      for (const e of pageErrors.filter(fromNodeRed)) console.log(`      (Node-RED's own page error, not counted: ${e.message})`);
      assert.deepEqual(pageErrors.filter((e) => !fromNodeRed(e)).map((e) => `${e.message}\n${e.stack}`), [], 'no script error from the pack in the editor');
    });
  });
}
