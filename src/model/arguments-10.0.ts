/**
 * The model's argument schemas for its QEMU 10.0 profile: the generated (7.2) input document
 * with the migration definitions that 10.0's qapi/migration.json declares differently. Only the
 * model's subset is patched; every other command keeps 7.2's arguments. Facts, 7.2 → 10.0:
 * `migrate` loses `blk`/`inc` and gains `channels` (`uri` becomes optional: the command itself
 * wants exactly one of the two); `migrate-incoming` gains `channels` and `exit-on-error`;
 * MigrationCapability loses `block` and `compress` and gains three; MigrateSetParameters loses
 * the compression and block-incremental members and gains seven.
 */
import { type ArgumentSchemas, GENERATED_ARGUMENT_SCHEMAS } from "../qmp/argument-validator.ts";
import type { SchemaNode } from "../qmp/qapi-input-visit.ts";

/** 10.0's MigrationCapability, in its order. */
export const CAPABILITIES_10_0: readonly string[] = [
  "xbzrle",
  "rdma-pin-all",
  "auto-converge",
  "zero-blocks",
  "events",
  "postcopy-ram",
  "x-colo",
  "release-ram",
  "return-path",
  "pause-before-switchover",
  "multifd",
  "dirty-bitmaps",
  "postcopy-blocktime",
  "late-block-activate",
  "x-ignore-shared",
  "validate-uuid",
  "background-snapshot",
  "zero-copy-send",
  "postcopy-preempt",
  "switchover-ack",
  "dirty-limit",
  "mapped-ram",
];

/** Parameters 9.1 removed. */
export const REMOVED_PARAMETERS_10_0 = [
  "block-incremental",
  "compress-level",
  "compress-threads",
  "compress-wait-thread",
  "decompress-threads",
];

const U8 = { type: "integer", minimum: 0, maximum: 255 };
/** 2^64 as the generated schemas write it (json-schema-builtins.ts: bounds beyond safe integers). */
const U64 = { type: "integer", minimum: 0, maximum: 2 ** 64 };
const REF = (name: string) => ({ $ref: `#/definitions/${name}` });

/** Parameters 8.0 – 10.0 added, with their types. */
const ADDED_PARAMETERS: Record<string, SchemaNode> = {
  "avail-switchover-bandwidth": U64,
  "direct-io": { type: "boolean" },
  mode: REF("MigMode"),
  "multifd-qatzip-level": U8,
  "vcpu-dirty-limit": U64,
  "x-vcpu-dirty-limit-period": U64,
  "zero-page-detection": REF("ZeroPageDetection"),
};

const objectOf = (properties: Record<string, SchemaNode>, required: string[] = []): SchemaNode => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});

/**
 * MigrationAddress: a union on `transport` whose `socket` branch is SocketAddress (itself a union
 * on `type`) flattened beside `transport`, so SocketAddress's branches also admit `transport`.
 */
function migrationAddress(socketAddress: SchemaNode): SchemaNode {
  const [socketBase, socketUnion] = socketAddress.allOf as [SchemaNode, SchemaNode];
  const socketBranches = (socketUnion.oneOf as SchemaNode[]).map(
    (branch): SchemaNode => ({
      ...branch,
      propertyNames: { enum: ["transport", ...((branch.propertyNames as SchemaNode).enum as string[])] },
    }),
  );
  const inet = (socketBranches[0]?.properties ?? {}) as Record<string, SchemaNode>;
  const { type: _type, ...inetMembers } = inet;
  return {
    allOf: [
      { type: "object", properties: { transport: REF("MigrationAddressType") }, required: ["transport"] },
      {
        oneOf: [
          {
            type: "object",
            properties: { transport: { const: "socket" } },
            required: ["transport"],
            allOf: [socketBase, { oneOf: socketBranches }],
          },
          objectOf({ transport: { const: "exec" }, args: { type: "array", items: { type: "string" } } }, [
            "transport",
            "args",
          ]),
          objectOf({ ...inetMembers, transport: { const: "rdma" } }, ["transport", "host", "port"]),
          objectOf({ transport: { const: "file" }, filename: { type: "string" }, offset: U64 }, [
            "transport",
            "filename",
            "offset",
          ]),
        ],
      },
    ],
  };
}

function patchedDefinitions(base: Record<string, SchemaNode>): Record<string, SchemaNode> {
  const defs = { ...base };
  const socketAddress = defs.SocketAddress;
  if (!socketAddress) throw new Error("the generated input schema has no SocketAddress");
  const setParams = defs.MigrateSetParameters as SchemaNode;
  const kept = Object.entries(setParams.properties as Record<string, SchemaNode>).filter(
    ([name]) => !REMOVED_PARAMETERS_10_0.includes(name),
  );
  defs.MigrateSetParameters = {
    ...setParams,
    properties: { ...Object.fromEntries(kept), ...ADDED_PARAMETERS },
  };
  defs.MigrationCapability = { type: "string", enum: [...CAPABILITIES_10_0] };
  defs.MigMode = { type: "string", enum: ["normal", "cpr-reboot", "cpr-transfer"] };
  defs.ZeroPageDetection = { type: "string", enum: ["none", "legacy", "multifd"] };
  defs.MigrationAddressType = { type: "string", enum: ["socket", "exec", "rdma", "file"] };
  defs.MigrationChannelType = { type: "string", enum: ["main", "cpr"] };
  defs.MigrationAddress = migrationAddress(socketAddress);
  defs.MigrationChannel = objectOf(
    { "channel-type": REF("MigrationChannelType"), addr: REF("MigrationAddress") },
    ["channel-type", "addr"],
  );
  const channels = { type: "array", items: REF("MigrationChannel") };
  defs["q_obj_migrate-arg"] = objectOf({
    uri: { type: "string" },
    channels,
    detach: { type: "boolean" },
    resume: { type: "boolean" },
  });
  defs["q_obj_migrate-incoming-arg"] = objectOf({
    uri: { type: "string" },
    channels,
    "exit-on-error": { type: "boolean" },
  });
  return defs;
}

let cached: ArgumentSchemas | undefined;

/** The argument schemas a 10.0 model validates with. */
export function argumentSchemas10(): ArgumentSchemas {
  if (cached) return cached;
  const base = GENERATED_ARGUMENT_SCHEMAS;
  const document = base.inputDocument;
  const inputDocument = {
    ...document,
    definitions: patchedDefinitions(document.definitions as Record<string, SchemaNode>),
  };
  cached = { ...base, inputDocument };
  return cached;
}
