/**
 * jobshim's public runtime API. Named exports only: what is not listed here is internal.
 * The codegen is `jobshim/codegen`; the facades and the proxy are `jobshim/adapters`.
 */

export * from "./generated/json-schemas.ts";
export * from "./generated/registry.ts";
export * from "./generated/state-tables.ts";
export type * from "./generated/types.ts";
export * from "./qmp/index.ts";
export {
  allowed,
  isState,
  type MachineTables,
  type RefinementTables,
  refinedPath,
  refinedState,
  type StateOf,
  type TransitionResult,
  transition,
  type VerbOf,
} from "./state-machine.ts";
// What `proxy.attach(connection)` and `QmpServer.attach` take: a connection the caller accepted itself.
export { BaseConnection, type ByteConnection } from "./transports/byte-connection.ts";
export { SocketConnection, type SocketConnectionOptions } from "./transports/socket-connection.ts";
