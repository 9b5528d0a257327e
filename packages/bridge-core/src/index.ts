export * from "./ids.ts";
