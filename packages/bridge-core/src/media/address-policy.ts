// Which addresses remote media may be fetched from: public unicast only, judged against the IANA special-purpose
// registries. remote-media.ts applies this to every address a link's host is, or resolves to, before connecting.

import { BlockList, isIP } from "node:net";

// IPv4 ranges that are not public unicast (IANA special-purpose registry). Kept apart from the IPv6 list because a
// BlockList matches IPv4 addresses against IPv6 rules as mapped addresses, and `::/3` below would then catch them all.
const BLOCKED_V4: [string, number, string][] = [
  ["0.0.0.0", 8, "this network, including the unspecified 0.0.0.0"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local, where cloud metadata services live"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation (TEST-NET-1)"],
  ["192.88.99.0", 24, "6to4 relay anycast"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation (TEST-NET-2)"],
  ["203.0.113.0", 24, "documentation (TEST-NET-3)"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved, including the broadcast address 255.255.255.255"],
];

// Global unicast IPv6 is 2000::/3, so everything outside it is refused; the named ranges outside it are listed too so
// that the list can be read against the requirements. `::ffff:0:0/96` (IPv4-mapped) and `64:ff9b::/96` (NAT64) are
// not judged here but by the IPv4 address they carry, see isPublicAddress.
const BLOCKED_V6: [string, number, string][] = [
  ["::", 3, "not global unicast (includes ::, ::1 and the deprecated IPv4-compatible ::/96)"],
  ["4000::", 2, "not global unicast"],
  ["8000::", 1, "not global unicast"],
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "local-use NAT64"],
  ["100::", 64, "discard-only"],
  ["fc00::", 7, "unique local (private)"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local (deprecated)"],
  ["ff00::", 8, "multicast"],
  ["2001::", 23, "IETF protocol assignments, including Teredo and benchmarking"],
  ["2001:db8::", 32, "documentation"],
  ["2002::", 16, "6to4, which tunnels to whatever IPv4 address it embeds"],
  ["3fff::", 20, "documentation"],
  ["5f00::", 16, "segment routing"],
];

const blockedV4 = new BlockList();
for (const [network, prefix] of BLOCKED_V4) blockedV4.addSubnet(network, prefix, "ipv4");
const blockedV6 = new BlockList();
for (const [network, prefix] of BLOCKED_V6) blockedV6.addSubnet(network, prefix, "ipv6");

/**
 * Whether `address` (an IP address as text) is public unicast, i.e. fine to fetch from. IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) and NAT64 ones (`64:ff9b::7f00:1`) are judged by the IPv4 address inside them, since that is
 * where a connection to them ends up. Anything that is not an IP address is not public.
 */
export function isPublicAddress(address: string): boolean {
  // A zone (`fe80::1%eth0`) only says which interface; it never makes an address public.
  const bare = address.split("%")[0] ?? "";
  switch (isIP(bare)) {
    case 4:
      return !blockedV4.check(bare, "ipv4");
    case 6: {
      const embedded = embeddedIPv4(ipv6Groups(bare));
      if (embedded !== undefined) return !blockedV4.check(embedded, "ipv4");
      return !blockedV6.check(bare, "ipv6");
    }
    default:
      return false;
  }
}

/** The eight 16-bit groups of an IPv6 address that isIP has accepted. */
function ipv6Groups(address: string): number[] {
  // The URL parser writes any valid spelling (dotted tail, leading zeros, upper case) as compressed lowercase hex.
  const compact = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = "", tail] = compact.split("::");
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address. */
function embeddedIPv4(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  const mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff;
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (!mapped && !nat64) return undefined;
  return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
}
