// What a crypto engine asks the homeserver for (upload its keys, query and claim other devices' keys, send to-device
// messages), sent as the engine's own device. An application service has no access token per device: it acts as the
// user with `user_id` and as the device with `device_id` (MSC4190's device masquerading), so the homeserver sees the
// same device as if that device had logged in.

import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import type { UserId } from "../ids.ts";
import { type HttpMethod, type MatrixClient, matrixPath } from "../matrix/client.ts";

/** A request of the engine's own, as `OlmMachine.outgoingRequests()` and its siblings hand them out. */
export type EngineRequest =
  | sdk.KeysUploadRequest
  | sdk.KeysQueryRequest
  | sdk.KeysClaimRequest
  | sdk.ToDeviceRequest
  | sdk.SignatureUploadRequest
  | sdk.RoomMessageRequest
  | sdk.KeysBackupRequest;

interface HttpCall {
  method: HttpMethod;
  path: string;
  body: unknown;
}

/** Where each kind of request goes; null for key backups, which the bridge never turns on. */
function httpCallFor(request: EngineRequest): HttpCall | null {
  if (request instanceof sdk.KeysUploadRequest)
    return { method: "POST", path: "/_matrix/client/v3/keys/upload", body: JSON.parse(request.body) };
  if (request instanceof sdk.KeysQueryRequest)
    return { method: "POST", path: "/_matrix/client/v3/keys/query", body: JSON.parse(request.body) };
  if (request instanceof sdk.KeysClaimRequest)
    return { method: "POST", path: "/_matrix/client/v3/keys/claim", body: JSON.parse(request.body) };
  if (request instanceof sdk.SignatureUploadRequest)
    return {
      method: "POST",
      path: "/_matrix/client/v3/keys/signatures/upload",
      body: JSON.parse(request.body),
    };
  if (request instanceof sdk.ToDeviceRequest) {
    const path = matrixPath`/_matrix/client/v3/sendToDevice/${request.event_type}/${request.txn_id}`;
    return { method: "PUT", path, body: JSON.parse(request.body) };
  }
  if (request instanceof sdk.RoomMessageRequest) {
    const path = matrixPath`/_matrix/client/v3/rooms/${request.room_id}/send/${request.event_type}/${request.txn_id}`;
    return { method: "PUT", path, body: JSON.parse(request.body) };
  }
  return null;
}

/**
 * Sends one request as `userId`'s device `deviceId` and tells the engine the answer. Each of these is safe to repeat
 * (uploads of the same keys, queries, claims, to-device and room sends under their transaction ids), so the client
 * retries them after a lost answer.
 */
export async function sendEngineRequest(
  client: MatrixClient,
  machine: sdk.OlmMachine,
  userId: UserId,
  deviceId: string,
  request: EngineRequest,
): Promise<void> {
  const call = httpCallFor(request);
  if (call === null || request.id === undefined) return;
  const response = await client.request<unknown>(call.method, call.path, {
    body: call.body,
    asUser: userId,
    query: { device_id: deviceId },
    idempotent: true,
  });
  await machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
}
