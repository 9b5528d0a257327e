// One folder per suite run for the homeserver's data and every log of the bridge under test. A passing run leaves
// nothing behind; a failing one keeps it all and says where, so a failure on CI can be read afterwards.

import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before } from "node:test";
import { RUNS_DIR } from "./paths.ts";

export interface RunDir {
  readonly path: string;
  /** Removes the folder, or keeps it and prints where when the run failed. Later calls do nothing. */
  finish(failed: boolean): void;
}

export function createRunDir(name: string): RunDir {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const path = join(RUNS_DIR, `${name}-${stamp}-${randomBytes(3).toString("hex")}`);
  mkdirSync(path, { recursive: true });
  let finished = false;
  return {
    path,
    finish(failed: boolean): void {
      if (finished) return;
      finished = true;
      if (failed) process.stderr.write(`logs kept in ${path}\n`);
      else rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export type Teardown = (failed: boolean) => Promise<void> | void;

export interface SuiteRunDir {
  /** The folder; it exists from the suite's first `before` hook on. */
  readonly path: string;
  /**
   * Runs `teardown` when the suite ends, before the folder is removed or kept (the last one added runs first). Stop
   * whatever writes into the folder this way: node:test runs `after` hooks in the order they were added, so a hook of
   * the suite's own would run after the folder was already gone.
   */
  addTeardown(teardown: Teardown): void;
}

/**
 * A run folder for the node:test suite (or file) this is called in. Call it before the suite's own hooks, so the
 * folder exists when they run.
 */
export function useRunDir(name: string): SuiteRunDir {
  let runDir: RunDir | undefined;
  let failedTests = 0;
  let finishedTests = 0;
  const teardowns: Teardown[] = [];

  before(() => {
    runDir = createRunDir(name);
  });
  afterEach((context) => {
    finishedTests += 1;
    // Typed as a test or suite context, but afterEach only ever runs for tests, which say whether they passed.
    if ("passed" in context && !context.passed) failedTests += 1;
  });
  after(async () => {
    // A failing `before` hook cancels the tests without running `afterEach`, so no finished test counts as a failure.
    const failed = failedTests > 0 || finishedTests === 0;
    const errors: unknown[] = [];
    for (const teardown of teardowns.reverse()) {
      try {
        await teardown(failed);
      } catch (error) {
        errors.push(error);
      }
    }
    runDir?.finish(failed || errors.length > 0);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} teardowns of ${name} failed`);
  });

  return {
    get path(): string {
      if (!runDir) throw new Error(`the run folder of ${name} exists only once the suite's hooks run`);
      return runDir.path;
    },
    addTeardown(teardown: Teardown): void {
      teardowns.push(teardown);
    },
  };
}
