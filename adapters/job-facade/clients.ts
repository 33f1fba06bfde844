/**
 * The facade's clients and what each one sees: events go to every client that finished
 * negotiation, but MIGRATION and MIGRATION_PASS only to those whose own, virtual `events`
 * capability is on (decision 0001, tension 7). The facade needs QEMU's real capability on;
 * no client may notice that unless it asked for it.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";

/** What a facade needs of a client connection; QmpServerSession is one. */
export interface FacadeClient {
  readonly negotiated: boolean;
  send(message: JsonObject): void;
}

/** Events that exist only because capability `events` is on. */
export const CAPABILITY_EVENTS: readonly string[] = ["MIGRATION", "MIGRATION_PASS"];

export class FacadeClients {
  private readonly eventsCapability = new Map<FacadeClient, boolean>();

  /** @param initialEvents QEMU's own `events` value when the facade attached. */
  constructor(private readonly initialEvents: boolean) {}

  add(client: FacadeClient): void {
    if (!this.eventsCapability.has(client)) this.eventsCapability.set(client, this.initialEvents);
  }

  remove(client: FacadeClient): void {
    this.eventsCapability.delete(client);
  }

  eventsOn(client: FacadeClient): boolean {
    this.add(client);
    return this.eventsCapability.get(client) ?? this.initialEvents;
  }

  setEvents(client: FacadeClient, on: boolean): void {
    this.eventsCapability.set(client, on);
  }

  get size(): number {
    return this.eventsCapability.size;
  }

  /** Sends one event message to every client that may see it, in the same order for all. */
  broadcast(message: JsonObject & { event: string }): void {
    const gated = CAPABILITY_EVENTS.includes(message.event);
    for (const [client, events] of this.eventsCapability) {
      if (!client.negotiated) continue;
      if (gated && !events) continue;
      client.send(message);
    }
  }
}
