// Children that must not outlive the test process: a homeserver left running holds its port and eats memory on a
// shared CI machine, and an installer left running keeps writing into a virtualenv the next attempt replaces. Exit
// handlers cannot cover a test process that is SIGKILLed or times out, so the child asks the kernel instead:
// a small python launcher sets PR_SET_PDEATHSIG, which survives the exec into the real command (same pid).

import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { systemPython } from "./system-python.ts";

const LAUNCHER = [
  "import ctypes, os, signal, sys",
  "if sys.platform == 'linux':",
  "    ctypes.CDLL(None).prctl(1, signal.SIGKILL)",
  "    if os.getppid() != int(sys.argv[1]):",
  "        sys.exit('the process that started this one is already gone')",
  "os.execvp(sys.argv[2], sys.argv[2:])",
].join("\n");

/** Like `spawn`, but the child is killed when this process dies, however it dies (on Linux). */
export function spawnTied(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(systemPython(), ["-c", LAUNCHER, String(process.pid), command, ...args], options);
}
