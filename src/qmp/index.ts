/** Public surface of the QMP runtime. */

export { formatAddress, parseAddress, type QmpAddress } from "../transports/address.ts";
/** Why file descriptors cannot be passed over unix sockets here (the addon), or undefined. */
export { descriptorPassingUnavailable } from "../transports/fd-passing.ts";
export { generatedArgumentValidator, QmpArgumentValidator } from "./argument-validator.ts";
export {
  type ConnectQmpOptions,
  connectQmp,
  type ExecuteOptions,
  QmpClient,
  type ReconnectOptions,
} from "./client.ts";
export type { EventFilter } from "./event-stream.ts";
export { type Framed, type FramerLimits, JsonFramer, QEMU_LIMITS } from "./json-framer.ts";
export type { JsonObject, JsonValue } from "./json-value.ts";
export { literalOf, pickMembers, stringifyExact } from "./number-literal.ts";
export type * from "./protocol.ts";
export { toQemuJson } from "./qemu-json-writer.ts";
export { QmpConnectionError, QmpError, QmpTimeoutError } from "./qmp-error.ts";
export { QmpServer, type QmpServerOptions } from "./server.ts";
export {
  type ArgumentValidator,
  type HandlerContext,
  QmpCommandError,
  type QmpHandler,
  QmpServerSession,
} from "./server-session.ts";
export {
  type CommandShapes,
  connectTyped,
  type JobshimClient,
  type TypedEvent,
  type TypedQmpClient,
  typedClient,
} from "./typed-client.ts";
