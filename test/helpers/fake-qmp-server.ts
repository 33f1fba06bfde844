/**
 * Test-only: a fake QMP server on a unix socket, for tests of the client's wire bytes without
 * QEMU. It greets as QEMU 7.2, keeps every request line, and writes back what `respond` makes of
 * each request (by default an empty return).
 */
import { createServer } from "node:net";

export interface FakeQmpServer {
  /** Every request line, in order, as the client wrote it. */
  lines: string[];
  close(): Promise<void>;
}

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n';

export interface FakeRequest {
  execute?: string;
  id?: unknown;
}

export const emptyReturn = ({ id }: FakeRequest): string => `{"return": {}, "id": ${id}}\r\n`;

export async function startFakeQmpServer(
  socket: string,
  respond: (request: FakeRequest) => string = emptyReturn,
): Promise<FakeQmpServer> {
  const lines: string[] = [];
  const server = createServer((connection) => {
    connection.write(GREETING);
    let buffered = "";
    connection.setEncoding("utf8").on("data", (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        lines.push(line);
        connection.write(respond(JSON.parse(line) as FakeRequest));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { lines, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
