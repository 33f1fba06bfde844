/**
 * The event-translation floor: a bare relay of QEMU's events, with no facade. It reads them on
 * its own QMP monitor of the same QEMU (QEMU sends every event to every monitor), stamps each on
 * arrival as the facade's upstream does, writes it unchanged to its own unix socket, and a
 * QmpClient on that socket in this process stamps it as its event stream yields it. Same
 * process, same event loop, same migrations as the facade: what any relay of these events costs
 * here, before any translation.
 */
import { createServer, type Server, type Socket } from "node:net";
import { QmpClient } from "../src/qmp/client.ts";
import type { QmpEvent } from "../src/qmp/protocol.ts";

const GREETING = `${JSON.stringify({
  QMP: { version: { qemu: { micro: 0, minor: 0, major: 0 }, package: "relay" }, capabilities: [] },
})}\r\n`;

export interface RelayStamp {
  at: bigint;
  event: QmpEvent;
}

export interface EventRelay {
  /** MIGRATION events as the relay read them from QEMU, and as its client read them back. */
  readonly arrivals: RelayStamp[];
  readonly delivered: RelayStamp[];
  close(): Promise<void>;
}

/** Where the first complete JSON object of `text` ends (0: none yet); strings hold no braces here. */
function commandEnd(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i + 1;
  }
  return 0;
}

/** A QMP server that answers every command `{}` and relays what it is told to write. */
function relayServer(path: string): Promise<{ server: Server; send(line: string): void }> {
  const peers = new Set<Socket>();
  const server = createServer((socket) => {
    peers.add(socket);
    socket.on("close", () => peers.delete(socket));
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    socket.write(GREETING);
    let pending = "";
    socket.on("data", (chunk) => {
      pending += chunk.toString("utf8");
      for (let end = commandEnd(pending); end > 0; end = commandEnd(pending)) {
        const command = JSON.parse(pending.slice(0, end)) as { id?: unknown };
        pending = pending.slice(end);
        const id = command.id === undefined ? {} : { id: command.id };
        socket.write(`${JSON.stringify({ return: {}, ...id })}\r\n`);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const send = (line: string) => {
      for (const peer of peers) peer.write(line);
    };
    server.listen(path, () => resolve({ server, send }));
  });
}

export async function startEventRelay(qemuMonitor: string, relaySocket: string): Promise<EventRelay> {
  const arrivals: RelayStamp[] = [];
  const delivered: RelayStamp[] = [];
  const { server, send } = await relayServer(relaySocket);
  const upstream = await QmpClient.connect(`unix:${qemuMonitor}`);
  upstream.onEvent((event) => {
    if (event.event !== "MIGRATION") return;
    arrivals.push({ at: process.hrtime.bigint(), event });
    send(`${JSON.stringify(event)}\r\n`);
  });
  const client = await QmpClient.connect(`unix:${relaySocket}`);
  // Read as the facade's client reads (an event stream), so both sides pay the same.
  const events = client.eventsOf();
  void (async () => {
    for await (const event of events)
      if (event.event === "MIGRATION") delivered.push({ at: process.hrtime.bigint(), event });
  })();
  return {
    arrivals,
    delivered,
    close: async () => {
      await client.close();
      await upstream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
