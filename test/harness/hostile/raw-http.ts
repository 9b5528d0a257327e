// HTTP to the bridge without the conveniences of a client: paths sent exactly as written, bodies chunked on request,
// a deadline on every answer, and bare sockets for bytes that are not HTTP at all.

import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";

/** Long enough for a 10 MiB body on a slow machine; a request still unanswered after this counts as a hang. */
export const ANSWER_TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface Outgoing {
  method: string;
  /** Sent exactly as written: no URL parsing, so `..` and stray `%` reach the bridge as they are. */
  path: string;
  body?: Buffer | string;
  /** The body in pieces with chunked transfer encoding, so no Content-Length announces its size. */
  chunks?: Buffer[];
  headers?: Record<string, string>;
  /** Bearer token; the homeserver's unless given, none when null. */
  token?: string | null;
}

export interface RawResponse {
  status: number;
  json: unknown;
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** One request over a connection of its own, with a deadline; rejects when no answer comes. */
export function sendRequest(port: number, defaultToken: string, out: Outgoing): Promise<Answer> {
  const token = out.token === undefined ? defaultToken : out.token;
  const headers: Record<string, string> = { "content-type": "application/json", ...out.headers };
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  if (out.body !== undefined) headers["content-length"] = String(Buffer.byteLength(out.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: out.method, path: out.path, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (part: Buffer) => parts.push(part));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () =>
      req.destroy(
        new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms to ${out.method} ${out.path.slice(0, 80)}`),
      ),
    );
    req.on("error", reject);
    if (out.chunks !== undefined) {
      for (const chunk of out.chunks) req.write(chunk);
      req.end();
    } else req.end(out.body);
  });
}

/** Each response in a raw HTTP exchange: status and body. */
export function parseRawResponses(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = raw;
  for (;;) {
    const head = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (head === null) return out;
    const length = Number(/content-length:\s*(\d+)/i.exec(head[2] ?? "")?.[1] ?? 0);
    const start = head[0].length;
    out.push({ status: Number(head[1]), json: parseJson(rest.slice(start, start + length)) });
    rest = rest.slice(start + length);
  }
}

/** Writes bytes on a connection of its own and reads everything until the bridge closes it. */
export function rawExchange(port: number, kind: string, data: Buffer | string): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(data));
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy(new Error(`${kind}: no answer and no close`)));
    socket.on("data", (part: Buffer) => parts.push(part));
    socket.on("error", reject);
    socket.on("close", () => resolve(parseRawResponses(Buffer.concat(parts).toString("utf8"))));
  });
}

/** Starts an upload, sends part of it and drops the connection, leaving nobody to answer. */
export function cutOffUpload(port: number, data: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(data);
      setTimeout(() => socket.destroy(), 20);
    });
    socket.on("close", () => resolve());
    socket.on("error", () => undefined);
  });
}
