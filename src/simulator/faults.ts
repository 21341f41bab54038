/**
 * Fault injection (`/_sim/faults`). A fault matches either an API call by method and PVE path
 * template ("/nodes/{node}/lxc/{vmid}/status/start"), or an SSH command ("ssh:pct exec", or
 * "ssh:docker compose up" meaning those words appear in that order in the in-container argv).
 *
 * Actions:
 * - http_500: the API call fails with PVE's 500 shape and `message`. For SSH: the command exits 1
 *   with `message` on stderr.
 * - task_fail: the call returns its UPID; the task ends with exitstatus = `message`.
 * - delay: the reply (or the SSH command) is held for `delay_ms` real milliseconds (not scaled).
 * - ssh_drop: the SSH channel closes without an exit status.
 * - lose_container: the addressed container disappears before the call is handled (as if deleted
 *   out of band); with path "*" it disappears immediately when the fault is posted.
 * - For path "app:http" (the apps' own HTTP answers), http_500 makes the app answer 500; with `vmid`,
 *   only the app in that container.
 * - http_595 / http_596: pveproxy could not reach the node the call names (AnyEvent::HTTP's pseudo
 *   statuses, reason = `message`, empty body). With `node`, only calls naming that node.
 */
import { z } from "zod";

export const FAULT_ACTIONS = [
  "http_500",
  "http_595",
  "http_596",
  "task_fail",
  "delay",
  "ssh_drop",
  "lose_container",
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export const faultInputSchema = z.object({
  method: z.string().optional(),
  path: z.string().min(1),
  action: z.enum(FAULT_ACTIONS),
  message: z.string().optional(),
  delay_ms: z.number().int().min(0).optional(),
  times: z.number().int().min(1).optional(),
  /** For lose_container with path "*", and for "app:http": which container. */
  vmid: z.number().int().optional(),
  /** Only API calls whose {node} is this node. */
  node: z.string().optional(),
});
export type FaultInput = z.infer<typeof faultInputSchema>;

export interface Fault extends FaultInput {
  id: string;
  hits: number;
}

export class FaultRegistry {
  private faults: Fault[] = [];
  private seq = 0;

  add(input: FaultInput): Fault {
    const fault: Fault = { ...input, id: `fault-${++this.seq}`, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  clearOne(id: string): void {
    this.faults = this.faults.filter((f) => f.id !== id);
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return [...this.faults];
  }

  /** Takes the matching faults for an API call (consuming one use of each). */
  takeForApi(method: string, template: string, node?: string): Fault[] {
    return this.take(
      (f) =>
        !f.path.startsWith("ssh:") &&
        f.path !== "app:http" &&
        (f.path === template || f.path === "*") &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.node || f.node === node),
    );
  }

  /**
   * The first fault for the apps' own HTTP answers (path "app:http"; with `vmid`, only the app in that
   * container), consuming one use.
   */
  takeForApp(vmid: number): Fault | undefined {
    return this.take((f) => f.path === "app:http" && (f.vmid === undefined || f.vmid === vmid))[0];
  }

  /** Takes the matching faults for an SSH command; `argv` is the in-container argv. */
  takeForSsh(argv: string[]): Fault[] {
    return this.take((f) => {
      if (!f.path.startsWith("ssh:")) return false;
      const words = f.path.slice(4).trim().split(/\s+/);
      if (words[0] === "pct" && words[1] === "exec") return words.length === 2;
      return isSubsequence(words, argv);
    });
  }

  private take(pred: (f: Fault) => boolean): Fault[] {
    const hit = this.faults.filter(pred);
    for (const f of hit) {
      f.hits++;
      if (f.times !== undefined && f.hits >= f.times) this.faults = this.faults.filter((x) => x !== f);
    }
    return hit;
  }
}

function isSubsequence(words: string[], argv: string[]): boolean {
  if (words.length === 0 || argv[0] !== words[0]) return false;
  let i = 0;
  for (const a of argv) if (a === words[i]) i++;
  return i >= words.length;
}
