/**
 * Hosts → Unmanaged containers: what runs on a host that Proximity does not manage yet (helper-script
 * containers named from their marks, hand-made ones), each with Adopt (name, owner and port pre-filled
 * from the suggestion). Discovery and adoption only read the container (docs/adopt.md).
 */
import type { FC } from "hono/jsx";
import type { ProxmoxHost, User } from "../../../db/schema.ts";
import type { DiscoveredContainer } from "../../../features/apps/index.ts";
import {
  Breadcrumb,
  Empty,
  type FieldErrors,
  InputField,
  Layout,
  type PageContext,
  SelectField,
  StatusBadge,
  SwapForm,
} from "../../kit/index.ts";

/** What an adopt form shows: the suggestion's values, or what was typed when it came back with errors. */
export type AdoptValues = { name: string; owner_id: string; port: string };

export function adoptDefaults(ct: DiscoveredContainer, viewerId: string): AdoptValues {
  return {
    name: ct.suggestion.name,
    owner_id: viewerId,
    port: ct.suggestion.port === null ? "" : String(ct.suggestion.port),
  };
}

export const AdoptForm: FC<{
  hostId: string;
  ct: DiscoveredContainer;
  users: Pick<User, "id" | "username">[];
  values: AdoptValues;
  errors: FieldErrors;
  csrf: string;
}> = ({ hostId, ct, users, values, errors, csrf }) => {
  const id = (field: string) => `adopt-${ct.vmid}-${field}`;
  return (
    <SwapForm
      id={`adopt-${ct.vmid}`}
      class="adopt-form"
      hx-post={`/hosts/${hostId}/unmanaged/${ct.node}/${ct.vmid}`}
      csrf={csrf}
      errors={errors}
    >
      <div class="grid">
        <InputField
          label="Name"
          id={id("name")}
          name="name"
          errors={errors}
          value={values.name}
          maxlength={100}
        />
        <SelectField
          label="Owner"
          id={id("owner")}
          name="owner_id"
          errors={errors}
          options={users.map((u) => [u.id, u.username] as const)}
          value={values.owner_id}
        />
        <InputField
          label="Port"
          id={id("port")}
          name="port"
          errors={errors}
          type="number"
          min={1}
          max={65535}
          value={values.port}
          placeholder="none"
          help="Where the app answers: its Open link and health check. Empty for none."
          helpId={`${id("port")}-help`}
        />
      </div>
      <button type="submit">Adopt CT {ct.vmid}</button>
    </SwapForm>
  );
};

const SourceNote: FC<{ ct: DiscoveredContainer }> = ({ ct }) => {
  const s = ct.suggestion;
  if (s.source === "community-scripts") {
    return (
      <p class="muted">
        Made by the community helper script{" "}
        {s.slug ? (
          <a href={`https://community-scripts.org/scripts/${s.slug}`} rel="noopener noreferrer">
            {s.slug}
          </a>
        ) : (
          "(not in Proximity's table yet)"
        )}
        {s.category ? ` · ${s.category}` : ""}
        {s.website ? (
          <>
            {" · "}
            <a href={s.website} rel="noopener noreferrer">
              website
            </a>
          </>
        ) : null}
      </p>
    );
  }
  return (
    <p class="muted">
      {s.slug
        ? `Made by hand or another tool; its name matches the helper script “${s.slug}”.`
        : "Made by hand or another tool."}
    </p>
  );
};

export const UnmanagedCard: FC<{
  hostId: string;
  ct: DiscoveredContainer;
  users: Pick<User, "id" | "username">[];
  viewerId: string;
  csrf: string;
}> = ({ hostId, ct, users, viewerId, csrf }) => (
  <article class="unmanaged" id={`ct-${ct.vmid}`}>
    <div class="card-head">
      <img class="icon" src={ct.suggestion.icon} alt="" width={40} height={40} loading="lazy" />
      <div>
        <h2>{ct.suggestion.name}</h2>
        <p class="muted">
          CT {ct.vmid} “{ct.name ?? "unnamed"}” on {ct.node} · <StatusBadge status={ct.status} />
          {ct.suggestion.port !== null ? ` · port ${ct.suggestion.port}` : ""}
        </p>
      </div>
    </div>
    <SourceNote ct={ct} />
    {ct.adoptable ? (
      <details>
        <summary>Adopt…</summary>
        <AdoptForm
          hostId={hostId}
          ct={ct}
          users={users}
          values={adoptDefaults(ct, viewerId)}
          errors={{}}
          csrf={csrf}
        />
      </details>
    ) : (
      <p class="reason">{ct.reason}</p>
    )}
  </article>
);

export const UnmanagedPage: FC<{
  page: PageContext;
  host: ProxmoxHost;
  items: DiscoveredContainer[];
  users: Pick<User, "id" | "username">[];
  viewerId: string;
  error?: string | undefined;
}> = ({ page, host, items, users, viewerId, error }) => (
  <Layout title={`Unmanaged containers on ${host.name}`} page={page}>
    <Breadcrumb up={{ href: "/hosts", label: "Hosts" }} here={host.name} />
    <h1>Unmanaged containers</h1>
    <p>
      Containers on {host.name} that Proximity does not manage: made by the community helper scripts or by
      hand. Adopting one only records it here; the container is not changed. Afterwards it has backups,
      schedules, health watching and start/stop like any app; releasing it later leaves it exactly as it was.
    </p>
    {error ? (
      <p class="reason" role="alert">
        {error}
      </p>
    ) : items.length === 0 ? (
      <Empty title="Nothing to adopt">
        <p>Every container on {host.name} is managed by Proximity (templates and VMs are not listed).</p>
      </Empty>
    ) : (
      items.map((ct) => (
        <UnmanagedCard hostId={host.id} ct={ct} users={users} viewerId={viewerId} csrf={page.csrf} />
      ))
    )}
  </Layout>
);
