import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { type ListenerAccess, parseSocketMode } from "../../adapters/policy/listener-access.ts";
import { resolvePolicy } from "../../adapters/policy/policy-file.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../adapters/proxy.ts";
import { createReconnectingProxy } from "../../adapters/reconnecting-proxy.ts";
import { formatAddress, parseAddress } from "../../src/transports/address.ts";
import { explainHandshake } from "../connect-monitor.ts";
import { EXIT_CONNECTION, UsageError } from "../exit-codes.ts";

interface ProxyFlags {
  upstream: string;
  listen: string[];
  facade: string;
  socketMode?: string;
  allowRemote?: boolean;
  policy?: string;
  policyFile?: string;
  reconnect?: boolean;
  journal?: string;
}

/**
 * `jobshim proxy --upstream ADDRESS --listen ADDRESS... --facade jobs|legacy`: serves QMP in front
 * of a QEMU with migration shown as a job (`jobs`), or the legacy migration API in front of a job
 * backend such as a `jobs` proxy (`legacy`). Runs until SIGINT/SIGTERM (exit 0) or until upstream
 * goes away (exit 3: whoever started it must learn that it no longer serves).
 */
export function registerProxyCommand(program: Command): void {
  program
    .command("proxy")
    .description("serve QMP in front of QEMU with live migration shown as a job")
    .requiredOption("--upstream <address>", "QEMU's QMP monitor: unix:PATH, tcp:HOST:PORT or ws://HOST:PORT")
    .requiredOption(
      "--listen <address...>",
      "where clients connect (unix sockets are created with mode 0600)",
    )
    .option(
      "--facade <kind>",
      "which facade to run: 'jobs' (migration as a job) or 'legacy' (legacy migration API over a job backend)",
      "jobs",
    )
    .option("--socket-mode <octal>", "file mode of unix sockets listened on", "0600")
    .option(
      "--allow-remote",
      "let tcp: and ws:// listeners bind non-loopback addresses (QMP has no authentication)",
    )
    .option("--policy <name>", "command policy of every listener: 'read-only' (query-* only) or 'full'")
    .option(
      "--policy-file <path>",
      "command policy from a JSON file: {name?, allow: [patterns], deny?: [patterns]}",
    )
    .option(
      "--reconnect",
      "outlive upstream: keep listening while it is away and serve it again when it returns",
    )
    .option(
      "--journal <path>",
      "with --reconnect: keep the migration job in this file, so a restarted proxy adopts it under its id",
    )
    .action(async (flags: ProxyFlags) => {
      if (flags.facade !== "jobs" && flags.facade !== "legacy")
        throw new Error(
          `unknown facade '${flags.facade}': this proxy runs 'jobs' (migration as a job) or 'legacy' (legacy API over jobs)`,
        );
      if (flags.journal !== undefined && !flags.reconnect) throw new Error("--journal needs --reconnect");
      checkListenFolders(flags.listen);
      if (flags.reconnect) return serveReconnecting(flags);
      const create = flags.facade === "jobs" ? createJobFacadeProxy : createLegacyFacadeProxy;
      const access = accessOf(flags);
      process.stderr.write(`jobshim proxy: connecting to ${flags.upstream}\n`);
      const proxy = await create({ upstream: flags.upstream, listen: flags.listen, access }).catch(
        (error) => {
          throw new Error(explainHandshake((error as Error).message), { cause: error });
        },
      );
      for (const listener of proxy.listeners)
        process.stderr.write(`jobshim proxy: listening on ${formatAddress(listener.address)}\n`);
      const stop = new Promise<{ why: string; code: number }>((resolve) => {
        process.once("SIGINT", () => resolve({ why: "interrupted", code: 0 }));
        process.once("SIGTERM", () => resolve({ why: "terminated", code: 0 }));
        void proxy.ended.then(() =>
          resolve({
            why: `upstream ${flags.upstream} went away: QEMU exited or closed its monitor`,
            code: EXIT_CONNECTION,
          }),
        );
      });
      const { why, code } = await stop;
      await proxy.close();
      process.stderr.write(`jobshim proxy: stopped (${why})\n`);
      process.exitCode = code;
    });
}

/** `--reconnect`: runs until SIGINT/SIGTERM, whatever upstream does (adapters/reconnecting-proxy.ts). */
async function serveReconnecting(flags: ProxyFlags): Promise<void> {
  const proxy = await createReconnectingProxy({
    upstream: flags.upstream,
    facade: flags.facade === "legacy" ? "legacy" : "jobs",
    access: accessOf(flags),
    ...(flags.journal ? { journal: flags.journal } : {}),
  });
  try {
    for (const address of flags.listen) {
      const listener = await proxy.listen(address);
      process.stderr.write(`jobshim proxy: listening on ${formatAddress(listener.address)}\n`);
    }
  } catch (error) {
    await proxy.close();
    throw error;
  }
  const why = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("interrupted"));
    process.once("SIGTERM", () => resolve("terminated"));
  });
  await proxy.close();
  process.stderr.write(`jobshim proxy: stopped (${why})\n`);
}

/** A unix socket in a folder that is not there: say so, not EACCES or ENOENT. */
function checkListenFolders(listen: readonly string[]): void {
  for (const text of listen) {
    const address = parseAddress(text);
    if (address.kind !== "unix") continue;
    const folder = path.dirname(address.path);
    if (!existsSync(folder))
      throw new UsageError(`cannot listen on ${text}: the folder ${folder} does not exist (create it first)`);
  }
}

/** Checked before anything starts: a bad mode or policy file stops the proxy with one line. */
function accessOf(flags: ProxyFlags): ListenerAccess {
  const policy = resolvePolicy({ policy: flags.policy, policyFile: flags.policyFile });
  return {
    socketMode: parseSocketMode(flags.socketMode ?? "0600"),
    allowRemote: flags.allowRemote === true,
    ...(policy ? { policy } : {}),
  };
}
