#!/usr/bin/env node
// `matrix-bridge`: generate a registration file (-r) or run the bridge, the way admins know from other bridges.

import { pathToFileURL } from "node:url";
import { Bridge } from "../bridge/bridge.ts";
import { HomeserverPingError } from "../bridge/homeserver-ping.ts";
import { offlineNetworkContext } from "../bridge/network-context.ts";
import { ConfigError, loadConfig, loadConfigWithWarnings } from "../config/load.ts";
import type { BridgeConfig } from "../config/schema.ts";
import { EncryptionSetupError } from "../crypto/encryption-names.ts";
import { Logger, sinkFor } from "../log.ts";
import type { NetworkFactory } from "../network.ts";
import {
  generateDoublePuppetRegistration,
  generateRegistration,
  loadRegistration,
  RegistrationError,
  unanchoredNamespaces,
  writeRegistration,
} from "../registration/registration.ts";
import { StoreVersionError } from "../store/schema-version.ts";
import { templateProblem } from "../templates.ts";
import { BRIDGE_VERSION } from "../version.ts";
import { CliUsageError, parseCliArgs } from "./args.ts";
import { writeExampleConfig, writeUpgradedConfig } from "./config-files.ts";
import { MIGRATE_USAGE, MigrateStoreError, migrateStore, parseMigrateArgs } from "./migrate-store.ts";

/** Errors whose message is the whole story for the admin; anything else is a bug and gets its stack. */
const EXPLAINED = [
  CliUsageError,
  ConfigError,
  RegistrationError,
  HomeserverPingError,
  StoreVersionError,
  MigrateStoreError,
  EncryptionSetupError,
];

async function loadNetwork(config: BridgeConfig): Promise<NetworkFactory> {
  const specifier = config.network.module.startsWith("/")
    ? pathToFileURL(config.network.module).href
    : config.network.module;
  const mod = (await import(specifier)) as { default?: unknown };
  if (typeof mod.default !== "function") {
    throw new ConfigError(
      `network.module: ${config.network.module} has no default export building a network plugin`,
    );
  }
  return mod.default as NetworkFactory;
}

async function generate(configPath: string, registrationPath: string, url: string): Promise<void> {
  const config = loadConfig(configPath);
  // Only the plugin's info is wanted, but making it also checks its settings, so a bad one shows before the
  // homeserver is told about the bridge.
  const network = (await loadNetwork(config))(
    offlineNetworkContext(
      config.network.config,
      Logger.create({ level: "warn" }),
      "while generating a registration",
    ),
  );
  // A plugin's own default templates bypass the config check; report them the same way.
  for (const [key, template] of [
    ["network.ghost_template", config.network.ghostTemplate ?? network.info.ghostTemplate],
    ["network.alias_template", config.network.aliasTemplate ?? network.info.aliasTemplate],
  ] as const) {
    const problem = templateProblem(template);
    if (problem !== null)
      throw new ConfigError(`${configPath}: ${key} (${JSON.stringify(template)}): ${problem}`);
  }
  const registration = generateRegistration({
    id: config.appservice.id,
    url,
    senderLocalpart: config.appservice.botUsername,
    domain: config.homeserver.domain,
    ghostTemplates: [config.network.ghostTemplate ?? network.info.ghostTemplate],
    aliasTemplates: [config.network.aliasTemplate ?? network.info.aliasTemplate],
    protocols: [network.info.id],
    encryption: config.encryption?.allow === true,
  });
  writeRegistration(registrationPath, registration);
  process.stdout.write(
    `Wrote ${registrationPath}.\nAdd it to app_service_config_files in the homeserver's config, restart the homeserver, then start the bridge with -c ${configPath} -f ${registrationPath}.\n`,
  );
}

function generateDoublePuppet(configPath: string, registrationPath: string): void {
  const config = loadConfig(configPath);
  const registration = generateDoublePuppetRegistration({
    id: `${config.appservice.id}-doublepuppet`,
    domain: config.homeserver.domain,
    url: null,
  });
  writeRegistration(registrationPath, registration);
  process.stdout.write(
    `Wrote ${registrationPath}.\nAdd it to app_service_config_files in the homeserver's config, restart the homeserver, and set double_puppet.registration in ${configPath} to it.\n`,
  );
}

async function run(configPath: string, registrationPath: string, port: number | undefined): Promise<void> {
  const { config, warnings } = loadConfigWithWarnings(configPath);
  const registration = loadRegistration(registrationPath);
  if (registration.id !== config.appservice.id) {
    throw new RegistrationError(
      `${registrationPath}: id "${registration.id}" does not match appservice.id "${config.appservice.id}" in ${configPath}`,
    );
  }
  const logger = Logger.create({
    level: config.logging.level,
    sink: sinkFor({
      ...(config.logging.format !== undefined && { format: config.logging.format }),
      ...(config.logging.file !== undefined && { file: config.logging.file }),
    }),
  });
  logger.info("starting", { version: BRIDGE_VERSION, node: process.versions.node });
  // Keys an older config version had still work for now; say what to write instead.
  for (const warning of warnings) logger.warn(warning);
  for (const regex of unanchoredNamespaces(registration)) {
    logger.warn(
      "a namespace of the registration is not anchored (^…$) and claims ids of other servers; regenerate it with -r",
      {
        regex,
      },
    );
  }
  const bridge = new Bridge({
    config,
    registration,
    network: await loadNetwork(config),
    logger,
    ...(port !== undefined ? { port } : {}),
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    bridge.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error("shutdown failed", { err });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    await bridge.start();
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    throw err;
  }
  process.stdout.write(`Bridge running; application service API on port ${bridge.port}.\n`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "migrate-store") {
    const migrate = parseMigrateArgs(argv.slice(1));
    if (migrate === "help") process.stdout.write(`${MIGRATE_USAGE}\n`);
    else await migrateStore(migrate, (line) => process.stdout.write(`${line}\n`));
    return;
  }
  const args = parseCliArgs(argv);
  if (args.kind === "help") process.stdout.write(`${args.text}\n`);
  else if (args.kind === "version") process.stdout.write(`matrix-bridge ${BRIDGE_VERSION}\n`);
  else if (args.kind === "example-config") writeExampleConfig(args.configPath, args.network);
  else if (args.kind === "upgrade-config") writeUpgradedConfig(args.configPath);
  else if (args.kind === "generate") await generate(args.configPath, args.registrationPath, args.url);
  else if (args.kind === "generate-double-puppet")
    generateDoublePuppet(args.configPath, args.registrationPath);
  else await run(args.configPath, args.registrationPath, args.port);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const explained = EXPLAINED.some((kind) => err instanceof kind);
  process.stderr.write(`${explained ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
