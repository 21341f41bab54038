/**
 * pct exec over real SSH sockets against two fake PVE nodes (127.0.0.10 and 127.0.0.11, same port):
 * node routing, byte-exact stdin, hostile data that must stay data, exit codes, host-key pinning,
 * pooling, drops and timeouts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  MemoryHostKeyStore,
  type PctExecInfo,
  PctExecutor,
  type PctExecutorOptions,
} from "../../../src/proxmox/ssh.ts";
import { caught } from "./helpers/caught.ts";
import { parseStrictPctExec, startFakeNode } from "./helpers/fake-node-ssh.ts";

const PASSWORD = "node-root-pw";
let pve1: Awaited<ReturnType<typeof startFakeNode>>;
let pve2: Awaited<ReturnType<typeof startFakeNode>>;
const executors: PctExecutor[] = [];

beforeAll(async () => {
  pve1 = await startFakeNode({ host: "127.0.0.10", password: PASSWORD });
  pve2 = await startFakeNode({ host: "127.0.0.11", port: pve1.port, password: PASSWORD });
});
afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
  await Promise.all([pve1.stop(), pve2.stop()]);
});

function executor(overrides: Partial<PctExecutorOptions> = {}) {
  const events: PctExecInfo[] = [];
  const hostKeys = new MemoryHostKeyStore();
  const ex = new PctExecutor({
    host: "127.0.0.10",
    port: pve1.port,
    username: "root",
    password: PASSWORD,
    hostKeys,
    resolveNode: (node) => ({ pve1: "127.0.0.10", pve2: "127.0.0.11" })[node],
    onExec: (e) => events.push(e),
    ...overrides,
  });
  executors.push(ex);
  return { ex, events, hostKeys };
}

describe("strict parser used by the fake node", () => {
  test("accepts only single-quoted words", () => {
    expect(parseStrictPctExec(`pct exec 100 --keep-env 0 -- 'tee' '/opt/it'\\''s'`)).toEqual({
      vmid: 100,
      argv: ["tee", "/opt/it's"],
    });
    expect(parseStrictPctExec("pct exec 100 -- tee /x")).toBeUndefined();
    expect(parseStrictPctExec("pct exec 100 -- 'a'; reboot")).toBeUndefined();
  });
});

describe("PctExecutor", () => {
  test("runs on the node that hosts the container, with stdin delivered byte-exact", async () => {
    const { ex, events } = await executor();
    const binary = new Uint8Array(256).map((_, i) => i);
    const r = await ex.pctExec("pve2", 101, ["tee", "/opt/app/blob.bin"], { stdin: binary });
    expect(r.exitCode).toBe(0);
    expect(new Uint8Array(pve2.files.get("101:/opt/app/blob.bin")!)).toEqual(binary);
    expect(pve1.files.has("101:/opt/app/blob.bin")).toBe(false);
    expect(events.at(-1)).toMatchObject({ node: "pve2", vmid: 101, command: "tee", exitCode: 0 });
  });

  test("hostile values travel as file content, never as part of the command line", async () => {
    const { ex, events } = await executor();
    const hostile =
      `PASSWORD='a"b'$(touch /tmp/pwned)\`id\`\nSECOND=line; rm -rf / && echo \\$HOME $` + "{X}\n";
    const write = await ex.pctExec("pve1", 102, ["tee", "/opt/app/.env"], { stdin: hostile });
    expect(write.exitCode).toBe(0);
    expect(pve1.files.get("102:/opt/app/.env")!.toString("utf8")).toBe(hostile);
    const read = await ex.pctExec("pve1", 102, ["cat", "/opt/app/.env"]);
    expect(read.stdout).toBe(hostile);
    for (const line of pve1.commands) {
      expect(line).not.toContain("touch");
      expect(line).not.toContain("PASSWORD");
      expect(parseStrictPctExec(line)).toBeDefined();
    }
    expect(JSON.stringify(events)).not.toContain("PASSWORD");
  });

  test("paths with quotes are quoted correctly", async () => {
    const { ex } = await executor();
    await ex.pctExec("pve1", 103, ["tee", "/opt/it's $(here)"], { stdin: "x" });
    expect(pve1.files.get("103:/opt/it's $(here)")!.toString()).toBe("x");
  });

  test("exit codes and stderr are returned, not thrown", async () => {
    const { ex } = await executor();
    expect((await ex.pctExec("pve1", 104, ["test", "-f", "/nope"])).exitCode).toBe(1);
    const missing = await ex.pctExec("pve1", 104, ["frobnicate"]);
    expect(missing).toEqual({ exitCode: 127, stdout: "", stderr: "sh: frobnicate: not found\n" });
  });

  test("invalid vmids and argv are refused before connecting", async () => {
    const { ex } = await executor();
    const before = pve1.connections();
    await expect(ex.pctExec("pve1", 99, ["true"])).rejects.toThrow(/vmid/);
    await expect(ex.pctExec("pve1", 100, ["echo", "a\nb"])).rejects.toThrow(/line break/);
    expect(pve1.connections()).toBe(before);
  });

  test("one pooled connection per node address", async () => {
    const { ex } = await executor();
    const before = pve1.connections();
    await Promise.all([1, 2, 3].map((i) => ex.pctExec("pve1", 110 + i, ["test", "-f", "/x"])));
    await ex.pctExec("pve1", 114, ["test", "-f", "/x"]);
    expect(pve1.connections() - before).toBe(1);
  });

  test("falls back to the configured host when the resolver does not know the node", async () => {
    const { ex } = await executor({ resolveNode: async () => undefined });
    await ex.pctExec("pve9", 120, ["tee", "/fallback"], { stdin: "f" });
    expect(pve1.files.get("120:/fallback")!.toString()).toBe("f");
  });

  test("host keys are pinned on first use and a different key is refused", async () => {
    const { ex, hostKeys } = await executor();
    await ex.pctExec("pve1", 130, ["test", "-f", "/x"]);
    expect(await hostKeys.get(`[127.0.0.10]:${pve1.port}`)).toBe(pve1.fingerprint);

    const pinnedWrong = new MemoryHostKeyStore();
    await pinnedWrong.set(`[127.0.0.11]:${pve1.port}`, pve1.fingerprint); // pve2 has another key
    const { ex: ex2, events } = await executor({ hostKeys: pinnedWrong });
    const err = await caught(ex2.pctExec("pve2", 131, ["test", "-f", "/x"]));
    expect(err.kind).toBe("host_key");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(pve2.fingerprint);
    expect(err.node).toBe("pve2");
    expect(events.at(-1)).toMatchObject({ exitCode: null, errorKind: "host_key" });
    expect(await pinnedWrong.get(`[127.0.0.11]:${pve1.port}`)).toBe(pve1.fingerprint);
  });

  test("wrong credentials are kind auth", async () => {
    const { ex } = await executor({ password: "wrong" });
    expect((await caught(ex.pctExec("pve1", 140, ["true"]))).kind).toBe("auth");
  });

  test("a dropped connection surfaces as retryable ssh_drop, and the next call reconnects", async () => {
    const { ex } = await executor();
    await ex.pctExec("pve1", 150, ["test", "-f", "/x"]);
    const before = pve1.connections();
    pve1.dropNextCommand();
    const err = await caught(ex.pctExec("pve1", 150, ["tee", "/y"], { stdin: "data" }));
    expect(err.kind).toBe("ssh_drop");
    expect(err.retryable).toBe(true);
    expect(err.code).toBe("PROXMOX_UNAVAILABLE");
    expect((await ex.pctExec("pve1", 150, ["test", "-f", "/x"])).exitCode).toBe(1);
    expect(pve1.connections()).toBe(before + 1);
  });

  test("a command that does not finish in time is kind timeout", async () => {
    const { ex, events } = await executor();
    const err = await caught(ex.pctExec("pve1", 160, ["sleep", "1000"], { timeoutMs: 100 }));
    expect(err.kind).toBe("timeout");
    expect(events.at(-1)).toMatchObject({ command: "sleep", exitCode: null, errorKind: "timeout" });
  });

  test("an unreachable node is kind unreachable", async () => {
    const { ex } = await executor({ resolveNode: () => "127.0.0.12" });
    expect((await caught(ex.pctExec("pve3", 170, ["true"]))).kind).toBe("unreachable");
  });
});
