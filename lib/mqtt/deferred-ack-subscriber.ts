import type { IClientOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { connect } from 'mqtt';
import { createMessageAck, type MessageAck } from '../delivery/message-ack';

/**
 * An MQTT subscriber that acknowledges each QoS1 message only when the flow says so (after the
 * readings it carried are committed), with a bounded number of unacknowledged messages.
 *
 * mqtt.js sends PUBACK as soon as `handleMessage` calls back, and processes incoming packets one
 * at a time behind that callback. So: `handleMessage` calls back at once while the window has room
 * (the next message is read), and holds the callback while it is full (mqtt.js stops reading the
 * socket, TCP pushes back and the broker keeps the rest queued). The PUBACK that mqtt.js then sends
 * is held back here until the message's ack is released.
 *
 * A message received on an earlier connection is never acknowledged on a later one: packet ids are
 * per session and may be reused, and the broker redelivers what was not acknowledged anyway.
 */
export interface DeferredAckSubscriberOptions {
  url: string;
  topics: string[];
  qos: 0 | 1;
  /** Most messages received but not yet acknowledged. */
  maxInFlight: number;
  /** When false, messages are acknowledged on receipt (mqtt.js default behaviour). */
  ackAfterRelease: boolean;
  clientOptions: IClientOptions;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  receivedAt: number;
  /** Present for QoS1 messages in ack-after-release mode. */
  ack?: MessageAck;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface PendingAck {
  receivedAt: number;
  released: boolean;
  pubackHeld: Packet | undefined;
}

export interface SubscriberStats {
  received: number;
  acknowledged: number;
  inFlight: number;
  /** Age in ms of the oldest message not yet acknowledged (0 when none). */
  oldestUnackedMs: number;
  /** True while the window is full and reading from the broker is paused. */
  paused: boolean;
}

export class DeferredAckSubscriber {
  readonly client: MqttClient;
  private session = 0;
  private readonly pending = new Map<number, PendingAck>();
  private heldCallbacks: Array<() => void> = [];
  private received = 0;
  private corked = false;
  private acknowledged = 0;
  private readonly sendPacket: SendPacket;

  constructor(
    private readonly options: DeferredAckSubscriberOptions,
    private readonly onMessage: (msg: IncomingMessage) => void,
  ) {
    // mqtt.js calls its debug logger several times per packet; at tens of thousands of messages a
    // second that alone is a few percent of the CPU.
    const quiet = process.env.DEBUG ? {} : { log: () => undefined };
    this.client = connect(options.url, { ...quiet, ...options.clientOptions, manualConnect: true });
    const internals = this.client as unknown as { _sendPacket: SendPacket };
    this.sendPacket = internals._sendPacket.bind(this.client);
    if (options.ackAfterRelease) {
      internals._sendPacket = (packet, cb, ...rest) => {
        if (packet.cmd === 'puback' && !this.letPubackThrough(packet)) {
          cb?.();
          return;
        }
        this.sendPacket(packet, cb, ...rest);
      };
      this.client.handleMessage = (_packet, callback) => {
        if (this.pending.size < this.options.maxInFlight) callback();
        else this.heldCallbacks.push(() => callback());
      };
    }
    this.client.on('connect', () => {
      this.newSession();
      this.client.subscribe(this.options.topics, { qos: this.options.qos }, (err) => {
        if (err) this.client.emit('error', err);
        else this.onSubscribed?.();
      });
    });
    this.client.on('close', () => this.newSession());
    this.client.on('message', (topic, payload, packet) => this.receive(topic, payload, packet));
  }

  /** Called each time the broker has confirmed the subscriptions (SUBACK), after every (re)connect. */
  onSubscribed: (() => void) | undefined;

  start(): void {
    this.client.connect();
  }

  stats(now = Date.now()): SubscriberStats {
    let oldest = now;
    for (const p of this.pending.values()) {
      if (p.receivedAt < oldest) oldest = p.receivedAt;
      break; // Map keeps insertion order: the first entry is the oldest.
    }
    return {
      received: this.received,
      acknowledged: this.acknowledged,
      inFlight: this.pending.size,
      oldestUnackedMs: now - oldest,
      paused: this.heldCallbacks.length > 0,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.received++;
    const receivedAt = Date.now();
    const msg: IncomingMessage = { topic, payload, qos: packet.qos, retain: packet.retain, receivedAt };
    const id = packet.messageId;
    if (this.options.ackAfterRelease && packet.qos === 1 && id !== undefined) {
      const entry: PendingAck = { receivedAt, released: false, pubackHeld: undefined };
      // A redelivery of a message still pending replaces it: only the newest copy gets acknowledged.
      this.pending.delete(id);
      this.pending.set(id, entry);
      const session = this.session;
      msg.ack = createMessageAck(() => this.release(id, entry, session));
    } else {
      this.acknowledged++;
    }
    this.onMessage(msg);
  }

  /**
   * Decides the fate of a PUBACK mqtt.js wants to send: through when its message is already
   * released, held until release otherwise. A PUBACK with no pending message belongs to an earlier
   * connection (mqtt.js would queue it and send it on the next one, acknowledging whatever message
   * reuses that packet id there): it is dropped, and the broker redelivers.
   */
  private letPubackThrough(packet: Packet): boolean {
    const id = (packet as { messageId?: number }).messageId;
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (!entry || !this.client.connected) return false;
    if (entry.released) {
      this.pending.delete(id as number);
      this.acknowledged++;
      this.resumeReading();
      return true;
    }
    entry.pubackHeld = packet;
    return false;
  }

  private release(id: number, entry: PendingAck, session: number): void {
    if (session !== this.session || this.pending.get(id) !== entry) return;
    entry.released = true;
    if (!entry.pubackHeld) return; // mqtt.js has not asked to send it yet; letPubackThrough will send it.
    this.pending.delete(id);
    this.acknowledged++;
    if (this.client.connected) this.writeCorked(entry.pubackHeld);
    this.resumeReading();
  }

  /**
   * A committed batch releases hundreds of acks in one go: cork the socket for the rest of this
   * tick so they leave in one write instead of one system call each.
   */
  private writeCorked(packet: Packet): void {
    const stream = (this.client as unknown as { stream?: { cork?: () => void; uncork?: () => void } }).stream;
    if (stream?.cork && !this.corked) {
      this.corked = true;
      stream.cork();
      process.nextTick(() => {
        this.corked = false;
        stream.uncork?.();
      });
    }
    this.sendPacket(packet);
  }

  private resumeReading(): void {
    while (this.heldCallbacks.length > 0 && this.pending.size < this.options.maxInFlight) {
      const cb = this.heldCallbacks.shift() as () => void;
      cb();
    }
  }

  private newSession(): void {
    this.session++;
    this.pending.clear();
    // mqtt.js discards packets of a dead connection; let its queue move on.
    const held = this.heldCallbacks;
    this.heldCallbacks = [];
    for (const cb of held) cb();
  }
}
