import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TelegramApiError } from "node-telegram-bot-api";
import { ChatSendQueue } from "../src/send-queue.ts";

const tooMany = (seconds: number) =>
  new TelegramApiError(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });

describe("the per-chat send queue", () => {
  test("a 429 holds the chat for retry_after, then the same request goes again; order is kept", async () => {
    const waits: number[] = [];
    const log: string[] = [];
    const queue = new ChatSendQueue({
      signal: new AbortController().signal,
      wait: async (ms) => {
        waits.push(ms);
        log.push(`wait ${ms}`);
      },
    });
    let refusals = 2;
    const send = (text: string) =>
      queue.run("-100", async () => {
        if (refusals > 0) {
          refusals--;
          log.push(`429 ${text}`);
          throw tooMany(3);
        }
        log.push(`sent ${text}`);
        return text;
      });
    const results = await Promise.all([send("one"), send("two"), send("three")]);
    assert.deepEqual(results, ["one", "two", "three"]);
    assert.deepEqual(waits, [3000, 3000]);
    assert.deepEqual(log, [
      "429 one",
      "wait 3000",
      "429 one",
      "wait 3000",
      "sent one",
      "sent two",
      "sent three",
    ]);
  });

  test("a chat held by a 429 does not hold the others", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new ChatSendQueue({ signal: new AbortController().signal, wait: () => held });
    let first = true;
    const slow = queue.run("a", async () => {
      if (first) {
        first = false;
        throw tooMany(60);
      }
      return "a";
    });
    assert.equal(await queue.run("b", async () => "b"), "b");
    release();
    assert.equal(await slow, "a");
  });

  test("other failures reach the caller, and the chat's next request still goes", async () => {
    const queue = new ChatSendQueue({ signal: new AbortController().signal, wait: async () => undefined });
    await assert.rejects(
      queue.run("a", async () => {
        throw new TelegramApiError(400, "Bad Request: can't parse entities");
      }),
      /can't parse entities/,
    );
    assert.equal(await queue.run("a", async () => "next"), "next");
  });

  test("stopping the bridge ends a wait instead of sending after it", async () => {
    const stopping = new AbortController();
    const queue = new ChatSendQueue({ signal: stopping.signal });
    let attempts = 0;
    let attempted: () => void = () => undefined;
    const firstAttempt = new Promise<void>((resolve) => {
      attempted = resolve;
    });
    const pending = queue.run("a", async () => {
      attempts++;
      attempted();
      throw tooMany(3600);
    });
    await firstAttempt;
    stopping.abort();
    await assert.rejects(pending);
    assert.equal(attempts, 1);
  });
});
