import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { AlertTransition } from '../../lib/alerts/alert-engine';
import type { AlertService } from '../../lib/alerts/alert-service';
import type { Alert } from '../../lib/alerts/alert-engine';
import { commandView, liveDeviceView } from '../../lib/api/views';
import type { TrackedCommand } from '../../lib/commands/command-tracker';
import { LiveModel } from '../../lib/live/live-model';
import { SseHub } from '../../lib/live/sse-hub';
import { wants, type Subscription } from '../../lib/live/subscription';
import { operatorSetup, type OperatorSetup } from '../../lib/auth/first-operator';
import type { PageRequest } from '../../lib/live/dashboard-handlers';
import type { Viewer } from '../../lib/live/viewer';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { isReading } from '../../lib/model/reading';
import { isReadingBatch } from '../../lib/ingest/5-reading-batch';
import type { RegistryEvent } from '../../lib/registry/device-registry';
import { RateLimitedLog, ThrottledStatus } from '../../lib/util/throttled-status';
import type { AutomationService } from '../../lib/automation/automation-service';
import type { SceneProgress } from '../../lib/automation/automation-types';
import type { UnreadEvent } from '../../lib/notify/notify-bus';
import { octopusRuntime } from '../octopus-runtime';
import type { RegistryConfigNode } from '../octopus-registry/types';

// At most one batch per display frame (60 a second) per browser: a change shows in the next frame,
// slow enough that any reading rate becomes a bounded stream.
const FLUSH_MS = 16;

const PATH = /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** The status while nobody can sign in: yellow, saying what to do (the edit dialog makes the account). */
function setupStatus(setup: OperatorSetup | undefined): { fill: 'yellow'; shape: 'ring'; text: string } | undefined {
  if (setup?.state === 'needed') return { fill: 'yellow', shape: 'ring', text: 'no operator account: open this node to create one' };
  if (setup?.state === 'no-user-store') return { fill: 'yellow', shape: 'ring', text: 'no sign-in: deploy an octopus database node' };
  if (setup?.state === 'unavailable') return { fill: 'yellow', shape: 'ring', text: 'sign-in unavailable: the database does not answer' };
  return undefined;
}

export = function register(RED: NodeAPI): void {
  // The pages, the sign-in page and the editor's first-operator routes are the runtime's.
  const runtime = octopusRuntime(RED);

  function OctopusDashboardNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-dashboard', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-dashboard', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const path = (def.path || '/ui').replace(/\/+$/, '') || '/ui';
    const config = def.registry ? (RED.nodes.getNode(def.registry) as RegistryConfigNode | null) : null;
    const problem = !PATH.test(path) ? `path "${def.path}" must look like /ui (letters, digits, - _ . ~ and /)` : undefined;
    if (problem) {
      node.error(`octopus-dashboard: ${problem}`);
      node.status({ fill: 'red', shape: 'ring', text: problem });
      return;
    }
    // The path's pages are mounted once (lib/runtime); they serve the dashboard node that provides its hub.
    const slot = runtime.dashboard(path);
    const serving = slot.current();
    if (serving) {
      const taken = `path ${path} already served by node ${serving.nodeId}`;
      node.error(`octopus-dashboard: ${taken}`);
      node.status({ fill: 'red', shape: 'ring', text: taken });
      return;
    }

    const model = new LiveModel();
    const hub = new SseHub(FLUSH_MS);
    const status = new ThrottledStatus((s) => node.status(s), 1000);
    const log = new RateLimitedLog((line) => node.warn(line));
    const service = config?.service;
    const seed = () => {
      if (!service) return;
      for (const d of service.registry.all()) model.upsert(liveDeviceView(d));
    };
    seed();
    const onRegistryEvent = (e: RegistryEvent) => {
      const d = service?.registry.get(e.deviceId);
      if (e.type === 'device-removed') {
        const site = model.get(e.deviceId)?.site ?? d?.site;
        model.remove(e.deviceId);
        // A message whose site is unknown could not be checked against the viewers: not sent.
        if (site !== undefined) hub.send('removed', { deviceId: e.deviceId }, { site, deviceId: e.deviceId });
      } else if (d && e.type !== 'attribute-added') {
        const live = liveDeviceView(d);
        model.upsert(live);
        hub.send('device', live, { site: live.site, deviceId: live.deviceId });
      }
    };
    service?.on('event', onRegistryEvent);
    // The registry loads from the database after start (it may wait for the database): show what
    // it knew as soon as it has, and tell the browsers already connected.
    const onLoaded = () => {
      seed();
      hub.sendEach('snapshot', (c) => snapshot(c.viewer, c.subscription));
    };
    service?.on('loaded', onLoaded);
    // Command outcomes (pending → confirmed / timeout / failed) go to the pages showing the device.
    const onCommand = (cmd: TrackedCommand) => {
      const site = service?.registry.get(cmd.deviceId)?.site ?? model.get(cmd.deviceId)?.site;
      if (site !== undefined) hub.send('command', commandView(cmd), { site, deviceId: cmd.deviceId });
    };
    service?.on('command', onCommand);

    // Alerts come from the runtime's alert service; it may start after this node, or be
    // redeployed on its own, so follow its changes rather than look it up once.
    let alerts: AlertService | undefined;
    // Every page hears of alerts (the header counts them); the viewer's sites decide which.
    const onAlert = (t: AlertTransition) => hub.send('alert', { type: t.type, alert: t.alert }, { site: t.alert.site });
    const visibleAlerts = (viewer: Viewer): Alert[] => (alerts?.activeAlerts() ?? []).filter((a) => viewer.canSee(a.site));
    const followAlerts = (current: AlertService | undefined) => {
      if (current === alerts) return;
      alerts?.off('transition', onAlert);
      alerts = current;
      alerts?.on('transition', onAlert);
      // Whatever happened before we followed this service: resync the open alerts.
      hub.sendEach('alerts', (c) => visibleAlerts(c.viewer));
    };
    const unfollowAlerts = runtime.alerts.subscribe(followAlerts);
    // A scene being applied: each device's outcome as it comes, to the pages of people who see its site.
    const onScene = (p: SceneProgress) => hub.sendEach('scene', (c) => (c.viewer.canSee(p.site) ? { ...p, startedAt: new Date(p.startedAt).toISOString() } : undefined));
    let automation: AutomationService | undefined;
    const unfollowAutomation = runtime.automations.subscribe((current) => {
      automation?.off('scene', onScene);
      automation = current;
      automation?.on('scene', onScene);
    });
    // A user's notification centre: its unread count (and the newest) to that user's pages alone.
    const onUnread = (userId: number, e: UnreadEvent) => hub.sendEach('notify', (c) => (c.viewer.userId === userId ? e : undefined));
    runtime.notifyUnread.on('unread', onUnread);
    const snapshot = (viewer: Viewer, subscription: Subscription, apiBase?: string) => {
      const devices = model.snapshot().filter((d) => wants(subscription, d.deviceId) && viewer.canSee(d.site));
      return {
        devices,
        alerts: visibleAlerts(viewer),
        // The sites of these devices the viewer may send commands to: the page offers controls only there.
        controlSites: [...new Set(devices.map((d) => d.site))].filter((site) => viewer.canControl(site)),
        serverTime: Date.now(),
        ...(apiBase === undefined ? {} : { apiBase }),
      };
    };
    const pageSnapshot = (p: PageRequest) => snapshot(p.viewer, p.subscription, p.apiBase);

    const unprovide = slot.provide({
      nodeId: node.id,
      state: (res, page) => {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify(pageSnapshot(page)));
      },
      events: (_req, res, page) => hub.attach(res, { event: 'snapshot', data: pageSnapshot(page) }, { viewer: page.viewer, subscription: page.subscription }),
    });

    // Whether anyone can sign in, asked of the user store every few seconds (not per status tick).
    let setup: OperatorSetup | undefined;
    const checkSetup = () => void operatorSetup(runtime.auth.current()).then((s) => (setup = s));
    // At once when the user store comes or goes; an operator made meanwhile shows within 5 s.
    const unfollowAuth = runtime.auth.subscribe(checkSetup);
    const setupCheck = setInterval(checkSetup, 5000);
    const refresh = setInterval(
      () => status.set(setupStatus(setup) ?? { fill: 'green', shape: 'dot', text: `${path} · ${model.size} devices · ${hub.clientCount} viewers` }),
      1000,
    );

    node.on('input', (msg: NodeMessageInFlow, _send, done) => {
      const now = Date.now();
      if (isReadingBatch(msg.payload)) {
        // octopus-parse's columnar batch: read in place (apply and queueReading copy what they keep)
        msg.payload.scan((x) => {
          if (model.apply(x, now)) {
            hub.queueReading({ deviceId: x.deviceId, site: x.site, room: x.room, device: x.device, attribute: x.attribute, value: x.value, unit: x.unit, ts: x.ts });
          }
        });
        done();
        return;
      }
      const items: unknown[] = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      for (const x of items) {
        if (!isReading(x)) {
          log.write('octopus-dashboard takes readings (octopus-parse output 1); ignored something else');
          continue;
        }
        if (model.apply(x, now)) {
          hub.queueReading({ deviceId: x.deviceId, site: x.site, room: x.room, device: x.device, attribute: x.attribute, value: x.value, unit: x.unit, ts: x.ts });
        }
      }
      done();
    });

    node.on('close', () => {
      clearInterval(refresh);
      clearInterval(setupCheck);
      unfollowAlerts();
      unfollowAutomation();
      automation?.off('scene', onScene);
      unfollowAuth();
      runtime.notifyUnread.off('unread', onUnread);
      alerts?.off('transition', onAlert);
      service?.off('loaded', onLoaded);
      service?.off('command', onCommand);
      status.close();
      service?.off('event', onRegistryEvent);
      unprovide();
      hub.close();
    });
  }

  RED.nodes.registerType('octopus-dashboard', OctopusDashboardNode);
};
