import { describe, expect, it } from "vitest";
import { EventOrder } from "../../../adapters/legacy-facade/event-order.ts";

describe("EventOrder", () => {
  it("passes events at once when the backend announced no pending status", () => {
    const sent: string[] = [];
    const order = new EventOrder((e) => sent.push(e.event));
    order.pass({ event: "STOP" });
    expect(sent).toEqual(["STOP"]);
  });

  it("holds an event QEMU sent after a status until that status is told", () => {
    const sent: string[] = [];
    const order = new EventOrder((e) => sent.push(e.event));
    order.said("postcopy-active");
    order.pass({ event: "STOP" });
    expect(sent).toEqual([]);
    sent.push("MIGRATION postcopy-active");
    order.told("postcopy-active", false);
    expect(sent).toEqual(["MIGRATION postcopy-active", "STOP"]);
  });

  it("releases an event between two statuses after the first, before the second", () => {
    const sent: string[] = [];
    const order = new EventOrder((e) => sent.push(e.event));
    order.said("cancelling");
    order.pass({ event: "RESUME" });
    order.said("cancelled");
    order.pass({ event: "SHUTDOWN" });
    order.told("cancelling", false);
    expect(sent).toEqual(["RESUME"]);
    order.told("cancelled", true);
    expect(sent).toEqual(["RESUME", "SHUTDOWN"]);
  });
});
