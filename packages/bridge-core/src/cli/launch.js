#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=2 --optimize-for-size
// The matrix-bridge command as installed (bin, systemd unit). Plain JavaScript on purpose: Node strips a TypeScript
// file's types with a WebAssembly compiler that, once loaded, stays in the process (about 20 MB resident). With the
// compile cache on, the stripped sources are read back from the cache on every later start and that compiler is
// never loaded; a TypeScript entry point would load it before any line of it could turn the cache on.
//
// --max-semi-space-size=2: V8 grows the young generation under a burst of allocation (a thousand puppets
// connecting) and keeps its pages. --optimize-for-size: V8 grows the old generation in smaller steps and collects
// sooner, instead of keeping room a burst once needed. MALLOC_ARENA_MAX=1: glibc gives every thread that allocates
// (V8's helpers, libuv's pool) an arena of its own, and after a burst each keeps the pages it touched (about 15 MB in
// all with a thousand puppets); Node's work happens on one thread, so one arena costs no speed (the ingest benchmark
// measured the same rate with and without). Measured with a thousand IRC puppets in bench/results/puppets.md.
// The systemd unit sets the same, since it runs node on this file directly.

import { enableCompileCache } from "node:module";

// NODE_COMPILE_CACHE names the folder when set (the systemd unit puts it in the state directory, which survives
// restarts); otherwise the system's temporary folder.
enableCompileCache();
await import("./main.ts");
