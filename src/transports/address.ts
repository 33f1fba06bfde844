/** QMP endpoint addresses as users write them: `unix:PATH`, `tcp:HOST:PORT`, `ws://HOST:PORT[/PATH]`. */

export type QmpAddress =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "ws"; host: string; port: number; path: string };

export class AddressError extends Error {
  override name = "AddressError";
}

function parsePort(text: string, whole: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new AddressError(`invalid port '${text}' in address '${whole}'`);
  return port;
}

/** Splits HOST:PORT; an IPv6 host is written in brackets, `[::1]:4444`. */
function hostAndPort(text: string, whole: string): { host: string; port: number } {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) throw new AddressError(`address '${whole}' needs HOST:PORT`);
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  return { host, port: parsePort(text.slice(colon + 1), whole) };
}

export function parseAddress(text: string): QmpAddress {
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    if (!path) throw new AddressError(`address '${text}' has no socket path`);
    return { kind: "unix", path };
  }
  if (text.startsWith("tcp:")) return { kind: "tcp", ...hostAndPort(text.slice("tcp:".length), text) };
  if (text.startsWith("ws://")) {
    const rest = text.slice("ws://".length);
    const slash = rest.indexOf("/");
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    return { kind: "ws", ...hostAndPort(authority, text), path: slash < 0 ? "/" : rest.slice(slash) };
  }
  throw new AddressError(
    `unsupported address '${text}': expected unix:PATH, tcp:HOST:PORT or ws://HOST:PORT`,
  );
}

const bracketed = (host: string) => (host.includes(":") ? `[${host}]` : host);

export function formatAddress(address: QmpAddress): string {
  switch (address.kind) {
    case "unix":
      return `unix:${address.path}`;
    case "tcp":
      return `tcp:${bracketed(address.host)}:${address.port}`;
    case "ws":
      return `ws://${bracketed(address.host)}:${address.port}${address.path === "/" ? "" : address.path}`;
  }
}
