import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { TrackedCommand } from '../../lib/commands/command-tracker';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { ThrottledStatus } from '../../lib/util/throttled-status';
import type { RegistryConfigNode } from '../octopus-registry/types';

interface CommandInput {
  device?: unknown;
  deviceId?: unknown;
  attribute?: unknown;
  value?: unknown;
}

/** Takes `{device, attribute, value}` from msg.payload, or from msg itself for simple flows. */
function commandFrom(msg: NodeMessageInFlow): { deviceId: string; attribute: string; value: unknown } | string {
  const p = (typeof msg.payload === 'object' && msg.payload !== null && !Array.isArray(msg.payload) ? msg.payload : msg) as CommandInput;
  const deviceId = p.deviceId ?? p.device;
  if (typeof deviceId !== 'string' || deviceId === '') return 'the command needs a device (msg.payload.device, the device id)';
  if (typeof p.attribute !== 'string' || p.attribute === '') return 'the command needs an attribute (msg.payload.attribute)';
  if (p.value === undefined) return 'the command needs a value (msg.payload.value)';
  return { deviceId, attribute: p.attribute, value: p.value };
}

export = function register(RED: NodeAPI): void {
  function OctopusCommandNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-command', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-command', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const config = RED.nodes.getNode(def.registry ?? '') as RegistryConfigNode | null;
    const service = config?.service;
    const timeoutS = def.timeoutS === '' || def.timeoutS === undefined ? undefined : Number(def.timeoutS);
    const problem =
      (!service && ((config && config.problem) || 'no device registry configured')) ||
      (timeoutS !== undefined && !(timeoutS >= 1 && timeoutS <= 3600) ? `timeout ${def.timeoutS} s is outside 1–3600` : undefined);
    if (problem || !service) {
      return refuseConfig(node, 'octopus-command', String(problem));
    }
    const status = new ThrottledStatus((s) => node.status(s), 500);
    // Outcomes of the commands this node sent, keyed by id, with the message that asked.
    const mine = new Map<string, NodeMessageInFlow>();

    const onCommand = (cmd: TrackedCommand) => {
      const origin = mine.get(cmd.id);
      if (!origin) return;
      if (cmd.status !== 'pending') mine.delete(cmd.id);
      const fill = cmd.status === 'confirmed' ? 'green' : cmd.status === 'pending' ? 'yellow' : 'red';
      status.set({ fill, shape: 'dot', text: `${cmd.deviceId} ${cmd.attribute}=${String(cmd.value)}: ${cmd.status}` });
      node.send({ ...origin, topic: `command/${cmd.status}/${cmd.deviceId}`, payload: { ...cmd } });
    };
    service.on('command', onCommand);

    node.on('input', (msg, _send, done) => {
      const cmd = commandFrom(msg);
      if (typeof cmd === 'string') {
        status.set({ fill: 'red', shape: 'ring', text: cmd });
        done(new Error(`octopus-command: ${cmd}`));
        return;
      }
      const requestedBy = typeof (msg as { user?: unknown }).user === 'string' ? String((msg as { user?: unknown }).user) : `flow:${node.id}`;
      service
        .sendCommand({ ...cmd, requestedBy, timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000 })
        .then((result) => {
          if (!result.ok) {
            status.set({ fill: 'red', shape: 'ring', text: `${cmd.deviceId}: ${result.error}` });
            done(new Error(`octopus-command: ${cmd.deviceId} ${cmd.attribute}: ${result.error}`));
            return;
          }
          mine.set(result.command.id, msg);
          onCommand(result.command);
          done();
        })
        .catch((err: Error) => done(err));
    });

    node.on('close', () => {
      service.off('command', onCommand);
      status.close();
    });
  }

  RED.nodes.registerType('octopus-command', OctopusCommandNode);
};
