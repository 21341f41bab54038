/** Storage, appliance templates and vzdump under /nodes/{node}. */
import { vzdump } from "../backup.ts";
import { type Call, str } from "../context.ts";
import { ociRegistryPull, queryOciRepoTags } from "../oci.ts";
import {
  aplinfo,
  deleteVolume,
  downloadTemplate,
  listContent,
  storageStatus,
  volumeAttributes,
} from "../storage-ops.ts";
import type { RouteTable } from "./types.ts";

const node = (c: Call) => str(c.p, "node")!;

export const storageRoutes: RouteTable = {
  "GET /nodes/{node}/storage": (c) => storageStatus(c, node(c)),
  "GET /nodes/{node}/storage/{storage}/content": (c) => listContent(c, node(c), str(c.p, "storage")!),
  "GET /nodes/{node}/storage/{storage}/content/{volume}": (c) =>
    volumeAttributes(c, node(c), str(c.p, "storage")!, str(c.p, "volume")!),
  "DELETE /nodes/{node}/storage/{storage}/content/{volume}": (c) =>
    deleteVolume(c, node(c), str(c.p, "storage")!, str(c.p, "volume")!),
  "GET /nodes/{node}/aplinfo": (c) => {
    c.sim.cluster.node(node(c));
    return aplinfo(c);
  },
  "POST /nodes/{node}/aplinfo": (c) => downloadTemplate(c, node(c)),
  "POST /nodes/{node}/vzdump": (c) => vzdump(c, node(c)),
  "POST /nodes/{node}/storage/{storage}/oci-registry-pull": (c) => ociRegistryPull(c, node(c)),
  "GET /nodes/{node}/query-oci-repo-tags": (c) => queryOciRepoTags(c, node(c)),
};
