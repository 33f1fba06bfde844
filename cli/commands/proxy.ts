import type { Command } from "commander";
import { type ListenerAccess, parseSocketMode } from "../../adapters/policy/listener-access.ts";
import { resolvePolicy } from "../../adapters/policy/policy-file.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../adapters/proxy.ts";
import { createReconnectingProxy } from "../../adapters/reconnecting-proxy.ts";
import { formatAddress } from "../../src/transports/address.ts";

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
 * backend such as a `jobs` proxy (`legacy`). Runs until SIGINT/SIGTERM or until upstream goes away.
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
      if (flags.reconnect) return serveReconnecting(flags);
      const create = flags.facade === "jobs" ? createJobFacadeProxy : createLegacyFacadeProxy;
      const proxy = await create({ upstream: flags.upstream, listen: flags.listen, access: accessOf(flags) });
      for (const listener of proxy.listeners)
        process.stderr.write(`jobshim proxy: listening on ${formatAddress(listener.address)}\n`);
      const stop = new Promise<string>((resolve) => {
        process.once("SIGINT", () => resolve("interrupted"));
        process.once("SIGTERM", () => resolve("terminated"));
        void proxy.ended.then(() => resolve("QEMU went away"));
      });
      const why = await stop;
      await proxy.close();
      process.stderr.write(`jobshim proxy: stopped (${why})\n`);
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

/** Checked before anything starts: a bad mode or policy file stops the proxy with one line. */
function accessOf(flags: ProxyFlags): ListenerAccess {
  const policy = resolvePolicy({ policy: flags.policy, policyFile: flags.policyFile });
  return {
    socketMode: parseSocketMode(flags.socketMode ?? "0600"),
    allowRemote: flags.allowRemote === true,
    ...(policy ? { policy } : {}),
  };
}
