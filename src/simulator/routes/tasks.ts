/** /nodes/{node}/tasks. */
import { bool, type Call, num, str } from "../context.ts";
import { paramFail } from "../errors.ts";
import { type TaskRecord, UPID_RE } from "../tasks.ts";
import { type RouteTable, WithTotal } from "./types.ts";

function findTask(c: Call): TaskRecord {
  const upid = str(c.p, "upid")!;
  if (!UPID_RE.test(upid)) paramFail({ upid: "unable to parse worker upid" });
  const task = c.sim.tasks.get(upid);
  if (!task || task.node !== str(c.p, "node")) paramFail({ upid: "no such task" });
  return task;
}

/** Tokens appear as user "root@pam" plus tokenid "proximity" in task status. */
function splitUser(user: string): { user: string; tokenid?: string } {
  const i = user.indexOf("!");
  return i < 0 ? { user } : { user: user.slice(0, i), tokenid: user.slice(i + 1) };
}

/** What PVE's task status and task list both say of a task, first and in this order. */
function taskIdentity(t: TaskRecord) {
  const { upid, node, pid, pstart, starttime, type, id } = t;
  return { upid, node, pid, pstart, starttime, type, id };
}

export const taskRoutes: RouteTable = {
  "GET /nodes/{node}/tasks/{upid}/status": (c) => {
    const t = findTask(c);
    return {
      ...taskIdentity(t),
      ...splitUser(t.user),
      status: t.status,
      ...(t.status === "stopped" ? { exitstatus: t.exitstatus } : {}),
    };
  },

  "GET /nodes/{node}/tasks/{upid}/log": (c) => {
    const t = findTask(c);
    const start = num(c.p, "start") ?? 0;
    const limit = num(c.p, "limit") ?? 50;
    const lines = t.log.length > 0 ? t.log : ["no content"];
    const slice = limit === 0 ? lines.slice(start) : lines.slice(start, start + limit);
    return new WithTotal(
      slice.map((text, i) => ({ n: start + i + 1, t: text })),
      lines.length,
    );
  },

  "DELETE /nodes/{node}/tasks/{upid}": (c) => {
    const t = findTask(c);
    if (t.status === "running") c.sim.tasks.abort(t.upid);
    return null;
  },

  "GET /nodes/{node}/tasks": (c) => {
    const node = str(c.p, "node")!;
    c.sim.cluster.node(node);
    const source = str(c.p, "source") ?? "archive";
    const vmid = num(c.p, "vmid");
    const type = str(c.p, "typefilter");
    const userfilter = str(c.p, "userfilter");
    const since = num(c.p, "since");
    const until = num(c.p, "until");
    const statusfilter = (str(c.p, "statusfilter") ?? "").split(/[,;\s]+/).filter(Boolean);
    const statusClass = (t: TaskRecord) =>
      t.status === "running"
        ? "running"
        : t.exitstatus === "OK"
          ? "ok"
          : t.exitstatus?.startsWith("WARNINGS")
            ? "warning"
            : "error";
    const all = [...c.sim.tasks.tasks.values()]
      .filter((t) => t.node === node)
      .filter((t) =>
        source === "archive" ? t.status === "stopped" : source === "active" ? t.status === "running" : true,
      )
      .filter((t) => vmid === undefined || t.id === String(vmid))
      .filter((t) => !type || t.type === type)
      .filter((t) => !userfilter || t.user.includes(userfilter))
      .filter((t) => !bool(c.p, "errors") || statusClass(t) === "error")
      .filter((t) => statusfilter.length === 0 || statusfilter.includes(statusClass(t)))
      .filter((t) => since === undefined || t.starttime >= since)
      .filter((t) => until === undefined || t.starttime <= until)
      .sort((a, b) => b.starttime - a.starttime);
    const start = num(c.p, "start") ?? 0;
    const limit = num(c.p, "limit") ?? 50;
    const page = all.slice(start, start + limit).map((t) => ({
      ...taskIdentity(t),
      user: t.user,
      ...(t.endtime !== undefined ? { endtime: t.endtime } : {}),
      status: t.status === "running" ? "RUNNING" : t.exitstatus,
    }));
    return new WithTotal(page, all.length);
  },
};
