/**
 * A typed view of a QmpClient for any command and event map of the shape the codegen emits
 * (`QmpCommands`: name → { args; ret }, `QmpEvents`: name → data). The runtime stays generic;
 * this only narrows the types, so it works with any schema's generated maps. Without type
 * arguments it uses jobshim's own generated maps.
 */
import type { QmpCommands, QmpEvents } from "../generated/types.ts";
import { type ConnectQmpOptions, connectQmp, type ExecuteOptions, type QmpClient } from "./client.ts";
import type { JsonObject } from "./json-value.ts";
import type { QmpTimestamp } from "./protocol.ts";

export type CommandShapes<C> = { [K in keyof C]: { args: unknown; ret: unknown } };

/** Arguments may be left out when the command takes none or only optional ones. */
type ArgsParameter<A> =
  Record<string, never> extends A
    ? [args?: A, options?: ExecuteOptions]
    : [args: A, options?: ExecuteOptions];

export type TypedEvent<E, K extends keyof E> = {
  [N in K]: { event: N; data: E[N]; timestamp: QmpTimestamp };
}[K];

export interface TypedQmpClient<C extends CommandShapes<C>, E> {
  readonly client: QmpClient;
  execute<K extends keyof C & string>(name: K, ...rest: ArgsParameter<C[K]["args"]>): Promise<C[K]["ret"]>;
  eventsOf<K extends keyof E & string>(names: K | readonly K[]): AsyncIterableIterator<TypedEvent<E, K>>;
  close(): Promise<void>;
}

/** A client typed by jobshim's own schema (schema/). */
export type JobshimClient = TypedQmpClient<QmpCommands, QmpEvents>;

/** Trusts the server to answer as its schema says; validate with the generated validators if not. */
export function typedClient<C extends CommandShapes<C> = QmpCommands, E = QmpEvents>(
  client: QmpClient,
): TypedQmpClient<C, E> {
  return {
    client,
    execute: (name, ...[args, options]) =>
      client.execute(name, args as JsonObject | undefined, options) as Promise<C[typeof name]["ret"]>,
    eventsOf: (names) => client.eventsOf(names) as AsyncIterableIterator<never>,
    close: () => client.close(),
  };
}

/** Connects and wraps in one step: `(await connectTyped("unix:/run/qmp.sock")).execute("query-jobs")`. */
export async function connectTyped<C extends CommandShapes<C> = QmpCommands, E = QmpEvents>(
  address: Parameters<typeof connectQmp>[0],
  options?: ConnectQmpOptions,
): Promise<TypedQmpClient<C, E>> {
  return typedClient<C, E>(await connectQmp(address, options));
}
