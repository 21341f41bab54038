/**
 * PVE worker tasks: UPIDs in the real format, `running` → `stopped` with an exit status, and a log
 * whose last line is `TASK OK` / `TASK ERROR: ...`. The HTTP call returns the UPID at once (the real
 * server forks the worker); the work runs in the background on simulated time.
 */
import type { Rng, SimClock } from "./clock.ts";
import { InjectedFailure } from "./errors.ts";

export interface TaskRecord {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  status: "running" | "stopped";
  exitstatus?: string;
  endtime?: number;
  log: string[];
  /** Resolves when the worker has finished (tests and chained workers await it). */
  done: Promise<void>;
}

export interface TaskContext {
  task: TaskRecord;
  log(line: string): void;
  /** Logs `WARN: line`; a task with warnings ends with exit status "WARNINGS: n". */
  warn(line: string): void;
  /** Spends simulated time; fails here if a fault made the task fail or the task was stopped. */
  work(ms: number): Promise<void>;
}

export interface StartTaskOptions {
  node: string;
  type: string;
  id: string;
  user: string;
  /** From a `task_fail` fault: the task ends with this as its exit status. */
  injectedFailure?: string;
  /** Runs after an injected failure or an error, to undo partial work (a failed create leaves nothing). */
  worker: (ctx: TaskContext) => Promise<void>;
  onError?: (message: string) => void | Promise<void>;
}

/** The UPID layout PVE itself decodes (PVE::Tools::upid_decode). */
export const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");

export class TaskManager {
  readonly tasks = new Map<string, TaskRecord>();
  private readonly aborted = new Set<string>();

  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
    private readonly nodeBootedAt: (node: string) => number,
  ) {}

  start(opts: StartTaskOptions): TaskRecord {
    const starttime = this.clock.now();
    const pid = this.rng.int(1000, 4_000_000);
    // pstart is the worker's start time in clock ticks (1/100 s) since node boot.
    const pstart = Math.max(1, (starttime - this.nodeBootedAt(opts.node)) * 100 + this.rng.int(0, 99));
    const upid = `UPID:${opts.node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${opts.type}:${opts.id}:${opts.user}:`;
    let resolveDone!: () => void;
    let warnings = 0;
    const task: TaskRecord = {
      upid,
      node: opts.node,
      pid,
      pstart,
      starttime,
      type: opts.type,
      id: opts.id,
      user: opts.user,
      status: "running",
      log: [],
      done: new Promise((r) => {
        resolveDone = r;
      }),
    };
    this.tasks.set(upid, task);
    const ctx: TaskContext = {
      task,
      log: (line) => task.log.push(line),
      warn: (line) => {
        warnings++;
        task.log.push(`WARN: ${line}`);
      },
      work: async (ms) => {
        await this.clock.wait(ms);
        if (this.aborted.has(upid)) throw new Error("received interrupt");
        if (opts.injectedFailure !== undefined) throw new InjectedFailure(opts.injectedFailure);
      },
    };
    // Start on the next tick so the HTTP reply (the UPID) goes out first, as with a forked worker.
    setTimeout(async () => {
      try {
        await opts.worker(ctx);
        this.finish(task, warnings > 0 ? `WARNINGS: ${warnings}` : "OK");
      } catch (e) {
        const message = (e as Error).message.replace(/\n+$/, "");
        try {
          await opts.onError?.(message);
        } catch {
          // Cleanup failures must not mask the task's own error.
        }
        this.finish(task, message);
      }
      resolveDone();
    }, 0);
    return task;
  }

  private finish(task: TaskRecord, exitstatus: string): void {
    task.log.push(
      exitstatus === "OK"
        ? "TASK OK"
        : exitstatus.startsWith("WARNINGS: ")
          ? `TASK ${exitstatus}`
          : `TASK ERROR: ${exitstatus}`,
    );
    // upid_read_status turns newlines of a multi-line error into spaces.
    task.exitstatus = exitstatus.replace(/\n/g, " ");
    task.status = "stopped";
    task.endtime = this.clock.now();
  }

  get(upid: string): TaskRecord | undefined {
    return this.tasks.get(upid);
  }

  abort(upid: string): void {
    this.aborted.add(upid);
  }
}
