/** The email channel's SMTP client against a fake server: plain, STARTTLS with a verified certificate, AUTH. */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DeliveryError } from "../../../src/features/notifications/channels/message.ts";
import { sendMail } from "../../../src/features/notifications/channels/smtp.ts";
import { type FakeSmtp, mailSubject, mailText, startFakeSmtp } from "../../helpers/fake-smtp.ts";

const tlsDir = join(import.meta.dir, "../../fixtures/tls");
const tls = {
  key: readFileSync(join(tlsDir, "pve-ssl.key"), "utf8"),
  cert: readFileSync(join(tlsDir, "pve-ssl.crt"), "utf8"),
};
const ca = readFileSync(join(tlsDir, "ca.crt"), "utf8");

/** The error a send that must fail failed with. */
async function failure(sending: Promise<void>): Promise<DeliveryError> {
  try {
    await sending;
  } catch (err) {
    return err as DeliveryError;
  }
  throw new Error("the message was sent");
}

let server: FakeSmtp | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const base = {
  host: "127.0.0.1",
  from: "proximity@example.org",
  to: ["ops@example.org", "me@example.org"],
  subject: "vault: update available 1.37 → 1.38",
  text: "Line one\n.\nA line with only a dot must not end the message",
  timeoutMs: 5_000,
};

describe("sendMail", () => {
  test("plain to a LAN relay: every recipient, the subject and the text arrive intact", async () => {
    server = await startFakeSmtp();
    await sendMail({ ...base, port: server.port, security: "none" });
    const [m] = server.messages;
    expect(m).toMatchObject({ from: base.from, to: base.to, tls: false, auth: null });
    expect(mailSubject(m!.data)).toBe(base.subject);
    expect(mailText(m!.data)).toBe(base.text.replace(/\n/g, "\r\n"));
  });

  test("STARTTLS with a certificate from a trusted CA, then AUTH PLAIN", async () => {
    server = await startFakeSmtp({ tls, password: "s3cret" });
    await sendMail({
      ...base,
      port: server.port,
      security: "starttls",
      username: "proximity",
      password: "s3cret",
      ca,
      servername: "pve1.test",
    });
    expect(server.messages[0]).toMatchObject({ tls: true, auth: { user: "proximity", pass: "s3cret" } });
  });

  test("implicit TLS (port 465 style)", async () => {
    server = await startFakeSmtp({ tls, implicitTls: true });
    await sendMail({ ...base, port: server.port, security: "tls", ca, servername: "pve1.test" });
    expect(server.messages[0]?.tls).toBe(true);
  });

  test("a certificate the client does not trust fails for good, before any password is sent", async () => {
    server = await startFakeSmtp({ tls });
    const err = await failure(
      sendMail({
        ...base,
        port: server.port,
        security: "starttls",
        username: "u",
        password: "p",
        servername: "pve1.test",
      }),
    );
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).message).toContain("TLS failed");
    expect((err as DeliveryError).retryable).toBe(false);
    expect(server.messages).toEqual([]);
  });

  test("a wrong password is a permanent failure naming AUTH; a password is never sent in the clear", async () => {
    server = await startFakeSmtp({ tls, password: "right" });
    const wrong = await failure(
      sendMail({
        ...base,
        port: server.port,
        security: "starttls",
        username: "u",
        password: "wrong",
        ca,
        servername: "pve1.test",
      }),
    );
    expect(wrong.message).toContain("AUTH PLAIN");
    expect(wrong.retryable).toBe(false);
    const clear = await failure(
      sendMail({
        ...base,
        port: server.port,
        security: "none",
        username: "u",
        password: "p",
      }),
    );
    expect(clear.message).toContain("never sent without TLS");
  });

  test("nothing listening is a retryable failure", async () => {
    const err = await failure(sendMail({ ...base, port: 1, security: "none" }));
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
  });
});
