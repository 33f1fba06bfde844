/**
 * Test-only: a program run in a real pseudo-terminal, a tmux pane on a private tmux server, typed
 * into with send-keys and read back with capture-pane. `kill()` ends the server and with it the
 * program, also after a failed assertion.
 */
import { execFileSync, spawnSync } from "node:child_process";

export function tmuxSkipReason(): string | undefined {
  if (spawnSync("tmux", ["-V"]).status === 0) return undefined;
  if (process.env.REQUIRE_QEMU === "1")
    throw new Error("REQUIRE_QEMU=1 (CI) but tmux is missing: .ci/run installs it");
  return "SKIPPED: tmux is not installed (apt-get install tmux); the pty tests of jobshim shell did not run";
}

let panes = 0;

export class TmuxPane {
  private readonly server = `jobshim-test-${process.pid}-${panes++}`;

  /** Starts `command` (a shell line) in an 120×40 pane. */
  constructor(command: string, cwd: string) {
    this.tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "-c", cwd, command);
  }

  /** Sends keys as tmux names them (`Enter`, `Tab`, `Up`, `C-d`) or literal text. */
  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", "t", ...keys);
  }

  /** Literal text with nothing interpreted as a key name. */
  type(text: string): void {
    this.tmux("send-keys", "-t", "t", "-l", text);
  }

  screen(): string {
    const run = spawnSync("tmux", ["-L", this.server, "capture-pane", "-p", "-J", "-t", "t"], {
      encoding: "utf8",
    });
    return run.stdout ?? "";
  }

  /** Waits until the screen matches `pattern`; fails with the screen shown. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the pane never showed ${pattern}; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.server, "kill-server"]);
  }

  private tmux(...args: string[]): void {
    execFileSync("tmux", ["-L", this.server, ...args]);
  }
}
