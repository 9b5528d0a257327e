// XEP-0363 against real Prosody (mod_http_file_share) and ejabberd (mod_http_upload) and a real Synapse: a Matrix
// file sent to a MUC is put on the XMPP server's upload service, and the message carries that link (XEP-0066).
// Without a service, the link is the bridge's media proxy (xmpp-bridge.test.ts).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { EjabberdServer } from "../harness/xmpp/ejabberd.ts";
import { useMucSuite } from "../harness/xmpp/muc-suite.ts";
import { ProsodyServer } from "../harness/xmpp/prosody.ts";
import type { XmppServer } from "../harness/xmpp/xmpp-server.ts";

const SERVERS_WITH_UPLOAD: [string, (runDir: string) => Promise<XmppServer>][] = [
  ["Prosody", (runDir) => ProsodyServer.create({ runDir, httpUpload: true })],
  ["ejabberd", (runDir) => EjabberdServer.create({ runDir, httpUpload: true })],
];

for (const [software, createServer] of SERVERS_WITH_UPLOAD)
  describe(`XEP-0363 uploads with ${software} and Synapse`, () => {
    const suite = useMucSuite(`xmpp-upload-${software.toLowerCase()}`, createServer, "upload");

    test("a Matrix file goes to the XMPP server's upload service, and the message links it there", async () => {
      const { alice, carol, muc, room, server, stack } = suite();
      const file = randomBytes(100_000);
      const uploaded = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=notes.bin`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "application/octet-stream" },
        body: file,
      });
      const mxc = ((await uploaded.json()) as { content_uri: string }).content_uri;
      await alice.sendMessage(room, {
        msgtype: "m.file",
        body: "notes <1>.bin",
        url: mxc,
        info: { mimetype: "application/octet-stream", size: file.byteLength },
      });
      const shared = await carol.waitFor(
        (s) => s.attrs["from"] === `${muc}/Alice` && s.getChild("x", "jabber:x:oob") !== undefined,
        "alice's file",
      );
      const link = shared.getChild("x", "jabber:x:oob")?.getChildText("url") ?? "";
      assert.equal(shared.getChildText("body"), link);
      assert.ok(link.startsWith(`http://${server.host}:${server.upload?.httpPort}/`), link);
      const download = await fetch(link);
      assert.equal(download.status, 200);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), file);
    });
  });
