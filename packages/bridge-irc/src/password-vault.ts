// Users' NickServ/SASL passwords at rest: AES-256-GCM under a key kept in a file of its own, apart from the bridge's
// store, so a copy of the store alone reveals nothing. Each record is bound to its Matrix user (as authenticated
// data), so a record copied to another user's entry fails to decrypt instead of logging them in as someone else.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

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

export class PasswordVault {
  private readonly key: Buffer;
  /** Set when the key file had to be made, so the bridge can say where. */
  readonly created: boolean;
  /** Set when the key file can be read by others than its owner. */
  readonly tooOpen: boolean;

  private constructor(key: Buffer, created: boolean, tooOpen: boolean) {
    this.key = key;
    this.created = created;
    this.tooOpen = tooOpen;
  }

  /** Reads the key (base64 of 32 bytes), or makes a new one readable by this user only when the file is missing. */
  static open(keyFile: string): PasswordVault {
    let text: string;
    try {
      text = readFileSync(keyFile, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const key = randomBytes(KEY_BYTES);
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      // `wx`: should another process make the file meanwhile, fail rather than overwrite the key it wrote.
      writeFileSync(keyFile, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(keyFile, 0o600);
      return new PasswordVault(key, true, false);
    }
    const key = Buffer.from(text.trim(), "base64");
    if (key.length !== KEY_BYTES) {
      throw new Error(`${keyFile} does not hold a key: expected ${KEY_BYTES} bytes in base64`);
    }
    const tooOpen = (statSync(keyFile).mode & 0o077) !== 0;
    return new PasswordVault(key, false, tooOpen);
  }

  seal(secret: string, owner: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(owner, "utf8"));
    const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return {
      v: 1,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
  }

  /** The secret, or null when the record was tampered with, belongs to someone else or another key sealed it. */
  open(sealed: SealedSecret, owner: string): string | null {
    // A shortened tag would be accepted by the decipher and weaken the check; only the full one counts.
    const tag = Buffer.from(sealed.tag, "base64");
    if (tag.length !== TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(Buffer.from(owner, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      return null;
    }
  }
}
