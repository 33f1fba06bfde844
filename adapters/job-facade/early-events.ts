/**
 * What arrives before anyone is there to hear it (issue 16, decision 0008). QEMU started with
 * `-qmp …,server=on,wait=on` runs only once its first monitor client connects, so that client
 * sees every event from the start. A proxy is that first client, long before its own first
 * client comes; the proxy therefore holds the events of that time and hands them on when its
 * first client has negotiated. After that first hand-off nothing is held again: a client that
 * connects later sees, as on QEMU, only what happens from then on.
 *
 * The hold is bounded. Beyond `limit` the oldest event goes: the first client then sees an
 * unbroken stream, the one a client connected at the oldest kept event would have seen.
 */

/** Far above what QEMU emits while a stack starts; a proxy nobody connects to holds at most this. */
export const EARLY_EVENT_LIMIT = 1000;

export class EarlyEvents<T> {
  private held: T[] | undefined = [];
  private droppedCount = 0;

  constructor(readonly limit: number = EARLY_EVENT_LIMIT) {}

  /** Whether events are still held (nobody has been handed them yet). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** How many held events were let go because the hold was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Keeps `item` while holding and says so; false once the hold is over (deliver it live). */
  hold(item: T): boolean {
    if (this.held === undefined) return false;
    this.held.push(item);
    if (this.held.length > this.limit) {
      this.held.shift();
      this.droppedCount++;
    }
    return true;
  }

  /** Ends the hold for good; returns what it kept, oldest first. */
  release(): T[] {
    const held = this.held ?? [];
    this.held = undefined;
    return held;
  }
}
