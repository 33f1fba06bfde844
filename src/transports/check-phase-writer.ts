/**
 * Holds writes until the event loop's check phase, after its poll phase has read what the peer
 * sent. For a WebSocket connected to QEMU: a write that fails (the peer exited) closes the
 * connection with whatever was still unread, and a timer runs before the reads of its loop turn,
 * so a poll sent from a timer could cost the last event QEMU wrote before it went (the socket
 * transport avoids the loss outright, socket-connection.ts; the WebSocket library does not let
 * us, so this narrows the window). Writes queued in one turn leave together, in order.
 */
export class CheckPhaseWriter {
  private queued: string[] = [];
  private queuedLength = 0;

  constructor(private readonly send: (text: string) => void) {}

  write(text: string): void {
    this.queued.push(text);
    this.queuedLength += text.length;
    if (this.queued.length === 1) setImmediate(() => this.flush());
  }

  /** Characters waiting for the check phase. */
  get pending(): number {
    return this.queuedLength;
  }

  /** Sends what is queued now (before a close). */
  flush(): void {
    if (this.queued.length === 0) return;
    const text = this.queued.join("");
    this.queued = [];
    this.queuedLength = 0;
    this.send(text);
  }
}
