/**
 * The legacy facade's clients. Each has its own `events` capability (brief: MIGRATION only
 * while *this client* enabled it), starting from the backend's value when the facade attached.
 * Unlike the job facade's fan-out, one MIGRATION event may be sent regardless of the capability:
 * QEMU 7.2 announces `setup` on `migrate-incoming` unconditionally (observed on real QEMU; 10.0
 * no longer does, see upstream-dialect.ts).
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import type { FacadeClient } from "../job-facade/clients.ts";

const GATED: readonly string[] = ["MIGRATION", "MIGRATION_PASS"];

export class LegacyClients {
  private readonly events = new Map<FacadeClient, boolean>();

  constructor(private readonly initialEvents: boolean) {}

  add(client: FacadeClient): void {
    if (!this.events.has(client)) this.events.set(client, this.initialEvents);
  }

  remove(client: FacadeClient): void {
    this.events.delete(client);
  }

  eventsOn(client: FacadeClient): boolean {
    this.add(client);
    return this.events.get(client) ?? this.initialEvents;
  }

  setEvents(client: FacadeClient, on: boolean): void {
    this.events.set(client, on);
  }

  /** Every negotiated client, in one order; MIGRATION* only to those with `events` on. */
  broadcast(message: JsonObject & { event: string }, options: { ungated?: boolean } = {}): void {
    const gated = !options.ungated && GATED.includes(message.event);
    for (const [client, on] of this.events) {
      if (!client.negotiated || (gated && !on)) continue;
      client.send(message);
    }
  }
}
