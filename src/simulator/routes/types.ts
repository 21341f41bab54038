import type { Call } from "../context.ts";

/** A handler gets the typed, verified parameters (path values included, as PVE merges them). */
export type Handler = (call: Call) => unknown;

/** A result that also carries `total` in the envelope (task log, task list). */
export class WithTotal {
  constructor(
    readonly data: unknown,
    readonly total: number,
  ) {}
}

export type RouteTable = Record<string, Handler>;
