// What the level store's parts share: JSON values in named sublevels, and keys that sort by number.

import type { Level } from "level";

export type Json = Record<string, unknown>;

export const makeSublevel = (db: Level<string, Json>, name: string) =>
  db.sublevel<string, Json>(name, { valueEncoding: "json" });

export type Sub = ReturnType<typeof makeSublevel>;

/** One write of an atomic batch on the root database, into a sublevel. */
export type BatchOp =
  | { type: "put"; sublevel: Sub; key: string; value: Json }
  | { type: "del"; sublevel: Sub; key: string };

const SEQ_WIDTH = 16;

/** A sequence number as a key that sorts in numeric order. */
export const seqKey = (seq: number): string => String(seq).padStart(SEQ_WIDTH, "0");
