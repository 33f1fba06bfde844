/**
 * The floor for any proxy process: a Node process that only copies bytes between each client
 * and its own upstream connection, no parsing at all. Measured beside the real proxy, it shows
 * how much of the proxy's overhead is the extra process hop itself (two more socket reads and
 * writes, two more wake-ups) rather than anything jobshim does.
 */
import { type ChildProcess, spawn } from "node:child_process";

const SCRIPT = `
const net = require("node:net");
const [upstream, listen] = process.argv.slice(1);
net.createServer((client) => {
  const up = net.connect({ path: upstream });
  client.pipe(up);
  up.pipe(client);
  client.on("error", () => up.destroy());
  up.on("error", () => client.destroy());
}).listen(listen, () => process.stderr.write("listening\\n"));
`;

export interface PipeProcess {
  readonly path: string;
  stop(): Promise<void>;
}

export async function startPipeProcess(upstreamPath: string, listenPath: string): Promise<PipeProcess> {
  const child: ChildProcess = spawn(process.execPath, ["-e", SCRIPT, upstreamPath, listenPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const stop = async () => {
    kill();
    await exited;
    process.off("exit", kill);
  };
  await new Promise<void>((resolve, reject) => {
    child.stderr?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`byte pipe exited with ${code}`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { path: listenPath, stop };
}
