/**
 * The proxy's `query-qmp-schema`: upstream's answer merged with the facade's contribution
 * (merge-schema.ts), computed once per upstream connection, since a QEMU's schema never changes
 * while it runs (a reconnecting proxy makes a new one for each connection).
 */
import { schemaInfo } from "../../src/generated/introspection.ts";
import type { JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpHandler } from "../../src/qmp/server-session.ts";
import { relay, type Upstream } from "../job-facade/upstream.ts";
import { mergeIntrospection, type SchemaContribution } from "./merge-schema.ts";
import type { SchemaInfo } from "./schema-reader.ts";

export function introspectionHandlers(
  upstream: Upstream,
  contribution: SchemaContribution,
): Record<string, QmpHandler> {
  let merged: Promise<JsonValue> | undefined;
  const mergedSchema = (): Promise<JsonValue> => {
    merged ??= relay(upstream, "query-qmp-schema").then((answer) => {
      // Upstream would not describe itself in a form we can read: clients get its answer as is.
      if (!Array.isArray(answer)) return answer;
      const { entries } = mergeIntrospection(answer as unknown as SchemaInfo[], schemaInfo, contribution);
      return entries as unknown as JsonValue;
    });
    // An upstream refusal is the client's answer, but is not kept: the next client asks again.
    merged.catch(() => {
      merged = undefined;
    });
    return merged;
  };
  // QEMU's query-qmp-schema ignores its arguments ('gen': false), so does this one.
  return { "query-qmp-schema": () => mergedSchema() };
}
