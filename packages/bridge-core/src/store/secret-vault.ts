// Credentials at rest (users' network passwords, login sessions): AES-256-GCM under one key kept in a file of its
// own, beside the store and not in it, so a copy of the store alone reveals nothing. Every record has its own random
// nonce and is bound to its owner (the Matrix user, as authenticated data), so a record copied to another user's
// entry fails to open instead of logging them in as someone else.
//
// The record format is the one the IRC plugin's password vault wrote, so its stored passwords open under this key.

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Beside the store's folder, not in it: a copy of the folder alone opens nothing. */
export const defaultKeyFile = (storePath: string): string => `${storePath.replace(/\/+$/, "")}.secrets.key`;

export interface SealedSecret {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v["v"] === 1 &&
    typeof v["iv"] === "string" &&
    typeof v["tag"] === "string" &&
    typeof v["data"] === "string"
  );
}

/** A key file the vault will not use: unreadable as a key, or open to other users. */
export class SecretKeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyFileError";
  }
}

export class SecretVault {
  private readonly key: Buffer;
  /** Set when the key file had to be made, so the bridge can say where. */
  readonly created: boolean;
  readonly keyFile: string;

  private constructor(key: Buffer, keyFile: string, created: boolean) {
    this.key = key;
    this.keyFile = keyFile;
    this.created = created;
  }

  /**
   * Reads the key (base64 of 32 bytes), or makes a new one readable by this user only when the file is missing
   * (unless `create` is false: then null). A key file others may read or write is refused: anyone who can read it
   * can open every stored credential.
   */
  static open(keyFile: string, options?: { create?: true }): SecretVault;
  static open(keyFile: string, options: { create: false }): SecretVault | null;
  static open(keyFile: string, options: { create?: boolean } = {}): SecretVault | null {
    let fd: number;
    try {
      fd = openSync(keyFile, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      if (options.create === false) return null;
      const key = randomBytes(KEY_BYTES);
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      // `wx`: should another process make the file meanwhile, fail rather than overwrite the key it wrote.
      writeFileSync(keyFile, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(keyFile, 0o600);
      return new SecretVault(key, keyFile, true);
    }
    try {
      // The mode of the file read, not of whatever the path names a moment later.
      if ((fstatSync(fd).mode & 0o077) !== 0) {
        throw new SecretKeyFileError(
          `${keyFile} (the key of stored credentials) can be read or written by other users; chmod 600 it`,
        );
      }
      const key = Buffer.from(readFileSync(fd, "utf8").trim(), "base64");
      if (key.length !== KEY_BYTES) {
        throw new SecretKeyFileError(`${keyFile} does not hold a key: expected ${KEY_BYTES} bytes in base64`);
      }
      return new SecretVault(key, keyFile, false);
    } finally {
      closeSync(fd);
    }
  }

  seal(owner: string, plaintext: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(owner, "utf8"));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return {
      v: 1,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
  }

  /**
   * A key for one purpose (the encryption engine's store passphrase), derived from this key: never written anywhere,
   * the same at every start, and another for every purpose, so one leaking reveals neither the key nor the others.
   */
  derive(purpose: string): string {
    return createHmac("sha256", this.key).update(purpose, "utf8").digest("base64");
  }

  /** The plaintext, or null when the record is not one, was tampered with, is someone else's or another key's. */
  open(owner: string, sealed: unknown): string | null {
    if (!isSealedSecret(sealed)) return null;
    // A shortened tag would be accepted by the decipher and weaken the check; only the full one counts.
    const tag = Buffer.from(sealed.tag, "base64");
    const iv = Buffer.from(sealed.iv, "base64");
    if (tag.length !== TAG_BYTES || iv.length !== IV_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
      decipher.setAAD(Buffer.from(owner, "utf8"));
      decipher.setAuthTag(tag);
      const data = Buffer.from(sealed.data, "base64");
      return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }
}
