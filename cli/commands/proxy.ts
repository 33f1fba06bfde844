import type { Command } from "commander";
import { createJobFacadeProxy } from "../../adapters/proxy.ts";
import { formatAddress } from "../../src/transports/address.ts";

interface ProxyFlags {
  upstream: string;
  listen: string[];
  facade: string;
}

/**
 * `jobshim proxy --upstream ADDRESS --listen ADDRESS... --facade jobs`: serves QMP in front of a
 * QEMU, with migration shown as a job. Runs until SIGINT/SIGTERM or until QEMU goes away.
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
    .option("--facade <kind>", "which facade to run: 'jobs' (migration as a job)", "jobs")
    .action(async (flags: ProxyFlags) => {
      if (flags.facade !== "jobs")
        throw new Error(`unknown facade '${flags.facade}': this proxy runs 'jobs' (migration as a job)`);
      const proxy = await createJobFacadeProxy({ upstream: flags.upstream, listen: flags.listen });
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
