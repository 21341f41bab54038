/**
 * Demo mode's containers made outside Proximity: made through the simulator's PVE API as the community
 * helper scripts make them (tags, description, /usr/bin/update and the app's service), plus one by hand.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { parseDescription } from "../../../src/features/apps/helper-scripts/suggest.ts";
import {
  type RunningSimulator,
  seedUnmanagedContainers,
  startSimulator,
} from "../../../src/simulator/index.ts";

setDefaultTimeout(60_000);

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ nodes: 3, speed: 200 });
  await seedUnmanagedContainers(sim);
});
afterAll(async () => {
  await sim.stop();
});

test("two helper-script containers and one made by hand, running", () => {
  const cts = sim.state().containers.sort((a, b) => a.vmid - b.vmid);
  expect(cts.map((c) => [c.vmid, c.node, c.hostname, c.status])).toEqual([
    [900, "pve1", "uptimekuma", "running"],
    [901, "pve2", "jellyfin", "running"],
    [902, "pve1", "fileserver", "running"],
  ]);
  const kuma = cts[0]!;
  expect(String(kuma.config.tags).split(";")).toContain("community-script");
  expect(parseDescription(String(kuma.config.description))).toEqual({
    slug: "uptimekuma",
    app: "Uptime Kuma",
  });
  expect(kuma.files["/usr/bin/update"]?.content).toContain("ProxmoxVE/main/ct/uptimekuma.sh");
  expect(cts[2]!.config.tags).toBeUndefined();
  expect(cts[2]!.files["/usr/bin/update"]).toBeUndefined();
});

test("the helper script's app answers on its port once the container has its address", async () => {
  let ip: string | null = null;
  for (let i = 0; i < 100 && !ip; i++) {
    ip = sim.state().containers.find((c) => c.vmid === 900)!.ip;
    if (!ip) await Bun.sleep(50);
  }
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = await fetch(`http://${ip}:3001/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) await Bun.sleep(50);
  }
  expect(status).toBe(200);
});
