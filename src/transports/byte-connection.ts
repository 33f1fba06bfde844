/**
 * One bidirectional byte stream, whatever carries it. QMP is a byte stream even over
 * WebSocket (QEMU treats frames as stream data), so the QMP layers only see chunks.
 * Data that arrives before anyone listens is kept, so no greeting is lost.
 */
import { closeDescriptors } from "./fd-passing.ts";

export interface ByteConnection {
  readonly description: string;
  write(text: string): void;
  /**
   * `descriptors`: those that arrived with this chunk (SCM_RIGHTS, unix sockets only), now owned
   * by the listener, which must close them.
   */
  onData(listener: DataListener): void;
  /** Called once; `error` is set when the stream failed rather than ended. */
  onClose(listener: (error?: Error) => void): void;
  close(): void;
  readonly closed: boolean;
  /** Bytes written but not yet taken by the peer, where the transport can tell (bounds a slow reader). */
  readonly pendingWriteBytes?: number;
  /** Whether `writeWithDescriptors` passes descriptors (a unix socket, with the addon). */
  readonly carriesDescriptors?: boolean;
  /**
   * Writes `text` with `descriptors` attached to its bytes, after everything written before it.
   * Takes the descriptors over: they are closed once sent, or when the connection closes first.
   */
  writeWithDescriptors?(text: string, descriptors: number[]): void;
}

export type DataListener = (chunk: Buffer, descriptors?: number[]) => void;

/** Shared bookkeeping: early-data queue and a single close notification. */
export abstract class BaseConnection implements ByteConnection {
  private dataListener: DataListener | undefined;
  private closeListener: ((error?: Error) => void) | undefined;
  private early: { chunk: Buffer; descriptors: number[] | undefined }[] = [];
  private closeResult: { error?: Error } | undefined;

  constructor(readonly description: string) {}

  abstract write(text: string): void;
  abstract close(): void;

  get closed(): boolean {
    return this.closeResult !== undefined;
  }

  onData(listener: DataListener): void {
    this.dataListener = listener;
    const early = this.early;
    this.early = [];
    for (const { chunk, descriptors } of early) listener(chunk, descriptors);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
    if (this.closeResult) listener(this.closeResult.error);
  }

  protected received(chunk: Buffer, descriptors?: number[]): void {
    if (this.dataListener) this.dataListener(chunk, descriptors);
    else this.early.push({ chunk, descriptors });
  }

  protected ended(error?: Error): void {
    if (this.closeResult) return;
    this.closeResult = error ? { error } : {};
    // Nobody will read what is still queued: its descriptors would outlive the connection.
    for (const { descriptors } of this.early.splice(0)) if (descriptors) closeDescriptors(descriptors);
    this.closeListener?.(error);
  }
}
