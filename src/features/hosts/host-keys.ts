/** SSH host keys pinned per Proxmox host and node address, in the database (trust on first use). */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { sshHostKeys } from "../../db/schema.ts";
import type { HostKeyStore } from "../../proxmox/index.ts";

export class DbHostKeyStore implements HostKeyStore {
  constructor(
    private readonly db: Db,
    private readonly hostId: string,
  ) {}

  async get(address: string): Promise<string | undefined> {
    const [row] = await this.db
      .select()
      .from(sshHostKeys)
      .where(and(eq(sshHostKeys.hostId, this.hostId), eq(sshHostKeys.address, address)));
    return row?.fingerprint;
  }

  async set(address: string, fingerprint: string): Promise<void> {
    await this.db
      .insert(sshHostKeys)
      .values({ hostId: this.hostId, address, fingerprint })
      .onConflictDoNothing();
  }
}
