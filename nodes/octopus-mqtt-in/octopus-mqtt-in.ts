import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { octopusRuntime } from '../octopus-runtime';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import type { MessageAck } from '../../lib/ingest/3-message-ack';
import { DeferredAckSubscriber, type IncomingMessage } from '../../lib/ingest/2-deferred-ack-subscriber';
import { ThrottledStatus } from '../../lib/util/throttled-status';
import { parseTopicFilters, SHARE_GROUP } from '../../lib/ingest/1-topic-filters';
import type { BrokerConfigNode } from '../octopus-broker/types';

export = function register(RED: NodeAPI): void {
  // The Octopus routes (/metrics among them) exist from the moment the pack loads.
  const runtime = octopusRuntime(RED);

  function OctopusMqttInNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-mqtt-in', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-mqtt-in', read.problem, { inputs: false });
    if (read.note) node.log(read.note);
    const def = read.config;
    const status = new ThrottledStatus((s) => node.status(s));
    const broker = RED.nodes.getNode(def.broker ?? '') as BrokerConfigNode | null;
    const { filters, problem: topicProblem } = parseTopicFilters(def.topics || '');
    const qos = Number(def.qos) === 0 ? 0 : 1;
    const maxInFlight = Number(def.maxInFlight) || 10000;
    const shareGroup = (def.sharedGroup || '').trim();
    const problem =
      (!broker && 'no broker configured') ||
      broker?.problem ||
      topicProblem ||
      (shareGroup && !SHARE_GROUP.test(shareGroup) && `shared group "${shareGroup}" may only hold letters, digits, _ . -`) ||
      (!(maxInFlight >= 1 && maxInFlight <= 65535) && `max in flight ${maxInFlight} is outside 1–65535`) ||
      undefined;
    if (problem || !broker) {
      return refuseConfig(node, 'octopus-mqtt-in', String(problem), { inputs: false });
    }
    const ackAfterStore = def.ackMode !== 'on-receipt' && qos === 1;
    const shareName = shareGroup ? broker.shareGroup(shareGroup) : '';
    const topics = shareName ? filters.map((f) => `$share/${shareName}/${f}`) : filters;
    const grouping = def.output === 'group';
    const sendOne = (m: IncomingMessage) => {
      const msg: NodeMessage & Record<string, unknown> = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, receivedAt: m.receivedAt };
      if (m.ack) msg.octopusAck = m.ack;
      node.send(msg);
    };
    // A group carries the messages read in one turn of the event loop ({topic, payload, qos, retain,
    // receivedAt} each) and one ack: released downstream once, it acknowledges every member.
    const sendGroup = (members: IncomingMessage[], ack: MessageAck | undefined) => {
      const msg: NodeMessage & Record<string, unknown> = { topic: members[0].topic, payload: members, octopusGroup: true, count: members.length };
      if (ack) msg.octopusAck = ack;
      node.send(msg);
    };
    const subscriber = new DeferredAckSubscriber(
      {
        url: broker.brokerUrl,
        topics,
        qos,
        maxInFlight,
        ackAfterRelease: ackAfterStore,
        // A persistent session only makes sense when acks are held: then the broker keeps what was not acknowledged.
        clientOptions: broker.clientOptions(node.id, { clean: !ackAfterStore }),
      },
      sendOne,
      grouping ? sendGroup : undefined,
    );
    const client = subscriber.client;
    let lastError = '';
    client.on('connect', () => {
      lastError = '';
    });
    // Logged on the SUBACK, not on connect: until then the broker would not route messages to us.
    subscriber.onSubscribed = () => node.log(`connected to ${broker.brokerUrl}, subscribed to ${topics.join(', ')}`);
    client.on('error', (err) => {
      lastError = err.message;
      status.set({ fill: 'red', shape: 'ring', text: `broker: ${err.message}` });
      node.warn(`broker ${broker.brokerUrl}: ${err.message}`);
    });
    client.on('offline', () => status.set({ fill: 'red', shape: 'ring', text: `disconnected${lastError ? `: ${lastError}` : ''}` }));

    const refresh = setInterval(() => {
      if (!client.connected) return;
      const s = subscriber.stats();
      if (s.paused) {
        status.set({ fill: 'yellow', shape: 'dot', text: `paused: ${s.inFlight} in flight, waiting for the store` });
      } else {
        status.set({ fill: 'green', shape: 'dot', text: `connected · ${s.received} received · ${s.inFlight} in flight` });
      }
    }, 1000);
    status.set({ fill: 'yellow', shape: 'ring', text: `connecting to ${broker.brokerUrl}` });
    subscriber.start();

    const unregisterStats = runtime.metrics.registerStatsSource(node.id, () => subscriber.stats());

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(refresh);
      unregisterStats();
      status.close();
      subscriber.close().then(done, done);
    });
  }

  RED.nodes.registerType('octopus-mqtt-in', OctopusMqttInNode);
};
