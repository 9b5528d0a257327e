import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type MatrixMessage, type OutgoingMedia, parseUserId, remoteRoomId, remoteUserId } from "bridge-core";
import { utf8Length } from "../src/formatting/lines.ts";
import { outgoingLines } from "../src/outgoing-lines.ts";

const relay = { kind: "relay" as const, marks: { displayName: "Bob", before: "<Bob> ", after: "" } };

function message(overrides: Partial<MatrixMessage> = {}): MatrixMessage {
  return {
    remoteRoomId: remoteRoomId("#lobby"),
    sender: parseUserId("@bob:example.org"),
    senderName: "Bob",
    as: { kind: "puppet", remoteUserId: remoteUserId("bob[m]") },
    kind: "text",
    text: [{ type: "text", text: "hello" }],
    ...overrides,
  };
}

async function linesOf(m: MatrixMessage, budget = 400) {
  const uploads: string[] = [];
  const lines = await outgoingLines(m, {
    budget,
    maxLines: 3,
    mentionedNick: (user) => (user === "carol" ? "Carol" : null),
    media: {
      uploadWithLink: async (data) => {
        uploads.push(new TextDecoder().decode(data));
        return "https://bridge.test/paste";
      },
    },
  });
  return { lines, uploads };
}

describe("outgoingLines", () => {
  it("formats the text and writes mentions as nicks", async () => {
    const { lines } = await linesOf(
      message({
        text: [
          { type: "mention", user: remoteUserId("carol"), name: "Carol C." },
          { type: "text", text: ": " },
          { type: "bold", children: [{ type: "text", text: "hi" }] },
        ],
      }),
    );
    assert.deepEqual(lines, ["Carol: \x02hi"]);
  });

  it("quotes the message answered on a line of its own, since IRC has no replies", async () => {
    const { lines } = await linesOf(message({ reply: { author: "Carol\r\nx", text: "what \x02now" } }));
    assert.deepEqual(lines, ["> <Carol x> what now", "hello"]);
  });

  it("marks every line of a relayed message, the quote and every split piece included", async () => {
    const { lines } = await linesOf(
      message({
        as: relay,
        text: [{ type: "text", text: `one\n${"x".repeat(60)} two` }],
        reply: { author: "Carol", text: "q" },
      }),
      40,
    );
    assert.ok(lines.length > 3);
    for (const line of lines) {
      assert.ok(line.startsWith("<Bob> "), line);
      assert.ok(utf8Length(line) <= 40, line);
    }
    assert.deepEqual(lines.slice(0, 2), ["<Bob> > <Carol> q", "<Bob> one"]);
  });

  it("sends a file as its name and a link anyone can open, marked when relayed", async () => {
    let linked = 0;
    const media: OutgoingMedia = {
      kind: "image",
      filename: "cat\n.png",
      link: () => `https://bridge.test/cat-${++linked}`,
      download: async () => {
        throw new Error("IRC takes links");
      },
    };
    assert.deepEqual((await linesOf(message({ media }))).lines, ["cat .png: https://bridge.test/cat-1"]);
    assert.deepEqual((await linesOf(message({ media, as: relay }))).lines, [
      "<Bob> cat .png: https://bridge.test/cat-2",
    ]);
  });

  it("sends a paste of many lines as its first line and a link to the text as written", async () => {
    const text = "line 1\n\nline 2\nline 3\nline 4";
    const { lines, uploads } = await linesOf(message({ text: [{ type: "text", text }] }));
    assert.deepEqual(lines, ["line 1 (full message: https://bridge.test/paste)"]);
    assert.deepEqual(uploads, [text]);
    const relayed = await linesOf(
      message({ as: relay, text: [{ type: "text", text: "x".repeat(300) + "\nb\nc\nd" }] }),
      60,
    );
    for (const line of relayed.lines) assert.ok(line.startsWith("<Bob> "), line);
    assert.match(
      relayed.lines.map((line) => line.slice("<Bob> ".length)).join(""),
      /^x{100}… \(full message: /,
    );
  });

  it("leaves short messages alone, however long their lines", async () => {
    const { lines, uploads } = await linesOf(message({ text: [{ type: "text", text: "a\nb\nc" }] }));
    assert.deepEqual(lines, ["a", "b", "c"]);
    assert.deepEqual(uploads, []);
  });
});
