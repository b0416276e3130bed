/**
 * One kind of shared service of an Octopus runtime (the device registry, the alert service, the
 * user store, a dashboard's live hub): the nodes that run it come and go with deploys, and each
 * `provide`s it while it runs. The one served is the FIRST provided that still runs; when it stops,
 * the next in line takes over (a redeploy: the new node takes over when the old one closes). With
 * none, `current()` is undefined and the routes answer 503.
 *
 * Whoever needs to react to a change (the dashboard follows the alert service) subscribes: the
 * listener hears every change of `current()`, never a poll.
 */
export type Unprovide = () => void;

export class ServiceSlot<T> {
  private readonly running: T[] = [];
  private readonly listeners = new Set<(current: T | undefined) => void>();

  constructor(readonly name: string) {}

  /** Registers a running service; returns the function its node calls on close (calling it again does nothing). */
  provide(service: T): Unprovide {
    this.running.push(service);
    if (this.running.length === 1) this.announce();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const i = this.running.indexOf(service);
      if (i < 0) return;
      this.running.splice(i, 1);
      if (i === 0) this.announce();
    };
  }

  /** The service served now: the first provided and still running, or undefined. */
  current(): T | undefined {
    return this.running[0];
  }

  /**
   * Calls `listener` with the current service now and after every change of it; returns the
   * function that stops listening (call it in the node's close handler).
   */
  subscribe(listener: (current: T | undefined) => void): Unprovide {
    this.listeners.add(listener);
    listener(this.current());
    return () => {
      this.listeners.delete(listener);
    };
  }

  private announce(): void {
    const current = this.current();
    for (const listener of [...this.listeners]) listener(current);
  }
}
