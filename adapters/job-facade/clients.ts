/**
 * The facade's clients and what each one sees: events go to every client that finished
 * negotiation, but MIGRATION and MIGRATION_PASS only to those whose own, virtual `events`
 * capability is on (decision 0001, tension 7). The facade needs QEMU's real capability on;
 * no client may notice that unless it asked for it.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { EarlyEvents } from "./early-events.ts";

/** What a facade needs of a client connection; QmpServerSession is one. */
export interface FacadeClient {
  readonly negotiated: boolean;
  send(message: JsonObject): void;
}

/** Events that exist only because capability `events` is on. */
export const CAPABILITY_EVENTS: readonly string[] = ["MIGRATION", "MIGRATION_PASS"];

type EventMessage = JsonObject & { event: string };

export class FacadeClients {
  private readonly eventsCapability = new Map<FacadeClient, boolean>();
  private readonly early: EarlyEvents<EventMessage> | undefined;

  /**
   * @param initialEvents QEMU's own `events` value when the facade attached.
   * @param holdForFirstClient hold up to this many events until a client negotiates (early-events.ts).
   */
  constructor(
    private readonly initialEvents: boolean,
    holdForFirstClient?: number,
  ) {
    if (holdForFirstClient !== undefined) this.early = new EarlyEvents(holdForFirstClient);
  }

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

  /** A client finished negotiation: the first one gets what was held, each as it would have. */
  negotiated(): void {
    if (!this.early?.holding) return;
    for (const message of this.early.release()) this.broadcast(message);
  }

  /** Sends one event message to every client that may see it, in the same order for all. */
  broadcast(message: EventMessage): void {
    if (this.early?.hold(message)) return;
    const gated = CAPABILITY_EVENTS.includes(message.event);
    for (const [client, events] of this.eventsCapability) {
      if (!client.negotiated) continue;
      if (gated && !events) continue;
      client.send(message);
    }
  }
}
