/**
 * The simulated Vaultwarden's stand-in for its web vault (docs/access.md): not the real web vault, but
 * honest about the one thing HTTPS names are for. Its page creates an account only in a secure context: it
 * checks `window.isSecureContext` and derives the master password hash in the browser with
 * `crypto.subtle` (PBKDF2-SHA256 of the password salted with the e-mail, then one more round salted with
 * the password, as Bitwarden clients do), and over plain http it shows the real web vault's refusal
 * instead. The server side keeps the accounts registered (per container, while the simulator runs) and
 * answers a password login (`/identity/connect/token`) against the stored hash, so a test can check what
 * the browser derived. The real vault's encrypted keys (`key`, `keys`) are left out.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface VaultAccount {
  name: string;
  masterPasswordHash: string;
  kdfIterations: number;
}

/** Bitwarden's default PBKDF2 iterations for new accounts. */
export const KDF_ITERATIONS = 600_000;
const MAX_BODY = 64 * 1024;

/** Answers the web vault's page, registration and login; false for every other request (the generic app). */
export function vaultwardenStandIn(
  req: IncomingMessage,
  res: ServerResponse,
  accounts: Map<string, VaultAccount>,
): boolean {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && (path === "/" || path === "/index.html")) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(PAGE);
    return true;
  }
  if (req.method === "POST" && path === "/identity/accounts/register") {
    readBody(req, res, (body) => json(res, ...register(accounts, body)));
    return true;
  }
  if (req.method === "POST" && path === "/identity/connect/token") {
    readBody(req, res, (body) => json(res, ...login(accounts, body)));
    return true;
  }
  return false;
}

function readBody(req: IncomingMessage, res: ServerResponse, then: (body: string) => void): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => {
    body += chunk;
    if (body.length > MAX_BODY) {
      json(res, 413, { message: "Request too large" });
      req.destroy();
    }
  });
  req.on("end", () => {
    if (!res.headersSent) then(body);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

type Answer = [status: number, body: unknown];

function register(accounts: Map<string, VaultAccount>, body: string): Answer {
  let input: { email?: unknown; name?: unknown; masterPasswordHash?: unknown; kdfIterations?: unknown };
  try {
    input = JSON.parse(body) as typeof input;
  } catch {
    return [400, { message: "The request body is not JSON" }];
  }
  const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
  const hash = typeof input.masterPasswordHash === "string" ? input.masterPasswordHash : "";
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || Buffer.from(hash, "base64").length !== 32) {
    return [400, { message: "An e-mail address and a master password hash are required" }];
  }
  // Vaultwarden's own answer for a taken address.
  if (accounts.has(email)) return [400, { message: "Registration not allowed or user already exists." }];
  accounts.set(email, {
    name: typeof input.name === "string" ? input.name.slice(0, 100) : "",
    masterPasswordHash: hash,
    kdfIterations: typeof input.kdfIterations === "number" ? input.kdfIterations : KDF_ITERATIONS,
  });
  return [200, {}];
}

function login(accounts: Map<string, VaultAccount>, body: string): Answer {
  const form = new URLSearchParams(body);
  const account = accounts.get((form.get("username") ?? "").trim().toLowerCase());
  if (
    form.get("grant_type") !== "password" ||
    !account ||
    account.masterPasswordHash !== form.get("password")
  ) {
    return [
      400,
      {
        error: "invalid_grant",
        error_description: "Username or password is incorrect. Try again",
      },
    ];
  }
  return [
    200,
    {
      access_token: crypto.randomUUID(),
      token_type: "Bearer",
      expires_in: 7200,
      Kdf: 0,
      KdfIterations: account.kdfIterations,
    },
  ];
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vaultwarden Web</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f0f2f5; color: #1b2029; margin: 0; }
  main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; color: #175ddc; }
  .stand-in { font-size: .8rem; color: #5a6270; margin: 0 0 1.5rem; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; border: 1px solid #ced4dc; border-radius: 4px; }
  button { margin-top: 1.25rem; width: 100%; padding: .6rem; background: #175ddc; color: #fff; border: 0;
           border-radius: 4px; font-size: 1rem; cursor: pointer; }
  .alert { border-left: 4px solid #c83522; background: #fdf1ef; padding: .75rem 1rem; }
  #result { margin-top: 1rem; font-weight: 600; }
  #result.ok { color: #017e45; }
  #result.bad { color: #c83522; }
</style>
</head>
<body>
<main>
  <h1>Vaultwarden</h1>
  <p class="stand-in">Web vault stand-in of Proximity's simulated cluster (demo mode), at <span id="origin"></span></p>
  <div id="insecure" class="alert" role="alert" hidden>
    <strong>This browser requires HTTPS to use the web vault</strong>
    <p>Check the Vaultwarden wiki for details on how to enable it</p>
  </div>
  <form id="register" hidden>
    <h2>Create account</h2>
    <label for="email">Email address</label>
    <input id="email" name="email" type="email" required autocomplete="email">
    <label for="name">Name</label>
    <input id="name" name="name" autocomplete="name">
    <label for="password">Master password</label>
    <input id="password" name="password" type="password" required autocomplete="new-password">
    <label for="confirm">Re-type master password</label>
    <input id="confirm" name="confirm" type="password" required autocomplete="new-password">
    <button type="submit">Create account</button>
    <p id="result" role="status"></p>
  </form>
</main>
<script>
(() => {
  const ITERATIONS = ${KDF_ITERATIONS};
  document.getElementById("origin").textContent = location.origin;
  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    document.getElementById("insecure").hidden = false;
    return;
  }
  const form = document.getElementById("register");
  const result = document.getElementById("result");
  form.hidden = false;
  const say = (text, ok) => { result.textContent = text; result.className = ok ? "ok" : "bad"; };
  const enc = new TextEncoder();
  const pbkdf2 = async (secret, salt, iterations) => {
    const key = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
    return new Uint8Array(bits);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const email = String(data.get("email")).trim().toLowerCase();
    const password = String(data.get("password"));
    if (password.length < 12) return say("Master password must be at least 12 characters long.", false);
    if (password !== data.get("confirm")) return say("Master password confirmation does not match.", false);
    say("Creating account…", true);
    const masterKey = await pbkdf2(enc.encode(password), enc.encode(email), ITERATIONS);
    const hash = await pbkdf2(masterKey, enc.encode(password), 1);
    const res = await fetch("/identity/accounts/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email,
        name: String(data.get("name")),
        masterPasswordHash: btoa(String.fromCharCode(...hash)),
        kdf: 0,
        kdfIterations: ITERATIONS,
      }),
    });
    if (res.ok) return say("Your new account has been created! You may now log in.", true);
    const problem = await res.json().catch(() => ({}));
    say(problem.message || "An error has occurred.", false);
  });
})();
</script>
</body>
</html>
`;
