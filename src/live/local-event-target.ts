type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * The subscriptions of this process by event type ("measurementRecorded:42"), as the EventTarget that
 * @graphql-yoga/subscription's createPubSub listens on. Unlike Node's EventTarget it can say how many
 * subscriptions wait for a type (readiness in tests, a gauge later), and a listener that throws does
 * not keep the event from the others.
 */
export class LocalEventTarget implements EventTarget {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly onListenerError: (error: unknown, type: string) => void = () => undefined) {}

  addEventListener(type: string, listener: Listener | null): void {
    if (!listener) return;
    let forType = this.listeners.get(type);
    if (!forType) this.listeners.set(type, (forType = new Set()));
    forType.add(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const forType = this.listeners.get(type);
    if (!forType || !listener) return;
    forType.delete(listener);
    if (forType.size === 0) this.listeners.delete(type);
  }

  dispatchEvent(event: Event): boolean {
    const forType = this.listeners.get(event.type);
    if (!forType) return true;
    // A copy: a listener may unsubscribe (and so change the set) while it is told.
    for (const listener of [...forType]) {
      try {
        if (typeof listener === "function") listener(event);
        else listener.handleEvent(event);
      } catch (error) {
        this.onListenerError(error, event.type);
      }
    }
    return true;
  }

  /** Subscriptions waiting for events of `type`. */
  listenerCount(type: string): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}
