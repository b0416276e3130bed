/**
 * The broker acknowledgement of one MQTT message, carried through a flow on `msg.octopusAck`.
 *
 * The source creates it with one holder. A node that splits the message into several (readings on
 * one output, rejects on another) calls `retain()` once per extra message it emits; every holder
 * calls `release()` when its part is committed (or dead-lettered). The broker is acknowledged when
 * the last holder releases. State lives in the closure, not on the object, because Node-RED deep
 * clones messages at fan-out: a clone copies the function references and so shares this state.
 */
export interface MessageAck {
  retain(): void;
  release(): void;
  /** True once the broker acknowledgement has been sent. */
  settled(): boolean;
}

export function createMessageAck(onSettled: () => void): MessageAck {
  let holders = 1;
  let done = false;
  return {
    retain() {
      if (!done) holders++;
    },
    release() {
      if (done) return;
      holders--;
      if (holders <= 0) {
        done = true;
        onSettled();
      }
    },
    settled() {
      return done;
    },
  };
}

/** Reads the ack from a message, tolerating messages that never came from an Octopus source. */
export function messageAckOf(msg: { octopusAck?: unknown }): MessageAck | undefined {
  const ack = msg.octopusAck as MessageAck | undefined;
  return ack && typeof ack.release === 'function' ? ack : undefined;
}
