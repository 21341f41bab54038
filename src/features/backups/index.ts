/** The backups feature's public surface for the container (apps' delete saga calls it through AppDeps). */
export { deleteAppBackups } from "./purge.ts";
