#!/usr/bin/env python3
"""A router hop that holds IKE back: run inside the lab's "internet" namespace (lab_up delay-ike).

It opens a TUN device; the namespace's policy routing sends every packet between the gateways into it.
IKE datagrams (UDP 500, and UDP 4500 starting with the four-zero-byte non-ESP marker) go back out after
DELAY seconds; everything else (ESP in UDP, keepalives, ICMP) goes back out at once. Delaying only IKE
makes both gateways' rekey requests cross on the wire, so collisions (RFC 7296 2.8) happen on purpose,
while the traffic through the tunnel keeps its normal round trip.

usage: ikedelay.py TUN-NAME DELAY-SECONDS
"""
import fcntl
import heapq
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def is_ike(packet: bytes) -> bool:
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != 17:
        return False
    ihl = (packet[0] & 0x0F) * 4
    udp = packet[ihl:]
    if len(udp) < 8:
        return False
    dport = struct.unpack("!H", udp[2:4])[0]
    sport = struct.unpack("!H", udp[0:2])[0]
    if 500 in (sport, dport):
        return True
    return 4500 in (sport, dport) and len(udp) >= 12 and udp[8:12] == b"\0\0\0\0"


def main() -> None:
    name, delay = sys.argv[1], float(sys.argv[2])
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    held: list[tuple[float, int, bytes]] = []
    n = 0
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            packet = os.read(fd, 65535)
            if is_ike(packet):
                n += 1
                heapq.heappush(held, (time.monotonic() + delay, n, packet))
            else:
                os.write(fd, packet)
        now = time.monotonic()
        while held and held[0][0] <= now:
            os.write(fd, heapq.heappop(held)[2])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
