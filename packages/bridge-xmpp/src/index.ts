// The XMPP bridge: `network.module: bridge-xmpp` in the bridge's config, with its settings under `network.config`
// (see config.ts and the package's README).

import type { NetworkFactory } from "bridge-core";
import { parseXmppConfig } from "./config.ts";
import { XmppNetwork } from "./xmpp-network.ts";

export { parseXmppConfig, type XmppConfig } from "./config.ts";
export { decodeWholeCharacters } from "./whole-characters.ts";
export { XmppNetwork } from "./xmpp-network.ts";

const createXmppNetwork: NetworkFactory = (context) =>
  new XmppNetwork(parseXmppConfig(context.config), context);
export default createXmppNetwork;
