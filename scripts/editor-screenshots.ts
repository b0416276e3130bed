/**
 * The Node-RED editor's side of `npm run screenshots`: the Octopus palette, the application flow and the edit dialogs of
 * the sensor ingest node, the broker (after Test connection), the device events node, the registry
 * and the live dashboard (operator account), from the running app, into docs/screenshots/editor-*.png.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';

declare const RED: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the editor's global, only inside page.evaluate

interface EditorTarget {
  baseUrl: string;
  admin: { username: string; password: string };
}

async function signInToEditor(page: Page, app: EditorTarget): Promise<void> {
  await page.goto(app.baseUrl);
  await page.locator('#node-dialog-login-username').fill(app.admin.username);
  await page.locator('#node-dialog-login-password').fill(app.admin.password);
  await page.locator('#node-dialog-login-submit').click();
  await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes?.node('octopus-source') !== undefined, undefined, { timeout: 60000 });
}

/** Opens a flow node's edit dialog the way a user does: a double-click on the canvas. */
async function openNode(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => RED.view.reveal(nodeId), id);
  await page.locator(`g[id="${id}"] > rect.red-ui-flow-node`).dblclick();
  await page.locator('#node-dialog-ok').waitFor();
}

async function closeDialogs(page: Page): Promise<void> {
  for (const id of ['#node-config-dialog-cancel', '#node-dialog-cancel']) {
    const button = page.locator(id);
    if (await button.isVisible()) {
      await button.click();
      await button.waitFor({ state: 'detached' });
    }
  }
}

export async function shootEditor(browser: Browser, app: EditorTarget, out: string, scheme: 'light' | 'dark'): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: scheme });
  const page = await context.newPage();
  const write = async (name: string, what: { element?: string; clip?: { x: number; y: number; width: number; height: number } }) => {
    const file = resolve(out, `editor-${name}.png`);
    if (what.element) await page.locator(what.element).screenshot({ path: file });
    else await page.screenshot({ path: file, clip: what.clip });
    console.log(`wrote ${file}`);
  };
  try {
    await signInToEditor(page, app);
    await page.waitForTimeout(1500);
    await write('palette', { element: '#red-ui-palette-container-octopus' });
    // The application flow with its live statuses: the source's status clear of the parse node.
    await page.waitForFunction(() => /^connected/.test(document.querySelector('g[id="octopus-source"] .red-ui-flow-node-status-label')?.textContent ?? ''), undefined, { timeout: 30000 });
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    if (chart) await write('flow', { clip: { x: chart.x, y: chart.y, width: Math.min(chart.width, 900), height: 360 } });

    await openNode(page, 'octopus-source');
    await page.waitForTimeout(500);
    await write('sensor-ingest', { element: '.red-ui-tray:visible >> nth=-1' });

    await page.locator('#node-input-btn-broker-edit').click();
    await page.locator('#octopus-broker-test').click();
    await page.locator('#octopus-broker-test-result.ok, #octopus-broker-test-result.error').waitFor({ timeout: 15000 });
    await write('broker', { element: '.red-ui-tray:visible >> nth=-1' });
    await closeDialogs(page);

    await openNode(page, 'octopus-device-registry');
    await write('device-events', { element: '.red-ui-tray:visible >> nth=-1' });
    await page.locator('#node-input-btn-registry-edit').click();
    await page.locator('#node-config-input-commandTimeoutS').waitFor();
    await page.waitForTimeout(500);
    await write('registry', { element: '.red-ui-tray:visible >> nth=-1' });
    await closeDialogs(page);

    await openNode(page, 'octopus-dashboard');
    await page.waitForFunction(() => (document.querySelector('#octopus-operator-state')?.textContent ?? '…') !== '…', undefined, { timeout: 10000 });
    await write('live-dashboard', { element: '.red-ui-tray:visible >> nth=-1' });
    await closeDialogs(page);
  } finally {
    await context.close();
  }
}
