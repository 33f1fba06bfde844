/**
 * Where the wall time of a short interval went: on a core (CPU time of the whole process, from
 * getrusage through process.cpuUsage), runnable but waiting for a core (the main thread's — the
 * one that runs the JS — time on the run queue of the shared machine, from
 * /proc/thread-self/schedstat's second field, with one pread per stamp), in V8 GC pauses (from
 * a PerformanceObserver; part of the CPU time), and the rest asleep (waiting for a socket).
 * schedstat's first field (time on CPU) is not used: for the running thread it is only brought
 * up to date at a context switch or a tick, so it reads 0 for a busy interval of a few ms.
 * Without /proc (not Linux) the run-queue wait reads 0.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { type PerformanceEntry, PerformanceObserver, performance } from "node:perf_hooks";

export interface ThreadStamp {
  /** performance.now(), ms. */
  at: number;
  onCpuNs: number;
  runQueueNs: number;
}

export interface IntervalSplit {
  wall_us: number;
  on_cpu_us: number;
  run_queue_wait_us: number;
  /** V8 GC pauses overlapping the interval (part of on_cpu). */
  gc_us: number;
  /** The rest: the thread slept, i.e. waited for input (a socket, QEMU). */
  asleep_us: number;
}

export class ThreadClock {
  private readonly fd: number | undefined;
  private readonly buffer = Buffer.alloc(128);
  private readonly gcPauses: { start: number; end: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceEntry[])
      this.gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });

  constructor() {
    try {
      this.fd = openSync("/proc/thread-self/schedstat", "r");
    } catch {
      this.fd = undefined;
    }
    this.observer.observe({ entryTypes: ["gc"] });
  }

  get available(): boolean {
    return this.fd !== undefined;
  }

  stamp(): ThreadStamp {
    const at = performance.now();
    const cpu = process.cpuUsage();
    const onCpuNs = (cpu.user + cpu.system) * 1000;
    if (this.fd === undefined) return { at, onCpuNs, runQueueNs: 0 };
    const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    const runQueue = this.buffer.toString("latin1", 0, length).split(" ")[1] ?? "0";
    return { at, onCpuNs, runQueueNs: Number(runQueue) };
  }

  split(from: ThreadStamp, to: ThreadStamp): IntervalSplit {
    const wall = (to.at - from.at) * 1000;
    const onCpu = (to.onCpuNs - from.onCpuNs) / 1000;
    const runQueue = (to.runQueueNs - from.runQueueNs) / 1000;
    let gc = 0;
    for (const pause of this.gcPauses)
      gc += Math.max(0, Math.min(pause.end, to.at) - Math.max(pause.start, from.at));
    const r = (us: number) => Math.round(us);
    return {
      wall_us: r(wall),
      on_cpu_us: r(onCpu),
      run_queue_wait_us: r(runQueue),
      gc_us: r(gc * 1000),
      asleep_us: r(Math.max(0, wall - onCpu - runQueue)),
    };
  }

  close(): void {
    this.observer.disconnect();
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
