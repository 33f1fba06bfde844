/**
 * Fan-out of QMP events to any number of async iterators, each with its own filter and queue.
 * An iterator sees the events that arrive after it was created, until it is ended by a
 * `return()` (a `break` in for-await) or the stream closes.
 */
import type { QmpEvent } from "./protocol.ts";

export type EventFilter = string | readonly string[] | ((event: QmpEvent) => boolean);

function matcher(filter: EventFilter | undefined): (event: QmpEvent) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === "function") return filter;
  const names = new Set(typeof filter === "string" ? [filter] : filter);
  return (event) => names.has(event.event);
}

interface Subscriber {
  matches: (event: QmpEvent) => boolean;
  queue: QmpEvent[];
  wake: (() => void) | undefined;
}

export class EventStream {
  private readonly subscribers = new Set<Subscriber>();
  private ended = false;

  publish(event: QmpEvent): void {
    for (const subscriber of this.subscribers) {
      if (!subscriber.matches(event)) continue;
      subscriber.queue.push(event);
      subscriber.wake?.();
    }
  }

  end(): void {
    this.ended = true;
    for (const subscriber of this.subscribers) subscriber.wake?.();
  }

  subscribe(filter?: EventFilter): AsyncIterableIterator<QmpEvent> {
    const subscriber: Subscriber = { matches: matcher(filter), queue: [], wake: undefined };
    this.subscribers.add(subscriber);
    const finish = (): IteratorResult<QmpEvent> => {
      this.subscribers.delete(subscriber);
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<QmpEvent> = {
      next: async () => {
        while (subscriber.queue.length === 0) {
          if (this.ended || !this.subscribers.has(subscriber)) return finish();
          await new Promise<void>((resolve) => {
            subscriber.wake = resolve;
          });
          subscriber.wake = undefined;
        }
        return { done: false, value: subscriber.queue.shift() as QmpEvent };
      },
      return: async () => {
        subscriber.wake?.();
        return finish();
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
