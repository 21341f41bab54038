/**
 * Settings → Access (administrators): the domain and certificates of HTTPS names, where the proxy stands,
 * the DNS record to create and the CA to trust (docs/access.md). Validated by the API's own schema.
 */
import type { FC } from "hono/jsx";
import type { AccessViewT } from "../../../features/access/access.schemas.ts";
import {
  Breadcrumb,
  FieldMessage,
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  StatusBadge,
  SwapForm,
  Table,
  when,
} from "../../kit/index.ts";

const STATUS_TEXT: Record<AccessViewT["status"], string> = {
  off: "Off: apps are reached at their own address only.",
  deploying: "The proxy is being installed and configured…",
  ready: "Ready: exposed apps answer at their HTTPS names.",
  error: "The proxy needs attention.",
};

export const AccessStatus: FC<{ access: AccessViewT; oob?: boolean }> = ({ access: a, oob }) => (
  <section
    id="access-status"
    aria-live="polite"
    hx-swap-oob={oob ? "true" : undefined}
    {...(a.status === "deploying"
      ? { "hx-get": "/settings/access/status", "hx-trigger": "every 2s", "hx-swap": "outerHTML" }
      : {})}
  >
    <h2>Status</h2>
    <p>
      <StatusBadge status={a.status === "ready" ? "running" : a.status === "off" ? "stopped" : a.status} />{" "}
      {STATUS_TEXT[a.status]}
    </p>
    {a.reason ? <p id="access-reason">{a.reason}</p> : null}
    {a.proxy ? (
      <p class="muted">
        The proxy is the app <a href={`/apps/${a.proxy.app_id}`}>proximity-proxy</a>
        {a.proxy.address ? ` at ${a.proxy.address}` : ""}
        {a.proxy.node ? ` on ${a.proxy.node}` : ""}.
      </p>
    ) : null}
    {a.dns.length ? (
      <>
        <h3>DNS</h3>
        <p>
          Create this record at your DNS provider or local DNS server (Pi-hole, AdGuard Home, your router):
        </p>
        <Table columns={["Name", "Type", "Value", "Resolves here"]}>
          {a.dns.map((r) => (
            <tr>
              <td>
                <code>{r.name}</code>
              </td>
              <td>{r.type}</td>
              <td>
                <code>{r.value ?? "(once the proxy has an address)"}</code>
              </td>
              <td>{r.resolves === null ? "–" : r.resolves ? "yes" : "not yet"}</td>
            </tr>
          ))}
        </Table>
      </>
    ) : null}
    {a.certificate ? (
      <>
        <h3>Wildcard certificate (DNS-01)</h3>
        <p id="access-dns-certificate">
          <code>{a.certificate.names.join(", ")}</code> from {a.certificate.issuer ?? "the ACME directory"}:
          expires {when(a.certificate.expires_at)}, renewed from {when(a.certificate.renews_at)}.
        </p>
      </>
    ) : null}
    {a.certificates_served.length ? (
      <>
        <h3>Certificates</h3>
        <Table id="access-certificates" columns={["Name", "Issued by", "Expires"]}>
          {a.certificates_served.map((c) => (
            <tr>
              <td>{c.name}</td>
              <td>{c.issuer ?? "–"}</td>
              <td>{c.expires_at ? when(c.expires_at) : (c.problem ?? "–")}</td>
            </tr>
          ))}
        </Table>
        <p class="muted">
          {a.challenge === "dns"
            ? "Proximity renews the wildcard certificate at two thirds of its lifetime."
            : "The proxy renews certificates by itself before they expire."}
        </p>
      </>
    ) : null}
    {a.domain && a.certificates === "internal" && a.status === "ready" ? (
      <>
        <h3>Trust the proxy's certificate authority</h3>
        <p>
          <a href="/api/v1/access/ca.pem" download="proximity-ca.pem" class="button-link">
            Download the CA certificate
          </a>
        </p>
        <ul>
          <li>
            Windows: open it → Install Certificate → Local Machine → Trusted Root Certification Authorities.
          </li>
          <li>macOS: open it, add it to the System keychain, set “Always Trust” for SSL.</li>
          <li>
            Linux: copy it to <code>/usr/local/share/ca-certificates/proximity-ca.crt</code> and run{" "}
            <code>sudo update-ca-certificates</code>; in Firefox or Chromium import it under Certificates →
            Authorities.
          </li>
          <li>Android: Settings → Security → Encryption &amp; credentials → Install a certificate → CA.</li>
          <li>
            iPhone, iPad: open it in Safari, install the profile, then turn it on under General → About →
            Certificate Trust Settings.
          </li>
        </ul>
      </>
    ) : null}
  </section>
);

export const AccessForm: FC<FormProps & { access: AccessViewT }> = ({
  access: a,
  csrf,
  errors,
  values = {},
}) => {
  const certificates = values.certificates ?? a.certificates;
  const challenge = values.challenge ?? a.challenge;
  const text = (name: "domain" | "acme_directory" | "acme_email", stored: string | null) =>
    values[name] ?? stored ?? "";
  return (
    <SwapForm id="access-form" hx-put="/settings/access" csrf={csrf} errors={errors}>
      <InputField
        label="Domain"
        name="domain"
        errors={errors}
        value={text("domain", a.domain)}
        placeholder="home.example.org"
        spellcheck={false}
        autocomplete="off"
        help="Each app you expose gets https://<its hostname>.<this domain>"
      />
      <fieldset>
        <legend>Certificates</legend>
        <label>
          <input type="radio" name="certificates" value="internal" checked={certificates === "internal"} />
          The proxy's own certificate authority (trust its certificate once on each device)
        </label>
        <label>
          <input type="radio" name="certificates" value="acme" checked={certificates === "acme"} />
          ACME (Let's Encrypt or another directory): the proxy must be reachable from the directory
        </label>
      </fieldset>
      <div class="grid">
        <InputField
          label="ACME directory (ACME only)"
          name="acme_directory"
          errors={errors}
          value={text("acme_directory", a.acme_directory)}
          placeholder="https://acme-v02.api.letsencrypt.org/directory"
          spellcheck={false}
        />
        <InputField
          label="ACME e-mail (ACME only)"
          name="acme_email"
          errors={errors}
          type="email"
          value={text("acme_email", a.acme_email)}
        />
      </div>
      <fieldset>
        <legend>ACME challenge (ACME only)</legend>
        <label>
          <input type="radio" name="challenge" value="http" checked={challenge !== "dns"} />
          HTTP: the directory reaches the proxy on ports 80 and 443
        </label>
        <label>
          <input type="radio" name="challenge" value="dns" checked={challenge === "dns"} />
          DNS through Cloudflare: one wildcard certificate, the proxy need not be reachable from the internet
        </label>
      </fieldset>
      <div class="grid">
        <InputField
          label="Cloudflare API token (DNS only)"
          name="dns_provider.api_token"
          errors={errors}
          type="password"
          value=""
          autocomplete="off"
          placeholder={a.dns_provider ? "stored; leave empty to keep it" : ""}
          help="Permission Zone → DNS → Edit on the zone; stored encrypted, never shown again"
          helpId="cf-token-help"
        />
        <InputField
          label="Cloudflare zone ID (optional)"
          name="dns_provider.zone_id"
          errors={errors}
          value={values["dns_provider.zone_id"] ?? a.dns_provider?.zone_id ?? ""}
          spellcheck={false}
          autocomplete="off"
        />
      </div>
      <FieldMessage errors={errors} name="dns_provider" />
      <FieldMessage errors={errors} name="challenge" />
      <button type="submit">{a.domain ? "Save" : "Turn on HTTPS names"}</button>
    </SwapForm>
  );
};

export const AccessPage: FC<{ page: PageContext; access: AccessViewT }> = ({ page, access }) => (
  <Layout title="Access" page={page}>
    <Breadcrumb up={{ href: "/settings", label: "Settings" }} here="Access" />
    <h1>HTTPS names</h1>
    <p>
      Proximity runs a reverse proxy (Caddy) on your cluster. Each app you expose from its page is reached at{" "}
      <code>https://&lt;hostname&gt;.&lt;domain&gt;</code>; apps that need their own URL (Vaultwarden, Gitea,
      …) are set up for it and restarted once.
    </p>
    <AccessForm access={access} csrf={page.csrf} errors={{}} />
    <AccessStatus access={access} />
  </Layout>
);
