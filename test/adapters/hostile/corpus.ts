/**
 * Test-only: the hostile-input corpus. Each entry is sent on a fresh connection (negotiated as
 * `negotiate` says) to real QEMU and to the proxies, followed by a sentinel request; the replies
 * up to the sentinel's are compared. No entry changes the VM's state when QEMU accepts it:
 * every accepted command is a query.
 */

export type Negotiation = "none" | "plain" | "oob";

export interface HostileInput {
  name: string;
  group: string;
  bytes: string | Buffer;
  negotiate: Negotiation;
}

const MiB = 1024 * 1024;
const req = (execute: string, extra = ""): string => `{"execute":"${execute}"${extra}}`;
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

type Row = [name: string, bytes: string | Buffer, negotiate?: Negotiation];

const invalidJson: Row[] = [
  ["lone closing brace", "}"],
  ["lone closing bracket", "]"],
  ["colon alone", ":"],
  ["unfinished object then newline", '{"execute"\n'],
  ["missing value", '{"execute":}'],
  ["trailing comma in object", '{"execute":"query-status",}'],
  ["trailing comma in array", "[1,2,]"],
  ["missing comma", '{"execute":"query-status" "id":1}'],
  ["bare word", "hello"],
  ["truncated literal", "tru "],
  ["unquoted key", "{execute:1}"],
  ["at sign", "@"],
  ["hash", "#"],
  ["NUL byte", "\u0000"],
  ["control character", "\u0001"],
  ["number with leading zero", "01 "],
  ["exponent without digits", "1e "],
  ["minus alone", "- "],
  ["percent interpolation", '{"execute":"%s"}'],
  ["escaped NUL", '{"execute":"query-status","id":"\\u0000"}'],
  ["lone high surrogate", '{"execute":"query-status","id":"\\ud800"}'],
  ["lone low surrogate", '{"execute":"query-status","id":"\\udc00"}'],
  ["bad escape", '{"execute":"query-status","id":"\\x41"}'],
  ["short unicode escape", '{"execute":"query-status","id":"\\u12"}'],
  ["brace closes bracket", '["execute"}'],
  ["extra closing brace", `${req("query-status")}}`],
  ["value after value", `${req("query-status", ',"id":"a"')} 5`],
  ["garbage before a request", `xyz ${req("query-status", ',"id":"g"')}`],
  ["duplicate key", '{"execute":"query-status","execute":"query-status"}'],
  ["duplicate id key", '{"execute":"query-status","id":1,"id":2}'],
  ["single quotes", "{'execute':'query-status','id':'sq'}"],
  ["mixed quotes", `{"execute':'query-status"}`],
  ["carriage returns only", "\r\r\r"],
  ["whitespace only", "   \t  \n\n"],
  ["tab inside a string", '{"execute":"query-status","id":"a\tb"}'],
  ["newline inside a string", '{"execute":"query-status","id":"a\nb"}'],
  ["huge number", `{"execute":"query-status","id":1${"0".repeat(400)}}`],
  ["float overflow", '{"execute":"query-status","id":1e999}'],
  ["negative zero", '{"execute":"query-status","id":-0}'],
];

const wrongTypes: Row[] = [
  ["string instead of object", '"query-status"'],
  ["number instead of object", "42"],
  ["array instead of object", '["query-status"]'],
  ["null", "null"],
  ["true", "true"],
  ["empty object", "{}"],
  ["only an id", '{"id":1}'],
  ["execute is a number", '{"execute":42}'],
  ["execute is null", '{"execute":null}'],
  ["execute is an array", '{"execute":["query-status"]}'],
  ["execute is an object", '{"execute":{"name":"query-status"}}'],
  ["arguments is an array", req("query-status", ',"arguments":[]')],
  ["arguments is a string", req("query-status", ',"arguments":"x"')],
  ["arguments is null", req("query-status", ',"arguments":null')],
  ["unexpected member", req("query-status", ',"extra":1')],
  ["unexpected argument", req("query-status", ',"arguments":{"x":1}')],
  ["argument of the wrong type", req("query-cpus-fast", ',"arguments":{"x":"y"}')],
  ["migrate: uri is a number", req("migrate", ',"arguments":{"uri":42}')],
  ["migrate: uri missing", req("migrate", ',"arguments":{}')],
  ["migrate: blk is a string", req("migrate", ',"arguments":{"uri":"exec:true","blk":"yes"}')],
  [
    "migrate-set-parameters: string for integer",
    req("migrate-set-parameters", ',"arguments":{"downtime-limit":"x"}'),
  ],
  ["migrate-set-parameters: negative", req("migrate-set-parameters", ',"arguments":{"downtime-limit":-1}')],
  [
    "migrate-set-parameters: out of range",
    req("migrate-set-parameters", ',"arguments":{"downtime-limit":99999999}'),
  ],
  ["migrate-set-parameters: unknown", req("migrate-set-parameters", ',"arguments":{"bogus":1}')],
  [
    "migrate-set-capabilities: not a list",
    req("migrate-set-capabilities", ',"arguments":{"capabilities":{}}'),
  ],
  [
    "migrate-set-capabilities: bad name",
    req("migrate-set-capabilities", ',"arguments":{"capabilities":[{"capability":"bogus","state":true}]}'),
  ],
  ["migrate-continue: bad enum", req("migrate-continue", ',"arguments":{"state":"bogus"}')],
  ["job-cancel: id is a number", req("job-cancel", ',"arguments":{"id":42}')],
  ["job-cancel: id missing", req("job-cancel", ',"arguments":{}')],
  ["job-cancel: unknown job", req("job-cancel", ',"arguments":{"id":"nope"}')],
  ["job-dismiss: unknown job", req("job-dismiss", ',"arguments":{"id":"nope"}')],
  ["job-pause: id is null", req("job-pause", ',"arguments":{"id":null}')],
  [
    "block-job-set-speed: wrong type",
    req("block-job-set-speed", ',"arguments":{"device":"x","speed":"fast"}'),
  ],
  ["migrate_cancel with arguments", req("migrate_cancel", ',"arguments":{"x":1}')],
  ["query-migrate with arguments", req("query-migrate", ',"arguments":{"detail":true}')],
];

const unknownCommands: Row[] = [
  ["unknown command", req("frobnicate", ',"id":"u1"')],
  ["empty command name", req("", ',"id":"u2"')],
  ["upper-case name", req("QUERY-STATUS")],
  ["name with spaces", req("query status")],
  ["name with a NUL escape", '{"execute":"query-status\\u0001"}'],
  ["__proto__", req("__proto__")],
  ["constructor", req("constructor")],
  ["toString", req("toString")],
  ["hasOwnProperty", req("hasOwnProperty")],
  ["prototype-polluting arguments", req("query-status", ',"arguments":{"__proto__":{"polluted":1}}')],
  ["1 MiB command name", req("x".repeat(MiB))],
  ["unicode command name", req("qüery-stätus")],
  ["command name with a slash", req("../query-status")],
];

const beforeNegotiation: Row[] = [
  ["query before negotiation", req("query-status", ',"id":1'), "none"],
  ["unknown command before negotiation", req("frobnicate"), "none"],
  [
    "job-migrate before negotiation",
    req("job-migrate", ',"arguments":{"job-id":"j","uri":"exec:true"}'),
    "none",
  ],
  ["migrate before negotiation", req("migrate", ',"arguments":{"uri":"exec:true"}'), "none"],
  ["bad capability", req("qmp_capabilities", ',"arguments":{"enable":["bogus"]}'), "none"],
  ["capability not a string", req("qmp_capabilities", ',"arguments":{"enable":[1]}'), "none"],
  ["capabilities not a list", req("qmp_capabilities", ',"arguments":{"enable":"oob"}'), "none"],
  ["capabilities with extra argument", req("qmp_capabilities", ',"arguments":{"x":1}'), "none"],
  ["capabilities arguments an array", req("qmp_capabilities", ',"arguments":[]'), "none"],
  ["negotiation repeated", req("qmp_capabilities", ',"id":"again"')],
  ["exec-oob negotiation", '{"exec-oob":"qmp_capabilities","id":"o"}', "none"],
  ["invalid JSON before negotiation", "{{{", "none"],
];

const oddIds: Row[] = [
  ["id null", req("query-status", ',"id":null')],
  ["id object", req("query-status", ',"id":{"a":[1,{"b":null}]}')],
  ["id array", req("query-status", ',"id":[1,"two",3.5]')],
  ["id float", req("query-status", ',"id":0.1')],
  ["id negative", req("query-status", ',"id":-9007199254740993')],
  ["id 2^64", req("query-status", ',"id":18446744073709551616')],
  ["id boolean", req("query-status", ',"id":false')],
  ["id empty string", req("query-status", ',"id":""')],
  ["id with escapes", req("query-status", ',"id":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"')],
  ["id with astral character", req("query-status", ',"id":"\\ud83d\\ude00"')],
  ["id on an invalid request", '{"execute":5,"id":"bad"}'],
  ["id on an unknown command", req("frobnicate", ',"id":{"deep":[[[1]]]}')],
  ["duplicate ids", `${req("query-status", ',"id":7')}${req("query-name", ',"id":7')}`],
  ["1 MiB id", req("query-status", `,"id":"${"i".repeat(MiB)}"`)],
];

const oobMisuse: Row[] = [
  ["exec-oob without the capability", '{"exec-oob":"migrate-pause","id":"o1"}'],
  ["exec-oob and execute together", '{"execute":"query-status","exec-oob":"query-status","id":"o2"}', "oob"],
  ["exec-oob is a number", '{"exec-oob":5,"id":"o3"}', "oob"],
  ["exec-oob of a non-OOB command", '{"exec-oob":"query-status","id":"o4"}', "oob"],
  ["exec-oob of an unknown command", '{"exec-oob":"frobnicate","id":"o5"}', "oob"],
  ["exec-oob without an id", '{"exec-oob":"query-status"}', "oob"],
  ["exec-oob of qmp_capabilities", '{"exec-oob":"qmp_capabilities","id":"o6"}', "oob"],
  ["exec-oob with bad arguments", '{"exec-oob":"migrate-pause","arguments":{"x":1},"id":"o7"}', "oob"],
  ["exec-oob of job-cancel", '{"exec-oob":"job-cancel","arguments":{"id":"x"},"id":"o8"}', "oob"],
];

const invalidUtf8: Row[] = [
  ["0xFF byte", bytes([0xff])],
  ["0xFE byte", bytes([0xfe])],
  ["truncated sequence in a string", bytes('{"execute":"query-status","id":"', [0xc3], '"}')],
  ["overlong slash", bytes('{"execute":"query-status","id":"', [0xc0, 0xaf], '"}')],
  ["encoded surrogate", bytes('{"execute":"query-status","id":"', [0xed, 0xa0, 0x80], '"}')],
  ["beyond U+10FFFF", bytes('{"execute":"query-status","id":"', [0xf5, 0x80, 0x80, 0x80], '"}')],
  ["invalid byte in a command name", bytes('{"execute":"query-', [0xff], 'status"}')],
  ["invalid byte in a key", bytes('{"exe', [0x80], 'cute":"query-status"}')],
  ["continuation byte alone", bytes([0x80], req("query-status", ',"id":"c"'))],
  ["overlong NUL", bytes('{"execute":"query-status","id":"', [0xc0, 0x80], '"}')],
];

function hugeAndDeep(): Row[] {
  return [
    ["deep nesting at the limit", `${"[".repeat(1024)}${"]".repeat(1024)}`],
    ["deep nesting over the limit", "[".repeat(1025)],
    ["100000 open brackets", "[".repeat(100_000)],
    ["deep objects over the limit", `${'{"a":'.repeat(1100)}1${"}".repeat(1100)}`],
    ["deep arguments", req("query-status", `,"arguments":{"x":${"[".repeat(500)}${"]".repeat(500)}}`)],
    ["1 MiB string argument", req("query-status", `,"arguments":{"x":"${"a".repeat(MiB)}"}`)],
    ["10 MB message", req("query-status", `,"arguments":{"x":"${"a".repeat(10_000_000)}"}`)],
    ["10 MB id", req("query-status", `,"id":"${"b".repeat(10_000_000)}"`)],
    [
      "100000 members",
      `{"execute":"query-status","arguments":{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(",")}}}`,
    ],
    ["100000-element array argument", req("query-status", `,"arguments":{"x":[${"0,".repeat(99_999)}0]}`)],
    ["10 MB of whitespace then a request", `${" ".repeat(10_000_000)}${req("query-status", ',"id":"ws"')}`],
  ];
}

function entries(group: string, rows: Row[], fallback: Negotiation = "plain"): HostileInput[] {
  return rows.map(([name, data, negotiate]) => ({
    name,
    group,
    bytes: data,
    negotiate: negotiate ?? fallback,
  }));
}

export function hostileCorpus(): HostileInput[] {
  return [
    ...entries("invalid JSON", invalidJson),
    ...entries("wrong types", wrongTypes),
    ...entries("unknown commands", unknownCommands),
    ...entries("before negotiation", beforeNegotiation),
    ...entries("odd ids", oddIds),
    ...entries("exec-oob misuse", oobMisuse),
    ...entries("invalid UTF-8", invalidUtf8),
    ...entries("huge and deep", hugeAndDeep()),
  ];
}
