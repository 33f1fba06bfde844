/**
 * What the binary under test is: its version (for the report) and whether it runs migration as
 * a job itself — `query-qmp-schema` lists `migration` among the values of the `type` member of
 * `query-jobs`' JobInfo. Asked of a machine-less QEMU on stdio, which starts in milliseconds.
 */
import { spawn } from "node:child_process";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";

export interface QemuIdentity {
  binary: string;
  version: JsonObject;
  nativeMigrationJob: boolean;
}

export async function probeQemu(binary: string): Promise<QemuIdentity> {
  const replies = await askOverStdio(binary, [
    { execute: "qmp_capabilities" },
    { execute: "query-version" },
    { execute: "query-qmp-schema" },
  ]);
  const [, version, schema] = replies;
  return {
    binary,
    version: (version as JsonObject | undefined) ?? {},
    nativeMigrationJob: Array.isArray(schema) && jobTypesOf(schema as JsonObject[]).includes("migration"),
  };
}

/** The values of JobInfo's `type`, found by following query-jobs' return type through the schema. */
export function jobTypesOf(schema: readonly JsonObject[]): string[] {
  const byName = new Map(schema.map((entity) => [String(entity.name), entity]));
  const ret = byName.get(String(byName.get("query-jobs")?.["ret-type"] ?? ""));
  const info = byName.get(String(ret?.["element-type"] ?? ""));
  const members = (info?.members ?? []) as JsonObject[];
  const typeMember = members.find((m) => m.name === "type");
  const enumeration = byName.get(String(typeMember?.type ?? ""));
  return ((enumeration?.values ?? []) as JsonValue[]).map(String);
}

function askOverStdio(binary: string, commands: JsonObject[]): Promise<JsonValue[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["-nodefaults", "-display", "none", "-machine", "none", "-qmp", "stdio"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const replies: JsonValue[] = [];
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      buffer += text;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const message = JSON.parse(buffer.slice(0, end)) as JsonObject;
        buffer = buffer.slice(end + 1);
        if ("QMP" in message) child.stdin.write(commands.map((c) => JSON.stringify(c)).join("\n"));
        else if ("return" in message || "error" in message) replies.push(message.return ?? null);
        if (replies.length === commands.length) child.kill("SIGKILL");
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", () => {
      clearTimeout(timer);
      if (replies.length === commands.length) resolve(replies);
      else reject(new Error(`${binary} did not answer QMP: ${stderr.trim() || "no output"}`));
    });
  });
}
