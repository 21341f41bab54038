/** POST /access/ticket: the only endpoint we serve without authentication. */
import { type Call, str } from "../context.ts";
import { PveError } from "../errors.ts";
import type { RouteTable } from "./types.ts";

export const accessRoutes: RouteTable = {
  "POST /access/ticket": (c: Call) => {
    let username = str(c.p, "username")!;
    const realm = str(c.p, "realm");
    if (realm && !username.includes("@")) username = `${username}@${realm}`;
    // Same answer for a bad user and a bad password, against user enumeration.
    if (!c.sim.auth.login(username, str(c.p, "password")!)) throw new PveError(401, "authentication failure");
    const { ticket, csrf } = c.sim.auth.issueTicket(username);
    return {
      username,
      ticket,
      CSRFPreventionToken: csrf,
      clustername: c.sim.cluster.name,
      cap: {
        vms: {
          "VM.Allocate": 1,
          "VM.Audit": 1,
          "VM.Backup": 1,
          "VM.Clone": 1,
          "VM.Config.Disk": 1,
          "VM.PowerMgmt": 1,
        },
        storage: {
          "Datastore.Allocate": 1,
          "Datastore.AllocateSpace": 1,
          "Datastore.AllocateTemplate": 1,
          "Datastore.Audit": 1,
        },
        nodes: { "Sys.Audit": 1, "Sys.Modify": 1, "Sys.PowerMgmt": 1 },
        access: { "User.Modify": 1, "Permissions.Modify": 1 },
        dc: { "Sys.Audit": 1, "SDN.Audit": 1 },
        sdn: { "SDN.Audit": 1 },
        mapping: { "Mapping.Audit": 1 },
      },
    };
  },
};
