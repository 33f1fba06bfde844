/**
 * A scripted upstream for the "unknown future MigrationStatus" scenarios: real QEMU underneath,
 * plus a status no schema knows, told the way a newer QEMU would tell it — a MIGRATION event
 * with it, and query-migrate answering with it until the script stops or QEMU reports a status
 * of its own. Everything else is
 * QEMU's own answer. Only the facade sees this; the client under test talks to the facade.
 */

import type { QmpEvent } from "../../src/qmp/protocol.ts";
import type { Upstream } from "../job-facade/upstream.ts";

export interface InjectingUpstream extends Upstream {
  inject(status: string | null): void;
}

export function injectingUpstream(inner: Upstream): InjectingUpstream {
  const listeners: ((event: QmpEvent) => void)[] = [];
  let injected: string | null = null;
  inner.onEvent((event) => {
    // QEMU moved on: a newer QEMU's query-migrate would now name QEMU's new status too.
    if (event.event === "MIGRATION") injected = null;
    for (const listener of listeners) listener(event);
  });
  return {
    execute: async (command, args, options) => {
      if (command === "query-migrate" && injected !== null) return { status: injected };
      return inner.execute(command, args, options);
    },
    onEvent: (listener) => listeners.push(listener),
    onClose: (listener) => inner.onClose(listener),
    get oobEnabled() {
      return inner.oobEnabled;
    },
    close: () => inner.close(),
    inject(status) {
      injected = status;
      if (status === null) return;
      const now = Date.now();
      const event: QmpEvent = {
        event: "MIGRATION",
        data: { status },
        timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 },
      };
      for (const listener of listeners) listener(event);
    },
  };
}
