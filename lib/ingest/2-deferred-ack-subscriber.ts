import type { IClientOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { connect } from 'mqtt';
import { createMessageAck, type MessageAck } from './3-message-ack';

/**
 * An MQTT subscriber that acknowledges each QoS1 message only when the flow says so (after the
 * readings it carried are committed), with a bounded number of unacknowledged messages.
 *
 * mqtt.js sends PUBACK as soon as `handleMessage` calls back, and processes incoming packets one
 * at a time behind that callback. So: `handleMessage` calls back at once while the window has room
 * (the next message is read), and holds the callback while it is full (mqtt.js stops reading the
 * socket, TCP pushes back and the broker keeps the rest queued). The PUBACK mqtt.js then wants to
 * send is dropped; this class writes its own when the message's ack is released, all the PUBACKs
 * released in one turn of the event loop in one socket write (issue #23).
 *
 * What is pending lives in typed arrays indexed by packet id, not in objects: at tens of thousands
 * of messages a second the bookkeeping allocates nothing per message. With `onGroup`, messages
 * read in one turn of the event loop are handed over together with one ack for all of them.
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

export interface SubscriberStats {
  received: number;
  acknowledged: number;
  inFlight: number;
  /** Age in ms of the oldest message not yet acknowledged (0 when none). */
  oldestUnackedMs: number;
  /** True while the window is full and reading from the broker is paused. */
  paused: boolean;
}

/** Messages read together (one turn of the event loop), with one ack that releases them all. */
export type GroupHandler = (messages: IncomingMessage[], ack: MessageAck | undefined) => void;

/** Most messages in one group; what arrives in one socket read is usually far fewer. */
export const MAX_GROUP = 1000;

/** MQTT packet ids are 1–65535. */
const ID_SLOTS = 65536;

export class DeferredAckSubscriber {
  readonly client: MqttClient;
  /**
   * Per packet id: the delivery it is pending for (0: none). Deliveries are numbered for the life
   * of the subscriber, so a release for an earlier delivery of the same id (a redelivery replaced
   * it) or an earlier connection (the session moved on) finds another number and does nothing.
   */
  private readonly delivery = new Float64Array(ID_SLOTS);
  private readonly receivedAtOf = new Float64Array(ID_SLOTS);
  private deliveries = 0;
  private pendingCount = 0;
  /**
   * Deliveries in arrival order (packet id, delivery number), so that the oldest unacknowledged
   * one is found without a scan: entries whose delivery was acknowledged or replaced are skipped
   * from the head. /metrics asks for it many times a second.
   */
  private readonly arrivalId = new Uint16Array(ID_SLOTS);
  private readonly arrivalDelivery = new Float64Array(ID_SLOTS);
  private arrivalHead = 0;
  private arrivalCount = 0;
  private heldCallbacks: Array<() => void> = [];
  private received = 0;
  private acknowledged = 0;
  /** PUBACKs released this turn of the event loop, written in one go. */
  private pubacks = Buffer.allocUnsafe(4 * 256);
  private pubackBytes = 0;
  private group: IncomingMessage[] = [];
  private groupIds: number[] = [];
  private groupDeliveries: number[] = [];

  constructor(
    private readonly options: DeferredAckSubscriberOptions,
    private readonly onMessage: (msg: IncomingMessage) => void,
    private readonly onGroup?: GroupHandler,
  ) {
    // mqtt.js calls its debug logger several times per packet; at tens of thousands of messages a
    // second that alone is a few percent of the CPU.
    const quiet = process.env.DEBUG ? {} : { log: () => undefined };
    this.client = connect(options.url, { ...quiet, ...options.clientOptions, manualConnect: true });
    const internals = this.client as unknown as { _sendPacket: SendPacket };
    const sendPacket = internals._sendPacket.bind(this.client);
    if (options.ackAfterRelease) {
      // mqtt.js's own PUBACK never leaves: ours is written on release (writePubacks).
      internals._sendPacket = (packet, cb, ...rest) => {
        if (packet.cmd === 'puback') {
          cb?.();
          return;
        }
        sendPacket(packet, cb, ...rest);
      };
      this.client.handleMessage = (_packet, callback) => {
        if (this.pendingCount < this.options.maxInFlight) callback();
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
    this.skipAcknowledged();
    const oldest = this.arrivalCount > 0 ? Math.min(now, this.receivedAtOf[this.arrivalId[this.arrivalHead]]) : now;
    return {
      received: this.received,
      acknowledged: this.acknowledged,
      inFlight: this.pendingCount,
      oldestUnackedMs: now - oldest,
      paused: this.heldCallbacks.length > 0,
    };
  }

  close(): Promise<void> {
    // PUBACKs released this turn leave before the DISCONNECT: released means acknowledged.
    this.writePubacks();
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.received++;
    const receivedAt = Date.now();
    const msg: IncomingMessage = { topic, payload, qos: packet.qos, retain: packet.retain, receivedAt };
    const id = packet.messageId;
    let delivery = 0;
    if (this.options.ackAfterRelease && packet.qos === 1 && id !== undefined) {
      // A redelivery of a message still pending replaces it: only the newest copy gets acknowledged.
      if (this.delivery[id] === 0) this.pendingCount++;
      delivery = ++this.deliveries;
      this.delivery[id] = delivery;
      this.receivedAtOf[id] = receivedAt;
      this.noteArrival(id, delivery);
    } else {
      this.acknowledged++;
    }
    if (!this.onGroup) {
      if (delivery !== 0) msg.ack = createMessageAck(() => this.release(id as number, delivery));
      this.onMessage(msg);
      return;
    }
    this.group.push(msg);
    if (delivery !== 0) {
      this.groupIds.push(id as number);
      this.groupDeliveries.push(delivery);
    }
    // Messages parsed from one socket read arrive in one turn of the event loop: hand them over after it.
    if (this.group.length === 1) setImmediate(this.sendGroup);
    else if (this.group.length >= MAX_GROUP) this.sendGroup();
  }

  /** Drops acknowledged (or replaced) deliveries from the head of the arrival ring. */
  private skipAcknowledged(): void {
    while (this.arrivalCount > 0 && this.delivery[this.arrivalId[this.arrivalHead]] !== this.arrivalDelivery[this.arrivalHead]) {
      this.arrivalHead = (this.arrivalHead + 1) % ID_SLOTS;
      this.arrivalCount--;
    }
  }

  private noteArrival(id: number, delivery: number): void {
    if (this.arrivalCount === ID_SLOTS) this.skipAcknowledged();
    // Still full (the oldest message is still pending behind 65 535 others): forget it; stats() may
    // then report a younger oldest message, never a wrong acknowledgement.
    if (this.arrivalCount === ID_SLOTS) {
      this.arrivalHead = (this.arrivalHead + 1) % ID_SLOTS;
      this.arrivalCount--;
    }
    const tail = (this.arrivalHead + this.arrivalCount) % ID_SLOTS;
    this.arrivalId[tail] = id;
    this.arrivalDelivery[tail] = delivery;
    this.arrivalCount++;
  }

  private readonly sendGroup = (): void => {
    const messages = this.group;
    if (messages.length === 0) return;
    const ids = this.groupIds;
    const deliveries = this.groupDeliveries;
    this.group = [];
    this.groupIds = [];
    this.groupDeliveries = [];
    const ack =
      ids.length === 0
        ? undefined
        : createMessageAck(() => {
            for (let i = 0; i < ids.length; i++) this.release(ids[i], deliveries[i]);
          });
    (this.onGroup as GroupHandler)(messages, ack);
  };

  private release(id: number, delivery: number): void {
    if (this.delivery[id] !== delivery) return; // replaced by a redelivery, or from an earlier connection
    this.delivery[id] = 0;
    this.pendingCount--;
    this.acknowledged++;
    if (this.client.connected) this.queuePuback(id);
    this.resumeReading();
  }

  /** A PUBACK is 4 bytes (MQTT 3.1.1, and 5 with reason "success" left out): 0x40, length 2, packet id. */
  private queuePuback(id: number): void {
    if (this.pubackBytes === 0) process.nextTick(this.writePubacks);
    if (this.pubackBytes + 4 > this.pubacks.length) {
      const bigger = Buffer.allocUnsafe(this.pubacks.length * 2);
      this.pubacks.copy(bigger, 0, 0, this.pubackBytes);
      this.pubacks = bigger;
    }
    const b = this.pubacks;
    const o = this.pubackBytes;
    b[o] = 0x40;
    b[o + 1] = 2;
    b[o + 2] = id >> 8;
    b[o + 3] = id & 0xff;
    this.pubackBytes = o + 4;
  }

  /** Every PUBACK released in this turn, in one socket write. */
  private readonly writePubacks = (): void => {
    const n = this.pubackBytes;
    this.pubackBytes = 0;
    const stream = (this.client as unknown as { stream?: { writable?: boolean; write(b: Buffer): boolean } }).stream;
    // A connection that closed meanwhile: the broker redelivers what it did not hear about.
    if (n === 0 || !stream?.writable || !this.client.connected) return;
    stream.write(Buffer.from(this.pubacks.subarray(0, n)));
  };

  private resumeReading(): void {
    while (this.heldCallbacks.length > 0 && this.pendingCount < this.options.maxInFlight) {
      const cb = this.heldCallbacks.shift() as () => void;
      cb();
    }
  }

  private newSession(): void {
    // Packet ids are per connection: nothing pending carries over, and the broker redelivers it.
    this.delivery.fill(0);
    this.pendingCount = 0;
    this.arrivalHead = 0;
    this.arrivalCount = 0;
    this.pubackBytes = 0;
    // mqtt.js discards packets of a dead connection; let its queue move on.
    const held = this.heldCallbacks;
    this.heldCallbacks = [];
    for (const cb of held) cb();
  }
}
