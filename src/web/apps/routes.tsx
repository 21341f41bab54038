/** My apps and an app's page: actions, resize, settings, clone, update, delete, logs, credentials, charts. */

import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ValidationError } from "../../core/errors.ts";
import type { Application } from "../../db/schema.ts";
import {
  ActionBody,
  CloneBody,
  DeployBody,
  PatchAppBody,
  UpdatePolicyBody,
} from "../../features/apps/apps.schemas.ts";
import { BackupsSection } from "../backups/pages.tsx";
import type { WebEnv } from "../context.ts";
import {
  actor,
  type FormProps,
  formResources,
  page,
  parsed,
  readForm,
  redirect,
  savedForm,
  submitForm,
  toast,
  viewer,
  type WebContext,
} from "../kit/index.ts";
import { ChartsSection, UsageCharts } from "./charts.tsx";
import { UpdatePolicyForm } from "./day-two.tsx";
import { ExposureSection } from "./exposure.tsx";
import { liveRoutes } from "./live.tsx";
import { AdoptedDeleteForms, CloneForm, EnvironmentForm, ManageSection, ResizeForm } from "./manage.tsx";
import { ownerOf, ownersOf } from "./owners.ts";
import { AppPage, Dashboard, noWebOf, RetryForm } from "./pages.tsx";
import { progressOf } from "./progress.ts";
import { Credentials, LogsSection, OperationLog } from "./sections.tsx";
import { updateOffer } from "./update-offer.ts";

/** What "Edit and retry" may change: the deploy's own resources and node rules. */
const RetryEdits = DeployBody.pick({ resources: true, node: true });

const VERBS = { start: "Starting", stop: "Stopping", restart: "Restarting" } as const;

/** The app the route names, if the viewer may see it (another user's app is 404). */
function appOf(c: WebContext): Promise<Application> {
  return c.get("services").apps.get(viewer(c), c.req.param("id") ?? "");
}

/**
 * The handler of a Manage form that reconfigures the app (resize, settings): the patch it makes of the
 * form, parsed with the API's schema; the form comes back fresh with a toast, or with what was typed and
 * each error beside its field.
 */
function reconfigureRoute(
  Form: FC<FormProps & { app: Application }>,
  patchOf: (f: Record<string, string>) => unknown,
  invalid: string,
  started: (app: Application) => string,
) {
  return async (c: WebContext) => {
    const app = await appOf(c);
    const f = await readForm(c);
    return submitForm(
      c,
      async () => {
        const input = parsed(PatchAppBody, patchOf(f), invalid);
        const { app: changed } = await c.get("services").apps.reconfigure(actor(c), app.id, input);
        return savedForm(c, <Form app={changed} csrf={c.get("csrfToken")} errors={{}} />, started(app), 202);
      },
      (errors) => <Form app={app} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  };
}

export function appsRoutes() {
  const r = new Hono<WebEnv>();
  // First: /apps/live is not an app id.
  r.route("/", liveRoutes());

  r.get("/", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    // The API list's prepared statement and narrower rows (the tiles read nothing else): the same apps, the
    // same scope (an administrator every user's, anyone else their own).
    const { items, total } = await services.apps.listViews(v, { page: 1, perPage: 100 });
    // After a delete: the app page sent us here; say what is happening to it.
    const deleting = c.req.query("deleting");
    const gone = deleting ? items.find((a) => a.id === deleting) : undefined;
    const notice = deleting
      ? gone
        ? `Deleting ${gone.hostname}: it leaves this list once its container is gone.`
        : "The app was deleted."
      : undefined;
    return c.html(
      <Dashboard
        page={page(c, "/apps")}
        apps={items}
        owners={await ownersOf(services, v, items)}
        offerOf={(a) => updateOffer(services, a)}
        total={total}
        notice={notice}
      />,
    );
  });

  r.get("/:id", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const app = await appOf(c);
    const [{ job, lines }, backups, schedule, owner, exposure] = await Promise.all([
      progressOf(services, v, app),
      services.backups.list(v, { appId: app.id, page: 1, perPage: 50 }),
      services.backups.getSchedule(v, app.id).catch(() => undefined),
      ownerOf(services, v, app),
      services.access.forApp(app),
    ]);
    const csrf = c.get("csrfToken");
    const noWeb = noWebOf(app.catalogId ? services.catalog.get(app.catalogId) : undefined);
    return c.html(
      <AppPage
        page={page(c, "/apps")}
        app={app}
        job={job}
        lines={lines}
        owner={owner}
        offer={updateOffer(services, app)}
        noWeb={noWeb}
      >
        <ExposureSection app={app} view={exposure} csrf={csrf} noWeb={noWeb !== undefined} />
        <ChartsSection app={app} />
        <BackupsSection app={app} backups={backups.items} schedule={schedule} csrf={csrf} errors={{}} />
        <LogsSection app={app} />
        <ManageSection app={app} csrf={csrf} update={updateOffer(services, app)} />
      </AppPage>,
    );
  });

  r.post("/:id/exposure", async (c) => {
    const f = await readForm(c);
    const services = c.get("services");
    const enabled = f.enabled === "true";
    const gate = f.gate === "true" ? "proximity" : "none";
    const app = await services.access.expose(actor(c), c.req.param("id"), { enabled, gate });
    return toast(
      c,
      enabled ? `${app.hostname} is reachable at ${app.httpsUrl}` : `${app.hostname} is no longer exposed`,
      200,
      <ExposureSection app={app} view={await services.access.forApp(app)} csrf={c.get("csrfToken")} />,
    );
  });

  r.post("/:id/action", async (c) => {
    const f = await readForm(c);
    const { action } = parsed(ActionBody, { action: f.action }, "Unknown action");
    const { app } = await c.get("services").apps.action(actor(c), c.req.param("id"), action);
    return toast(c, `${VERBS[action]} ${app.hostname}…`, 202);
  });

  r.post("/:id/retry", async (c) => {
    const app = await appOf(c);
    const f = await readForm(c);
    return submitForm(
      c,
      async () => {
        const resources = formResources(f);
        const node = (f.node ?? "").trim();
        const edits = parsed(
          RetryEdits,
          { ...(Object.keys(resources).length ? { resources } : {}), ...(node ? { node } : {}) },
          "The install cannot be retried",
        );
        await c.get("services").apps.redeploy(actor(c), app.id, edits);
        const installing = `Installing ${app.hostname} again…`;
        return toast(c, installing, 202, <p class="muted">{installing}</p>);
      },
      (errors) => <RetryForm app={app} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  r.post("/:id/update", async (c) => {
    const { app } = await c.get("services").apps.update(actor(c), c.req.param("id"));
    return toast(c, `Updating ${app.hostname}…`, 202);
  });

  r.put("/:id/update-policy", async (c) => {
    const app = await appOf(c);
    const f = await readForm(c);
    const window = (f.window ?? "").trim();
    return submitForm(
      c,
      async () => {
        const input = parsed(
          UpdatePolicyBody,
          { mode: f.mode, window: window === "" ? null : window },
          "The update policy is invalid",
        );
        const saved = await c.get("services").updates.setPolicy(actor(c), app.id, input);
        return savedForm(
          c,
          <UpdatePolicyForm app={saved} csrf={c.get("csrfToken")} errors={{}} />,
          saved.updateMode === "auto"
            ? `Automatic updates for ${saved.hostname} in the window ${saved.updateWindow}`
            : `Update policy of ${saved.hostname}: ${saved.updateMode}`,
        );
      },
      (errors) => <UpdatePolicyForm app={app} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  r.post("/:id/clone", async (c) => {
    const source = await appOf(c);
    const f = await readForm(c);
    const hostname = (f.hostname ?? "").trim();
    return submitForm(
      c,
      async () => {
        const input = parsed(CloneBody, { hostname }, "The clone cannot be made");
        const { app } = await c.get("services").apps.clone(actor(c), source.id, input.hostname);
        return redirect(c, `/apps/${app.id}`);
      },
      (errors) => <CloneForm app={source} csrf={c.get("csrfToken")} errors={errors} hostname={hostname} />,
    );
  });

  r.patch(
    "/:id/resources",
    reconfigureRoute(
      ResizeForm,
      (f) => ({ resources: formResources(f) }),
      "The new resources are invalid",
      (app) => `Resizing ${app.hostname}…`,
    ),
  );

  r.patch(
    "/:id/environment",
    reconfigureRoute(
      EnvironmentForm,
      (f) => ({
        environment: Object.fromEntries(
          Object.entries(f)
            .filter(([k]) => k.startsWith("environment."))
            .map(([k, v]) => [k.slice("environment.".length), v]),
        ),
      }),
      "The new settings are invalid",
      (app) => `Applying the new settings to ${app.hostname}…`,
    ),
  );

  r.post("/:id/delete", async (c) => {
    const f = await readForm(c);
    const services = c.get("services");
    const current = await services.apps.get(viewer(c), c.req.param("id"));
    const destroyAdopted = current.adopted && f.keep_container === "false";
    return submitForm(
      c,
      async () => {
        // An adopted container was not Proximity's to begin with: it is destroyed only once its name is typed.
        if (destroyAdopted && (f.confirm_hostname ?? "").trim() !== current.hostname) {
          throw new ValidationError("Type the hostname to destroy the container", [
            { field: "confirm_hostname", message: `type ${current.hostname} to confirm` },
          ]);
        }
        const { app } = await services.apps.remove(actor(c), current.id, {
          keepBackups: f.keep_backups === "true",
          ...(f.keep_container !== undefined ? { keepContainer: f.keep_container === "true" } : {}),
        });
        // The page of an app being deleted has nothing left to offer: My apps shows it going.
        return redirect(c, `/apps?deleting=${app.id}`);
      },
      (errors) => (
        <AdoptedDeleteForms app={current} csrf={c.get("csrfToken")} errors={errors} reason={undefined} />
      ),
    );
  });

  r.get("/:id/log", async (c) => {
    const { items } = await c.get("services").apps.logs(viewer(c), c.req.param("id"), 1, 100);
    return c.html(<OperationLog items={items} />);
  });

  r.get("/:id/container-log", async (c) => {
    const logs = await c.get("services").appContainers.containerLogs(viewer(c), c.req.param("id"), 200);
    return c.html(
      <pre class="container-log" role="log" tabindex={0} aria-label="Container log">
        {logs || "The containers have not logged anything yet."}
      </pre>,
    );
  });

  r.get("/:id/credentials", async (c) => {
    const creds = await c.get("services").apps.credentials(actor(c), c.req.param("id"));
    return c.html(<Credentials root={creds.root_password} env={creds.environment} />);
  });

  r.get("/:id/charts", async (c) => {
    const timeframe = c.req.query("timeframe") === "day" ? "day" : "hour";
    const series = await c
      .get("services")
      .appContainers.usageHistory(viewer(c), c.req.param("id"), timeframe);
    return c.html(<UsageCharts timeframe={timeframe} series={series} />);
  });

  return r;
}
