import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPublicAddress } from "../../src/media/address-policy.ts";

describe("isPublicAddress", () => {
  const notPublic = [
    // IPv4
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.0.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    // IPv6
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::FFFF:7F00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.0.1",
    "::ffff:0.0.0.0",
    "::ffff:0:7f00:1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:2::1",
    "2001:db8::1",
    "2002:7f00:1::1",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    "fec0::1",
    "ff02::1",
    "ff05::1:3",
    // not addresses at all
    "",
    "localhost",
    "media.example",
    "2130706433",
    "0x7f.1",
    "[::1]",
  ];
  const publicOnes = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.1",
    "172.15.255.255",
    "172.32.0.1",
    "192.167.255.255",
    "192.169.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.254",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
  ];

  it("refuses loopback, private, link-local, unspecified, multicast, broadcast, CGNAT and reserved ranges", () => {
    for (const address of notPublic) assert.equal(isPublicAddress(address), false, address);
  });

  it("accepts public unicast, including right next to the refused ranges", () => {
    for (const address of publicOnes) assert.equal(isPublicAddress(address), true, address);
  });
});
