/**
 * A small SMTP client for the email channel (RFC 5321 submission): implicit TLS (465), STARTTLS (587) or
 * plain (a LAN relay), AUTH PLAIN, one message to a few recipients. Certificates are verified. Addresses
 * are validated before they get here; the subject is encoded (RFC 2047) and the body sent as base64, so no
 * value can inject a header or end the DATA early.
 */
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { DeliveryError } from "./message.ts";

export interface MailOptions {
  host: string;
  port: number;
  security: "starttls" | "tls" | "none";
  username?: string | undefined;
  password?: string | null | undefined;
  from: string;
  to: string[];
  subject: string;
  text: string;
  timeoutMs?: number;
  /** Extra trusted CA certificates (PEM), for a relay with its own CA. */
  ca?: string | undefined;
  /** The name the certificate must carry, when it is not `host` (a relay reached by its address). */
  servername?: string | undefined;
}

interface Reply {
  code: number;
  text: string;
}

/** Reads SMTP replies (multi-line `250-…` until `250 …`) from a socket that may be upgraded to TLS. */
class Conversation {
  private buffer = "";
  private lines: string[] = [];
  private waiting: ((r: Reply | Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(
    public socket: Socket | TLSSocket,
    private readonly host: string,
  ) {
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    // Bytes, not setEncoding: the same socket may be handed to TLS after STARTTLS.
    socket.on("data", (chunk: Buffer) => this.feed(chunk.toString("utf8")));
    socket.on("error", (err) => this.fail(new DeliveryError(`${this.host}: ${err.message}`, true)));
    socket.on("close", () => this.fail(new DeliveryError(`${this.host} closed the connection`, true)));
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let i = this.buffer.indexOf("\n");
    while (i >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, "");
      this.buffer = this.buffer.slice(i + 1);
      this.lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.map((l) => l.slice(4)).join("\n") };
        this.lines = [];
        const w = this.waiting;
        this.waiting = undefined;
        w?.(reply);
      }
      i = this.buffer.indexOf("\n");
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.(err);
  }

  /** Sends a command (or nothing, for the greeting) and waits for the reply, which must be `expect`. */
  async say(command: string | null, expect: number[], shown = command ?? "greeting"): Promise<Reply> {
    if (this.failure) throw this.failure;
    const reply = new Promise<Reply | Error>((resolve) => {
      this.waiting = resolve;
    });
    if (command !== null) this.socket.write(`${command}\r\n`);
    const r = await reply;
    if (r instanceof Error) throw r;
    if (!expect.includes(r.code)) {
      throw new DeliveryError(
        `${this.host} refused ${shown}: ${r.code} ${r.text}`,
        r.code >= 400 && r.code < 500,
      );
    }
    return r;
  }
}

function connected(socket: Socket | TLSSocket, secure: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(secure ? "secureConnect" : "connect", () => resolve());
    socket.once("error", reject);
  });
}

const encodeWord = (s: string) => `=?UTF-8?B?${Buffer.from(s.replace(/[\r\n]+/g, " ")).toString("base64")}?=`;

/** The message: headers, then the text as base64 in 76-character lines (nothing in it can end the DATA). */
export function renderMessage(o: Pick<MailOptions, "from" | "to" | "subject" | "text">, now = new Date()) {
  const body = Buffer.from(o.text.replace(/\r?\n/g, "\r\n")).toString("base64");
  return [
    `From: ${o.from}`,
    `To: ${o.to.join(", ")}`,
    `Subject: ${encodeWord(o.subject)}`,
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${crypto.randomUUID()}@proximity>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    ...(body.match(/.{1,76}/g) ?? []),
  ].join("\r\n");
}

export async function sendMail(o: MailOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const tlsOptions = { host: o.host, servername: o.servername ?? o.host, ...(o.ca ? { ca: o.ca } : {}) };
  let socket: Socket | TLSSocket =
    o.security === "tls"
      ? tlsConnect({ ...tlsOptions, port: o.port })
      : netConnect({ host: o.host, port: o.port });
  const timer = setTimeout(
    () => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
    timeoutMs,
  );
  try {
    await connected(socket, o.security === "tls").catch((err: Error) => {
      throw new DeliveryError(`${o.host}:${o.port}: ${err.message}`, true);
    });
    const smtp = new Conversation(socket, o.host);
    await smtp.say(null, [220]);
    let ehlo = await smtp.say("EHLO proximity", [250]);
    if (o.security === "starttls") {
      if (!/^STARTTLS$/im.test(ehlo.text))
        throw new DeliveryError(`${o.host} does not offer STARTTLS`, false);
      await smtp.say("STARTTLS", [220]);
      socket.removeAllListeners("data");
      socket.removeAllListeners("close");
      socket.removeAllListeners("error");
      socket = tlsConnect({ ...tlsOptions, socket });
      await connected(socket, true).catch((err: Error) => {
        throw new DeliveryError(`${o.host}: TLS failed: ${err.message}`, false);
      });
      smtp.attach(socket);
      ehlo = await smtp.say("EHLO proximity", [250]);
    }
    if (o.username) {
      if (o.security === "none")
        throw new DeliveryError("Refused: a password is never sent without TLS", false);
      const token = Buffer.from(`\0${o.username}\0${o.password ?? ""}`).toString("base64");
      await smtp.say(`AUTH PLAIN ${token}`, [235], "AUTH PLAIN (the username or password)");
    }
    await smtp.say(`MAIL FROM:<${o.from}>`, [250]);
    for (const to of o.to) await smtp.say(`RCPT TO:<${to}>`, [250, 251]);
    await smtp.say("DATA", [354]);
    await smtp.say(`${renderMessage(o)}\r\n.`, [250], "the message");
    await smtp.say("QUIT", [221]).catch(() => undefined);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
