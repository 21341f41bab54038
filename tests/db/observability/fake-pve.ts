/** A fake PVE API in the test process (no Sentry here), recording the headers each request carried. */
export const TASK_UPID = "UPID:pve1:0019F0A2:0A3C5B11:6650A1B2:vzstart:101:root@pam!proximity:";

export function startFakePve() {
  const requests: { method: string; path: string; headers: Headers }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname.replace(/^\/api2\/json/, "");
      requests.push({ method: req.method, path, headers: req.headers });
      if (path === "/version")
        return Response.json({ data: { version: "8.4.1", release: "8.4", repoid: "abc" } });
      if (req.method === "POST" && path === "/nodes/pve1/lxc/101/status/start")
        return Response.json({ data: TASK_UPID });
      if (path.startsWith("/nodes/pve1/tasks/") && path.endsWith("/status")) {
        return Response.json({
          data: {
            status: "stopped",
            exitstatus: "startup for container '101' failed",
            upid: TASK_UPID,
            node: "pve1",
          },
        });
      }
      if (path.startsWith("/nodes/pve1/tasks/") && path.endsWith("/log")) {
        return Response.json({ data: [{ n: 1, t: "startup for container '101' failed" }] });
      }
      if (req.method === "POST" && path === "/nodes/pve1/lxc/102/status/stop") {
        return Response.json(
          { data: null, message: "CT 102 does not exist on this node\n" },
          { status: 500 },
        );
      }
      return Response.json({ data: null, message: "not found\n" }, { status: 404 });
    },
  });
  return {
    url: `https://127.0.0.1:${server.port}`.replace("https", "http"),
    port: server.port as number,
    requests,
    stop: () => server.stop(true),
  };
}
