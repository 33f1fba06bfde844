/**
 * A byte-level JSON tokenizer that splits input exactly where QEMU's QMP lexer does, so that
 * what counts as one token, a stray byte, or a resynchronisation point matches QEMU. It
 * includes QEMU's extensions (single-quoted strings, `\'` escapes) and its error recovery:
 * after a bad byte it skips input up to a structural character or a control character.
 */

export type TokenType =
  | "lcurly"
  | "rcurly"
  | "lsquare"
  | "rsquare"
  | "colon"
  | "comma"
  | "string"
  | "integer"
  | "float"
  | "keyword"
  | "error";

export interface Token {
  type: TokenType;
  bytes: Buffer;
}

type State =
  | "start"
  | "recovery"
  | "dq"
  | "dqEscape"
  | "sq"
  | "sqEscape"
  | "zero"
  | "sign"
  | "digits"
  | "mantissa"
  | "mantissaDigits"
  | "expE"
  | "expSign"
  | "expDigits"
  | "keyword";

/** Result of one transition: the next state, a finished token, whether the byte was used. */
type Step = { next: State } | { emit: TokenType; consumed: boolean };

const STRUCTURAL: Record<number, TokenType> = {
  123: "lcurly",
  125: "rcurly",
  91: "lsquare",
  93: "rsquare",
  58: "colon",
  44: "comma",
};

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isLower = (b: number) => b >= 0x61 && b <= 0x7a;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
/** Bytes allowed inside a string: no control characters and never 0xFE/0xFF. */
const isStringByte = (b: number) => b >= 0x20 && b <= 0xfd;

/** One shared step object per target state: this runs for every input byte, so no allocation. */
const GO_STEPS = new Map<State, Step>();
function go(state: State): Step {
  let step = GO_STEPS.get(state);
  if (!step) {
    step = { next: state };
    GO_STEPS.set(state, step);
  }
  return step;
}

const TOKEN_TYPES: TokenType[] = [
  "lcurly",
  "rcurly",
  "lsquare",
  "rsquare",
  "colon",
  "comma",
  "string",
  "integer",
  "float",
  "keyword",
  "error",
];
const EMIT_CONSUMED = new Map(TOKEN_TYPES.map((type) => [type, { emit: type, consumed: true } as Step]));
const EMIT_LOOKAHEAD = new Map(TOKEN_TYPES.map((type) => [type, { emit: type, consumed: false } as Step]));
function emit(type: TokenType, consumed: boolean): Step {
  return (consumed ? EMIT_CONSUMED : EMIT_LOOKAHEAD).get(type) as Step;
}

const ERROR: Step = emit("error", true);

const SINGLE_BYTE_TOKENS = new Map<TokenType, Buffer>(
  Object.entries(STRUCTURAL).map(([byte, type]) => [type, Buffer.from([Number(byte)])]),
);

function fromStart(b: number): Step | "skip" {
  const structural = STRUCTURAL[b];
  if (structural) return emit(structural, true);
  if (b === 0x22) return go("dq");
  if (b === 0x27) return go("sq");
  if (b === 0x30) return go("zero");
  if (b >= 0x31 && b <= 0x39) return go("digits");
  if (b === 0x2d) return go("sign");
  if (isLower(b)) return go("keyword");
  if (isSpace(b)) return "skip";
  return ERROR;
}

function inString(b: number, quote: number, self: State, escaped: State): Step {
  if (b === quote) return emit("string", true);
  if (b === 0x5c) return go(escaped);
  return isStringByte(b) ? go(self) : ERROR;
}

/** Number and keyword states; a byte that ends a token is looked at again from "start". */
function inNumberOrKeyword(state: State, b: number): Step {
  switch (state) {
    case "zero":
      if (isDigit(b)) return ERROR;
      return b === 0x2e ? go("mantissa") : emit("integer", false);
    case "sign":
      if (b === 0x30) return go("zero");
      return b >= 0x31 && b <= 0x39 ? go("digits") : ERROR;
    case "digits":
      if (isDigit(b)) return go("digits");
      if (b === 0x65 || b === 0x45) return go("expE");
      return b === 0x2e ? go("mantissa") : emit("integer", false);
    case "mantissa":
      return isDigit(b) ? go("mantissaDigits") : ERROR;
    case "mantissaDigits":
      if (isDigit(b)) return go("mantissaDigits");
      return b === 0x65 || b === 0x45 ? go("expE") : emit("float", false);
    case "expE":
      if (b === 0x2b || b === 0x2d) return go("expSign");
      return isDigit(b) ? go("expDigits") : ERROR;
    case "expSign":
      return isDigit(b) ? go("expDigits") : ERROR;
    case "expDigits":
      return isDigit(b) ? go("expDigits") : emit("float", false);
    default:
      return isLower(b) ? go("keyword") : emit("keyword", false);
  }
}

/** Structural characters and control characters (except tab) end error recovery. */
function endsRecovery(b: number): boolean {
  return (b < 0x20 && b !== 0x09) || b >= 0xfe || STRUCTURAL[b] !== undefined;
}

export class JsonLexer {
  private state: State = "start";
  /** Bytes of the current token that arrived in earlier chunks. */
  private carry: Buffer[] = [];
  private carryLength = 0;

  /**
   * @param onToken receives every finished token (including "error" tokens).
   * @param maxTokenBytes a token growing past this is cut off and reported as "oversized".
   */
  constructor(
    private readonly onToken: (token: Token) => void,
    private readonly onOversized: () => void,
    private readonly maxTokenBytes: number,
  ) {}

  feed(chunk: Buffer): void {
    let tokenStart = 0;
    let i = 0;
    while (i < chunk.length) {
      const b = chunk[i] as number;
      if (this.state === "recovery") {
        if (endsRecovery(b)) this.state = "start";
        else i++;
        tokenStart = i;
        continue;
      }
      if (this.state === "dq" || this.state === "sq") {
        const after = this.skipStringBody(chunk, i);
        if (after > i) {
          i = after;
          continue;
        }
      }
      const step = this.step(b);
      if (step === "skip") {
        i++;
        tokenStart = i;
        continue;
      }
      if ("next" in step) {
        this.state = step.next;
        i++;
        continue;
      }
      const end = step.consumed ? i + 1 : i;
      const single = SINGLE_BYTE_TOKENS.get(step.emit);
      // Structural tokens are one known byte: share a buffer instead of slicing (slicing is costly).
      this.finish(step.emit, single && this.carryLength === 0 ? single : chunk.subarray(tokenStart, end));
      i = end;
      tokenStart = i;
    }
    this.keepPartial(chunk.subarray(tokenStart));
  }

  /** Plain string bytes cannot end or change anything: skip them in one tight loop. */
  private skipStringBody(chunk: Buffer, from: number): number {
    const quote = this.state === "dq" ? 0x22 : 0x27;
    let i = from;
    while (i < chunk.length) {
      const b = chunk[i] as number;
      if (b === quote || b === 0x5c || !isStringByte(b)) break;
      i++;
    }
    return i;
  }

  /** Between tokens, holding no bytes. */
  get idle(): boolean {
    return this.state === "start" && this.carryLength === 0;
  }

  /** Forget any partial token, as QEMU does when a connection closes. */
  reset(): void {
    this.state = "start";
    this.carry = [];
    this.carryLength = 0;
  }

  private step(b: number): Step | "skip" {
    switch (this.state) {
      case "start":
        return fromStart(b);
      case "dq":
        return inString(b, 0x22, "dq", "dqEscape");
      case "sq":
        return inString(b, 0x27, "sq", "sqEscape");
      case "dqEscape":
        return isStringByte(b) ? go("dq") : ERROR;
      case "sqEscape":
        return isStringByte(b) ? go("sq") : ERROR;
      default:
        return inNumberOrKeyword(this.state, b);
    }
  }

  private finish(type: TokenType, tail: Buffer): void {
    const bytes = this.carryLength === 0 ? tail : Buffer.concat([...this.carry, tail]);
    this.carry = [];
    this.carryLength = 0;
    this.state = type === "error" ? "recovery" : "start";
    this.onToken({ type, bytes });
  }

  private keepPartial(rest: Buffer): void {
    if (this.state === "start" || this.state === "recovery" || rest.length === 0) return;
    // Copy: the caller may reuse its chunk buffer.
    this.carry.push(Buffer.from(rest));
    this.carryLength += rest.length;
    if (this.carryLength > this.maxTokenBytes) {
      this.reset();
      this.onOversized();
    }
  }
}
