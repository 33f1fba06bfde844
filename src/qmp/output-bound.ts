/**
 * Decides when a client has stopped reading. Unread output beyond `limit` marks a slow reader,
 * except that a message larger than the limit (a reply echoing a 10 MB id) is allowed on top of
 * it while it drains: a client that reads must never be cut off because of the size of one reply
 * it asked for. So a slow client costs at most the limit plus its largest unread message.
 */

interface BigMessage {
  /** Offset just past the message in everything written to this client. */
  end: number;
  size: number;
}

export class OutputBound {
  private written = 0;
  /** Unread messages large enough to matter against the limit, oldest first. */
  private big: BigMessage[] = [];

  constructor(readonly limit: number) {}

  /**
   * Records a message of `size` bytes just written; `pending` is what the transport still holds
   * after it. Returns whether the client is over its bound.
   */
  exceeded(size: number, pending: number): boolean {
    this.written += size;
    const taken = this.written - pending;
    while (this.big.length > 0 && (this.big[0] as BigMessage).end <= taken) this.big.shift();
    // Smaller messages are not tracked: they can only add a sixteenth of the limit each.
    if (size > this.limit / 16) this.big.push({ end: this.written, size });
    return pending > this.limit + this.largestUnread();
  }

  private largestUnread(): number {
    let largest = 0;
    for (const message of this.big) largest = Math.max(largest, message.size);
    return largest;
  }
}
