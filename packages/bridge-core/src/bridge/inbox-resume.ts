// The order a start hands accepted events to the pipeline in: those left from before the stop and those accepted
// while the bridge was starting, each once, by their order of arrival.

import type { InboxEntry } from "../store/store.ts";

/**
 * `listed`: what the store held at the start (it may or may not include some of `held`, depending on when it was
 * read); `held`: what transactions brought during the start. Handling runs one entry of a room at a time, so only the
 * first entry of a room left from before can have been under way when the bridge stopped: it is marked `resumed`.
 */
export function resumeOrder(listed: InboxEntry[], held: InboxEntry[]): InboxEntry[] {
  const bySeq = new Map([...listed, ...held].map((entry) => [entry.seq, entry]));
  // An entry accepted during the start cannot have been under way before the stop, even where the listing has it.
  const during = new Set(held.map((entry) => entry.seq));
  const left = new Set(listed.filter((entry) => !during.has(entry.seq)).map((entry) => entry.seq));
  const roomsSeen = new Set<unknown>();
  return [...bySeq.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((entry) => {
      const roomId = entry.event["room_id"];
      const first = !roomsSeen.has(roomId) && left.has(entry.seq);
      roomsSeen.add(roomId);
      return first ? { ...entry, resumed: true as const } : entry;
    });
}
