// Presence and contacts across the XMPP bridge against real Prosody and ejabberd and a real Synapse: occupants' and
// contacts' availability and status text become their ghosts' Matrix presence, a Matrix user's presence shows as their
// JID's in the MUCs it is in and to the contacts it chats with, and contacts' XEP-0084 avatars become their ghosts'.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { ghostOf, useMucSuite, XMPP_SERVERS } from "../harness/xmpp/muc-suite.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";

interface MatrixPresence {
  presence: string;
  status_msg?: string;
}

/** Polls `userId`'s presence as `client` sees it until `matches`; fails with the last answer after 15 s. */
async function waitForPresence(
  client: TestClient,
  userId: string,
  matches: (p: MatrixPresence) => boolean,
): Promise<MatrixPresence> {
  const path = `/_matrix/client/v3/presence/${encodeURIComponent(userId)}/status`;
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await client.request<MatrixPresence>("GET", path).catch((err: unknown) => String(err));
    if (typeof last === "object" && matches(last as MatrixPresence)) return last as MatrixPresence;
    await sleep(200);
  }
  throw new Error(`${userId}'s presence never matched; last: ${JSON.stringify(last)}`);
}

function setPresence(client: TestClient, presence: string, statusMsg: string): Promise<unknown> {
  const path = `/_matrix/client/v3/presence/${encodeURIComponent(client.userId)}/status`;
  return client.request("PUT", path, { presence, status_msg: statusMsg });
}

const isPresence = (from: string, show: string, status: string) => (s: Element) =>
  s.name === "presence" &&
  s.attrs["from"] === from &&
  s.attrs["type"] === undefined &&
  s.getChildText("show") === show &&
  s.getChildText("status") === status;

for (const [software, createServer] of XMPP_SERVERS)
  describe(`XMPP presence with ${software} and Synapse`, () => {
    const suite = useMucSuite(`xmpp-presence-${software.toLowerCase()}`, createServer, "presence");

    test("an occupant's availability and status text become their ghost's Matrix presence", async () => {
      const { alice, carol, muc, stack } = suite();
      const carolGhost = ghostOf(stack, `${muc}/carol`);
      await carol.send(
        xml(
          "presence",
          { to: `${muc}/carol` },
          xml("show", {}, "away"),
          xml("status", {}, "out <for> lunch"),
        ),
      );
      await waitForPresence(
        alice,
        carolGhost,
        (p) => p.presence === "unavailable" && p.status_msg === "out <for> lunch",
      );
      await carol.send(xml("presence", { to: `${muc}/carol` }, xml("status", {}, "back")));
      await waitForPresence(alice, carolGhost, (p) => p.presence === "online" && p.status_msg === "back");
    });

    test("a Matrix user's presence shows as their occupant's in the MUC", async () => {
      const { alice, carol, muc } = suite();
      await setPresence(alice, "unavailable", "in a meeting ]]> <x/>");
      const seen = await carol.waitFor(
        isPresence(`${muc}/Alice`, "away", "in a meeting ]]> <x/>"),
        "Alice's away presence",
      );
      assert.equal(seen.getChildren("x").filter((x) => x.attrs["xmlns"] === undefined).length, 0);
    });

    test("contacts' presence reaches their ghosts, and a Matrix user's reaches the contacts they chat with", async () => {
      const { alice, server, stack } = suite();
      const aliceJid = `alice\\3a${stack.synapse.serverName.replaceAll(":", "\\3a")}@${server.componentDomain}`;
      const dave = await XmppTestClient.connect(server, "dave");
      try {
        const daveGhost = ghostOf(stack, `dave@${server.domain}`);
        await dave.send(
          xml("message", { to: aliceJid, type: "chat", id: "dm-1" }, xml("body", {}, "hi alice")),
        );
        const dm = await alice.waitForInvite((e) => e.sender === daveGhost);
        await alice.join(dm);
        await dave.send(xml("presence", { to: aliceJid }, xml("show", {}, "dnd"), xml("status", {}, "busy")));
        await waitForPresence(
          alice,
          daveGhost,
          (p) => p.presence === "unavailable" && p.status_msg === "busy",
        );
        await dave.send(xml("presence", { to: aliceJid, type: "unavailable" }));
        await waitForPresence(alice, daveGhost, (p) => p.presence === "offline");

        await setPresence(alice, "unavailable", "gone fishing");
        await dave.waitFor(isPresence(`${aliceJid}/matrix`, "away", "gone fishing"), "Alice's presence");
      } finally {
        await dave.close();
      }
    });

    test("a contact's XEP-0084 (PEP) avatar becomes their ghost's avatar", async () => {
      const { alice, server, stack } = suite();
      const aliceJid = `alice\\3a${stack.synapse.serverName.replaceAll(":", "\\3a")}@${server.componentDomain}`;
      const ivy = await XmppTestClient.connect(server, "ivy");
      try {
        const photo = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(64)]);
        await ivy.publishPepAvatar(photo, "image/png");
        const ivyGhost = ghostOf(stack, `ivy@${server.domain}`);
        await ivy.send(
          xml("message", { to: aliceJid, type: "chat", id: "ivy-1" }, xml("body", {}, "see my face")),
        );
        await alice.waitForInvite((e) => e.sender === ivyGhost);
        const profile = await alice.request<{ avatar_url?: string }>(
          "GET",
          `/_matrix/client/v3/profile/${encodeURIComponent(ivyGhost)}`,
        );
        const [serverName, mediaId] = String(profile.avatar_url).slice("mxc://".length).split("/");
        const download = await fetch(
          `${stack.synapse.url}/_matrix/client/v1/media/download/${serverName}/${mediaId}`,
          { headers: { authorization: `Bearer ${alice.accessToken}` } },
        );
        assert.deepEqual(Buffer.from(await download.arrayBuffer()), photo);
      } finally {
        await ivy.close();
      }
    });
  });
