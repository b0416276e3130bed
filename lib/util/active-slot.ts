/**
 * The running instance of something that routes registered once per process must reach, while the
 * Node-RED nodes that own it come and go with deploys: each registers while it runs; the first
 * one still running is current, and with none the routes answer 503.
 */
export interface ActiveSlot<T> {
  /** Registers a running instance; returns the function that unregisters it. */
  activate(instance: T): () => void;
  /** The first instance registered and still running, or undefined. */
  current(): T | undefined;
}

export function activeSlot<T>(): ActiveSlot<T> {
  const running: T[] = [];
  return {
    activate(instance) {
      running.push(instance);
      return () => {
        const i = running.indexOf(instance);
        if (i >= 0) running.splice(i, 1);
      };
    },
    current: () => running[0],
  };
}
