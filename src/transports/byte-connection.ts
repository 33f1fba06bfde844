/**
 * One bidirectional byte stream, whatever carries it. QMP is a byte stream even over
 * WebSocket (QEMU treats frames as stream data), so the QMP layers only see chunks.
 * Data that arrives before anyone listens is kept, so no greeting is lost.
 */
export interface ByteConnection {
  readonly description: string;
  write(text: string): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once; `error` is set when the stream failed rather than ended. */
  onClose(listener: (error?: Error) => void): void;
  close(): void;
  readonly closed: boolean;
  /** Bytes written but not yet taken by the peer, where the transport can tell (bounds a slow reader). */
  readonly pendingWriteBytes?: number;
}

/** Shared bookkeeping: early-data queue and a single close notification. */
export abstract class BaseConnection implements ByteConnection {
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private closeListener: ((error?: Error) => void) | undefined;
  private early: Buffer[] = [];
  private closeResult: { error?: Error } | undefined;

  constructor(readonly description: string) {}

  abstract write(text: string): void;
  abstract close(): void;

  get closed(): boolean {
    return this.closeResult !== undefined;
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListener = listener;
    const early = this.early;
    this.early = [];
    for (const chunk of early) listener(chunk);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
    if (this.closeResult) listener(this.closeResult.error);
  }

  protected received(chunk: Buffer): void {
    if (this.dataListener) this.dataListener(chunk);
    else this.early.push(chunk);
  }

  protected ended(error?: Error): void {
    if (this.closeResult) return;
    this.closeResult = error ? { error } : {};
    this.closeListener?.(error);
  }
}
