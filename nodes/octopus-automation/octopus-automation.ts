import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { RunEvent } from '../../lib/automation/automation-service';
import { findScene } from '../../lib/automation/scene-lookup';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { ThrottledStatus } from '../../lib/util/throttled-status';
import type { RegistryConfigNode } from '../octopus-registry/types';

/**
 * Glue for the automation service the registry config node runs (lib/automation): emits each
 * automation, schedule and scene run, and each notify action, so flows can extend automations;
 * applies a scene on `{scene: "<id or name>", site}` (or restores it on `{restore: …}`).
 */
export = function register(RED: NodeAPI): void {
  function OctopusAutomationNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-automation', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-automation', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const config = RED.nodes.getNode(def.registry ?? '') as RegistryConfigNode | null;
    const service = config?.automation;
    // Only runs of this site; empty: every site.
    const site = (def.site ?? '').trim();
    if (!service) {
      return refuseConfig(node, 'octopus-automation', (config && config.problem) || 'no device registry configured (automation runs beside it)');
    }
    const status = new ThrottledStatus((s) => node.status(s), 500);
    const mine = (s: string) => site === '' || s === site;

    const onRun = (run: RunEvent) => {
      if (!mine(run.site)) return;
      status.set({ fill: run.outcome === 'done' ? 'green' : run.outcome === 'skipped' ? 'grey' : 'yellow', shape: 'dot', text: `${run.kind} '${run.name}': ${run.outcome}` });
      node.send({ topic: `${run.kind}/${run.outcome}/${run.site}`, payload: run });
    };
    const onNotify = (n: { site: string; message: string; automationId: string; cause: unknown[] }) => {
      if (!mine(n.site)) return;
      // The site's people get it through their notification preferences (octopus-registry queues it); a flow may add more.
      node.send({ topic: `notify/${n.site}`, payload: n });
    };
    service.on('run', onRun);
    service.on('notify', onNotify);

    node.on('input', (msg, _send, done) => {
      const p = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as { scene?: unknown; restore?: unknown; site?: unknown };
      const wanted = p.scene ?? p.restore;
      if (typeof wanted !== 'string' || wanted === '') {
        done(new Error('octopus-automation: send {scene: "<id or name>"} (or {restore: …}), with site when names repeat across sites'));
        return;
      }
      const found = findScene(service.scenes.values(), wanted, typeof p.site === 'string' ? p.site : site || undefined);
      if (typeof found === 'string') {
        status.set({ fill: 'red', shape: 'ring', text: found });
        done(new Error(`octopus-automation: ${found}`));
        return;
      }
      const restore = p.restore !== undefined;
      if (restore && !found.previous?.length) {
        done(new Error(`octopus-automation: scene '${found.name}' has nothing to restore: it was never applied`));
        return;
      }
      service
        .applyScene(found.id, [{ kind: 'user', name: `flow:${node.id}` }], `flow:${node.id}`, restore)
        .then(() => done(), (err: Error) => done(err));
    });

    node.on('close', () => {
      service.off('run', onRun);
      service.off('notify', onNotify);
      status.close();
    });
  }

  RED.nodes.registerType('octopus-automation', OctopusAutomationNode);
};
