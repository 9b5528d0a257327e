// Runs one IRC server process for the harness, ready once a real client registers. An open port alone is not
// "ready": ergo, InspIRCd and ngIRCd all listen before they finish loading, so readiness is a full NICK/USER
// handshake answered with 001.

import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { ManagedProcess } from "../managed-process.ts";

/** What every IRC server of the harness offers, whichever software runs it. */
export interface IrcServer {
  readonly software: "ergo" | "inspircd" | "ngircd";
  /** The server's own name, the prefix of its numerics. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The server's folder inside the run folder: configuration, data and logs. */
  readonly dataDir: string;
  /** The server's log; a failed start quotes its last lines. */
  readonly logPath: string;
  /** The running process's id, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Starts the server and resolves once a client can register. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period; the data stays for the next `start()`. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops, and removes the data folder unless it should be kept for a look after a failure. */
  destroy(keepData: boolean): Promise<void>;
}

export interface ServerProcessSpec {
  /** Used in error messages, e.g. "ergo". */
  label: string;
  command: string;
  args: string[];
  cwd: string;
  host: string;
  port: number;
  /** Where the process's stdout and stderr go. */
  outputPath: string;
  /** Files whose ends a failed start quotes, the output included. */
  logPaths: string[];
  readyTimeoutMs?: number;
  stopGraceMs?: number;
}

const PROBE_TIMEOUT_MS = 5_000;

export class ServerProcess extends ManagedProcess {
  constructor({ host, port, ...spec }: ServerProcessSpec) {
    super({
      ...spec,
      isReady: async () => {
        const outcome = await registers(host, port);
        return outcome === "registered" || outcome;
      },
      readiness: "register a client",
    });
  }
}

/** One line from the server: its source, command and parameters, the trailing one without its colon. */
export interface ProbeLine {
  readonly line: string;
  /** The source without its colon, e.g. "NickServ!NickServ@services.test", or "" when there is none. */
  readonly source: string;
  readonly command: string;
  readonly params: readonly string[];
}

export interface ProbeFollowUp {
  /** Lines sent once the server has welcomed the probe, without line endings. */
  send: string[];
  /** Looks at each later line: "ready" ends the probe successfully, another text ends it with that reason. */
  check: (line: ProbeLine) => "ready" | string | undefined;
}

/**
 * Connects, registers with NICK/USER and quits: "registered" once 001 arrives, otherwise a short reason. Answers a
 * PING on the way, which some servers send before registration completes.
 */
export function registers(host: string, port: number): Promise<string> {
  return probe(host, port);
}

/**
 * Like `registers`, and then sends `followUp.send` and waits for `followUp.check` to decide: "ready" once it says
 * so, otherwise its reason or a short one of the probe's own.
 */
export function probe(host: string, port: number, followUp?: ProbeFollowUp): Promise<string> {
  return new Promise((resolveProbe) => {
    const nick = `probe${randomBytes(3).toString("hex")}`;
    const socket = connect({ host, port });
    let buffered = "";
    let settled = false;
    let welcomed = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: string, success: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (success) socket.end("QUIT :ready\r\n");
      else socket.destroy();
      resolveProbe(outcome);
    };
    const waitingFor = (): string => (welcomed ? "an answer after 001" : "001");
    timer = setTimeout(
      () => settle(`no ${waitingFor()} within ${PROBE_TIMEOUT_MS} ms`, false),
      PROBE_TIMEOUT_MS,
    );
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :readiness probe\r\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\r\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = parseLine(line);
        if (parsed.command === "PING") socket.write(`PONG :${parsed.params.at(-1) ?? ""}\r\n`);
        else if (parsed.command === "ERROR") settle(line, false);
        else if (parsed.command === "001" && !welcomed) {
          welcomed = true;
          if (!followUp) settle("registered", true);
          else socket.write(followUp.send.map((sent) => `${sent}\r\n`).join(""));
        } else if (welcomed && followUp) {
          const verdict = followUp.check(parsed);
          if (verdict !== undefined) settle(verdict, verdict === "ready");
        }
      }
    });
    socket.once("error", (error) => settle(error.message, false));
    socket.once("close", () => settle(`connection closed before ${waitingFor()}`, false));
  });
}

function parseLine(line: string): ProbeLine {
  let rest = line;
  let source = "";
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    source = rest.slice(1, space < 0 ? undefined : space);
    rest = space < 0 ? "" : rest.slice(space + 1);
  }
  const trailingAt = rest.startsWith(":") ? 0 : rest.indexOf(" :");
  const words = (trailingAt < 0 ? rest : rest.slice(0, trailingAt)).split(" ").filter((word) => word !== "");
  const command = words.shift() ?? "";
  if (trailingAt >= 0) words.push(rest.slice(trailingAt + (trailingAt === 0 ? 1 : 2)));
  return { line, source, command, params: words };
}
