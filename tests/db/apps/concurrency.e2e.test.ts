/** Many deploys at once on a small cluster: distinct VMIDs, capacity respected, nothing leaked. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { deploy, expectContainersMatch, settled, sharedWorld } from "../../helpers/sim.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const w = sharedWorld({ nodes: 3 });

describe("concurrency", () => {
  test("20 deploys at once on 3 nodes: distinct VMIDs, all running or cleanly rejected for capacity, no leak", async () => {
    // Large enough that the cluster cannot hold all 20: some must be refused for capacity.
    const started = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        deploy(w, {
          catalog_id: "it-tools",
          hostname: `many-${i}`,
          resources: { memory_mb: 8192, disk_gb: 8 },
        }),
      ),
    );
    expect(started.every((s) => s.status === 202)).toBe(true);
    const apps = await Promise.all(started.map((s) => settled(w, s.app.id, 60_000)));
    const running = apps.filter((a) => a!.status === "running");
    const rejected = apps.filter((a) => a!.status === "error");
    expect(running.length + rejected.length).toBe(20);
    for (const a of rejected) expect(a!.statusReason).toMatch(/No online node has 8192 MiB of memory/);
    const vmids = running.map((a) => a!.vmid);
    expect(new Set(vmids).size).toBe(running.length);
    expect(running.length).toBeGreaterThan(0);
    // The nodes were never over-committed.
    const state = w.sim.state() as unknown as { nodes: { name: string; memory: number }[] };
    for (const node of state.nodes) {
      const committed = running
        .filter((a) => a!.node === node.name)
        .reduce((s, a) => s + a!.resources.memory_mb, 0);
      expect(committed * 1024 * 1024).toBeLessThanOrEqual(node.memory);
    }
    await expectContainersMatch(w);
    console.log(`20 concurrent deploys: ${running.length} running, ${rejected.length} refused for capacity`);
  }, 70_000); // about 3× the 22 s it took alone on the 2-core machine
});
