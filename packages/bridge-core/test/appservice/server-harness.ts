// The application service API over real HTTP, one fresh server per test, for the server suites.

import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach } from "node:test";
import {
  type AppserviceHandlers,
  createAppserviceApp,
  listen,
  type ThirdPartyFields,
} from "../../src/appservice/server.ts";
import type { ParsedTransaction } from "../../src/appservice/transaction-body.ts";
import type { RoomAlias, TransactionId, UserId } from "../../src/ids.ts";
import { type CapturedLogs, captureLogs } from "../matrix/helpers.ts";

export const HS_TOKEN = "hs-token-0123456789abcdef";
export const MAX_BODY_BYTES = 64 * 1024;

/** Records every call and answers with whatever the test put in its fields. */
export class RecordingHandlers implements AppserviceHandlers {
  readonly transactions: { txnId: TransactionId; parsed: ParsedTransaction }[] = [];
  readonly userQueries: UserId[] = [];
  readonly aliasQueries: RoomAlias[] = [];
  readonly pings: (string | undefined)[] = [];
  readonly thirdPartyCalls: unknown[][] = [];

  onTransaction: () => Promise<void> = async () => {};
  userExists = true;
  aliasExists = true;
  protocolResult: unknown | null = { user_fields: ["nick"], location_fields: ["channel"] };
  listResult: unknown[] = [{ protocol: "irc" }];

  transaction(txnId: TransactionId, parsed: ParsedTransaction): Promise<void> {
    this.transactions.push({ txnId, parsed });
    return this.onTransaction();
  }
  async queryUser(userId: UserId): Promise<boolean> {
    this.userQueries.push(userId);
    return this.userExists;
  }
  async queryAlias(alias: RoomAlias): Promise<boolean> {
    this.aliasQueries.push(alias);
    return this.aliasExists;
  }
  ping(transactionId: string | undefined): void {
    this.pings.push(transactionId);
  }
  async thirdPartyProtocol(protocol: string): Promise<unknown | null> {
    this.thirdPartyCalls.push(["protocol", protocol]);
    return this.protocolResult;
  }
  async thirdPartyLocations(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    this.thirdPartyCalls.push(["locations", protocol, fields]);
    return this.listResult;
  }
  async thirdPartyUsers(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    this.thirdPartyCalls.push(["users", protocol, fields]);
    return this.listResult;
  }
  async thirdPartyLocationsByAlias(alias: RoomAlias): Promise<unknown[]> {
    this.thirdPartyCalls.push(["locationsByAlias", alias]);
    return this.listResult;
  }
  async thirdPartyUsersById(userId: UserId): Promise<unknown[]> {
    this.thirdPartyCalls.push(["usersById", userId]);
    return this.listResult;
  }
}

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer …`; null sends no header. */
  token?: string | null;
  /** A JSON value, or a string sent exactly as given. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  json: unknown;
  text: string;
}

export let server: Server;
export let baseUrl: string;
export let handlers: RecordingHandlers;
export let logs: CapturedLogs;

beforeEach(async () => {
  handlers = new RecordingHandlers();
  logs = captureLogs();
  const app = createAppserviceApp({
    hsToken: HS_TOKEN,
    maxBodyBytes: MAX_BODY_BYTES,
    logger: logs.logger,
    handlers,
  });
  server = await listen(app, "127.0.0.1", 0);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

export async function call(path: string, options: CallOptions = {}): Promise<Answer> {
  const { method = "GET", token = HS_TOKEN, body, headers = {} } = options;
  const init: RequestInit = { method, headers: { ...headers } };
  const sent = init.headers as Record<string, string>;
  if (token !== null) sent["authorization"] = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    sent["content-type"] ??= "application/json";
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export const put = (path: string, body: unknown, options: CallOptions = {}) =>
  call(path, { ...options, method: "PUT", body });

export function assertError(answer: Answer, status: number, errcode: string): void {
  assert.equal(answer.status, status, answer.text);
  const json = answer.json as { errcode?: unknown; error?: unknown };
  assert.equal(json.errcode, errcode);
  assert.equal(typeof json.error, "string");
}

export const message = (body: string, extra: Record<string, unknown> = {}) => ({
  type: "m.room.message",
  room_id: "!room:example.org",
  sender: "@alice:example.org",
  event_id: `$${body}`,
  content: { msgtype: "m.text", body },
  ...extra,
});

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
