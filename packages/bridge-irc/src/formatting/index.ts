export * from "./codes.ts";
export * from "./irc-to-matrix.ts";
export * from "./lines.ts";
export * from "./matrix-to-irc.ts";
export * from "./mentions.ts";
