/**
 * job-change forwards its bandwidths and downtime limit to migrate-set-parameters; numbers a JS
 * number cannot hold (2^53 + 1) must reach QEMU as the client wrote them.
 */
import { describe, expect, it } from "vitest";
import { changeCalls, type MigrationChange } from "../../../adapters/job-facade/verbs.ts";
import { JsonFramer } from "../../../src/qmp/json-framer.ts";
import { stringifyExact } from "../../../src/qmp/number-literal.ts";

function framed(text: string): MigrationChange {
  const [message] = new JsonFramer().push(Buffer.from(text));
  if (!message?.ok) throw new Error(`not framed: ${text}`);
  return message.value as unknown as MigrationChange;
}

describe("changeCalls", () => {
  it("keeps the literals of the numbers it forwards", () => {
    const change = framed(
      '{"id":"m0","type":"migration","max-bandwidth":9007199254740993,"downtime-limit":18446744073709551615}',
    );
    const [call] = changeCalls(change);
    expect(call?.command).toBe("migrate-set-parameters");
    expect(stringifyExact(call?.args)).toBe(
      '{"max-bandwidth":9007199254740993,"downtime-limit":18446744073709551615}',
    );
  });
});
