/**
 * What a node's root shell does with an SSH exec request: only `pct exec <vmid> -- <argv...>` is
 * supported (pct checks the config exists on THIS node and that the CT runs, then
 * lxc-attach execs argv). Every command reaching a container is recorded for tests.
 */
import type { ExecResult } from "../compose.ts";
import type { Sim } from "../context.ts";
import type { CommandRecord } from "../guest.ts";
import { debVersionCompare } from "../version.ts";
import { needsStdin, runInGuest } from "./container-commands.ts";
import { parseCommandList, type ShellSyntaxError } from "./shell-words.ts";

export type NodeExecOutcome = ExecResult | { drop: true };

export interface NodeExecInput {
  sim: Sim;
  node: string;
  command: string;
  /** The SSH login: `pct` needs root (directly, or through `sudo -n` with a NOPASSWD rule). */
  user: string;
  /** Resolves with all of stdin once the client sends EOF. */
  stdin: () => Promise<Uint8Array>;
}

const fail = (stderr: string, code: number): ExecResult => ({ code, stdout: "", stderr: `${stderr}\n` });

export async function runNodeCommand(input: NodeExecInput): Promise<NodeExecOutcome> {
  let list: ReturnType<typeof parseCommandList>;
  try {
    list = parseCommandList(input.command);
  } catch (e) {
    return fail(`bash: -c: line 1: ${(e as ShellSyntaxError).message}`, 2);
  }
  let last: NodeExecOutcome = { code: 0, stdout: "", stderr: "" };
  let stdout = "";
  let stderr = "";
  for (const { argv, op } of list.commands) {
    if ("drop" in last) return last;
    if (op === "&&" && last.code !== 0) continue;
    if (op === "||" && last.code === 0) continue;
    last = await runOne(input, argv);
    if ("drop" in last) return last;
    stdout += last.stdout;
    stderr += last.stderr;
  }
  if ("drop" in last) return last;
  return { code: last.code, stdout, stderr };
}

async function runOne(input: NodeExecInput, rawArgv: string[]): Promise<NodeExecOutcome> {
  const { sim, node } = input;
  let argv = rawArgv;
  let asRoot = input.user === "root";
  if (argv[0] === "sudo") {
    const rest = argv.slice(1);
    const nonInteractive = rest[0] === "-n";
    argv = nonInteractive ? rest.slice(1) : rest;
    if (!asRoot) {
      if (!sim.sshUsers.get(input.user)?.sudo) {
        return nonInteractive
          ? fail("sudo: a password is required", 1)
          : fail(
              "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper",
              1,
            );
      }
      asRoot = true;
    }
  }
  if (argv[0] !== "pct") return fail(`bash: line 1: ${argv[0]}: command not found`, 127);
  // PVE's CLI tools refuse anyone but root (PVE::CLIHandler setup_default_cli_env).
  if (!asRoot) return fail("please run as root", 255);
  if (argv[1] === "list") return pctList(sim, node);
  if (argv[1] !== "exec") {
    return fail(`ERROR: unknown command 'pct ${argv[1] ?? ""}'\nUSAGE: pct <COMMAND> [ARGS] [OPTIONS]`, 255);
  }
  const vmidText = argv[2];
  if (vmidText === undefined) {
    return fail("400 not enough arguments\npct exec <vmid> [<extra-args>] [OPTIONS]", 255);
  }
  if (!/^\d+$/.test(vmidText)) {
    return fail(
      `400 Parameter verification failed.\nvmid: type check ('integer') failed - got '${vmidText}'\npct exec <vmid> [<extra-args>] [OPTIONS]`,
      255,
    );
  }
  const vmid = Number(vmidText);
  let rest = argv.slice(3);
  if (rest[0] === "--keep-env") rest = rest.slice(2);
  if (rest[0] === "--") rest = rest.slice(1);
  const inner = rest;

  for (const fault of sim.faults.takeForSsh(inner)) {
    if (fault.action === "delay") await new Promise((r) => setTimeout(r, fault.delay_ms ?? 1000));
    if (fault.action === "ssh_drop") return { drop: true };
    if (fault.action === "lose_container") {
      const ct = sim.cluster.containers.get(vmid);
      if (ct) sim.cluster.destroy(ct);
    }
    if (fault.action === "http_500" || fault.action === "task_fail") {
      return fail(fault.message ?? "simulated failure", 1);
    }
  }

  const ct = sim.cluster.containers.get(vmid);
  // load_config fails after open() set errno ENOENT, and Perl's die exits with errno: 2.
  if (!ct || ct.node !== node)
    return fail(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`, 2);
  if (ct.status !== "running") return fail(`container '${vmid}' not running!`, 255);
  if (inner.length === 0) return fail("missing command", 255);

  const record: CommandRecord = {
    argv: [...inner],
    command: input.command,
    hasStdin: false,
    exitCode: null,
    at: new Date(sim.clock.nowMs()).toISOString(),
  };
  ct.guest.commands.push(record);
  const consumesStdin = needsStdin(inner);
  let stdinBytes: Uint8Array | undefined;
  const result = await runInGuest(
    {
      ct,
      stdin: async () => {
        stdinBytes ??= await input.stdin();
        return stdinBytes;
      },
      wait: (ms) => sim.clock.wait(ms),
      unixSocket: (path) => sim.caddy?.socketFor(ct, path),
      caddyTarget: (socket) => sim.caddy?.addressOf(socket),
      nodeLxcPveFixed: debVersionCompare(sim.cluster.node(node).packages["lxc-pve"] ?? "0", "6.0.5-2") >= 0,
    },
    inner,
  );
  if (consumesStdin && stdinBytes) {
    record.hasStdin = stdinBytes.length > 0;
    record.stdin = new TextDecoder().decode(stdinBytes);
  }
  record.exitCode = result.code;
  return result;
}

/** `pct list`: the containers of this node, as the CLI prints them. */
function pctList(sim: Sim, node: string): ExecResult {
  const rows = [...sim.cluster.containers.values()]
    .filter((ct) => ct.node === node)
    .sort((a, b) => a.vmid - b.vmid)
    .map(
      (ct) =>
        `${String(ct.vmid).padEnd(10)} ${ct.status.padEnd(10)} ${(ct.config.lock ? String(ct.config.lock) : "").padEnd(10)} ${ct.config.hostname ?? ""}`,
    );
  return {
    code: 0,
    stdout: `VMID       Status     Lock       Name\n${rows.map((r) => `${r}\n`).join("")}`,
    stderr: "",
  };
}
