/**
 * A tiny SMTP server for tests: EHLO, STARTTLS (when given a certificate), AUTH PLAIN, MAIL/RCPT/DATA,
 * QUIT. Records every message with how it arrived (TLS or not, who authenticated).
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  tls: boolean;
  auth: { user: string; pass: string } | null;
}

export interface FakeSmtp {
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

export async function startFakeSmtp(
  options: { tls?: { key: string; cert: string }; password?: string; implicitTls?: boolean } = {},
): Promise<FakeSmtp> {
  const messages: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    let socket: Socket = raw;
    let secure = false;
    if (options.implicitTls && options.tls) {
      socket = new TLSSocket(raw, { isServer: true, ...options.tls });
      secure = true;
    }
    let buffer = "";
    let inData = false;
    let mail: ReceivedMail = { from: "", to: [], data: "", tls: secure, auth: null };
    let auth: ReceivedMail["auth"] = null;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          mail.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push({ ...mail, tls: secure, auth });
          mail = { from: "", to: [], data: "", tls: secure, auth: null };
          reply("250 2.0.0 queued");
          continue;
        }
        const i = buffer.indexOf("\r\n");
        if (i < 0) return;
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const verb = line.split(" ")[0]!.toUpperCase();
        if (verb === "EHLO") {
          const caps = [
            "250-fake.smtp",
            ...(options.tls && !secure ? ["250-STARTTLS"] : []),
            "250 AUTH PLAIN",
          ];
          for (const c of caps) reply(c);
        } else if (verb === "STARTTLS" && options.tls) {
          reply("220 2.0.0 ready");
          socket.removeListener("data", onData);
          socket = new TLSSocket(socket, { isServer: true, ...options.tls });
          secure = true;
          socket.on("data", onData);
        } else if (verb === "AUTH") {
          const [, user = "", pass = ""] = Buffer.from(line.split(" ")[2] ?? "", "base64")
            .toString("utf8")
            .split("\0");
          if (options.password !== undefined && pass !== options.password) {
            reply("535 5.7.8 authentication failed");
          } else {
            auth = { user, pass };
            reply("235 2.7.0 ok");
          }
        } else if (verb === "MAIL") {
          mail.from = /<(.*)>/.exec(line)?.[1] ?? "";
          reply("250 2.1.0 ok");
        } else if (verb === "RCPT") {
          mail.to.push(/<(.*)>/.exec(line)?.[1] ?? "");
          reply("250 2.1.5 ok");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 go ahead");
        } else if (verb === "QUIT") {
          reply("221 bye");
          socket.end();
        } else {
          reply("502 5.5.2 unknown");
        }
      }
    };
    socket.on("data", onData);
    socket.on("error", () => {});
    reply("220 fake.smtp ESMTP");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The text body of a received message (base64 after the blank line). */
export function mailText(data: string): string {
  const [, body = ""] = data.split("\r\n\r\n");
  return Buffer.from(body.replace(/\r\n/g, ""), "base64").toString("utf8");
}

/** The decoded Subject header of a received message. */
export function mailSubject(data: string): string {
  const header = /^Subject: =\?UTF-8\?B\?([^?]*)\?=$/m.exec(data)?.[1] ?? "";
  return Buffer.from(header, "base64").toString("utf8");
}
