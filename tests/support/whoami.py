#!/usr/bin/env python3
"""A tiny server that answers every TCP connection or UDP datagram with the
source address it sees, and its client.

  whoami.py serve tcp|udp PORT    listens on every address (IPv4 and IPv6),
                                  prints READY once it listens
  whoami.py ask tcp|udp HOST PORT prints the server's answer; exit 1 if none
                                  within WHOAMI_TIMEOUT seconds (10 by
                                  default: TCP resends its SYN at 1, 3 and 7 s,
                                  UDP is resent every second, so a packet
                                  lost while neighbours are being resolved
                                  does not fail a positive check; checks that
                                  expect no answer set WHOAMI_TIMEOUT=2)
"""
import os
import socket
import sys
import time


def plain(address):
    return address[7:] if address.startswith("::ffff:") else address


def serve(proto, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if proto == "tcp":
        s.listen(64)
    print("READY", flush=True)
    while True:
        if proto == "tcp":
            c, peer = s.accept()
            c.sendall((plain(peer[0]) + "\n").encode())
            c.close()
        else:
            _, peer = s.recvfrom(2048)
            s.sendto((plain(peer[0]) + "\n").encode(), peer)


def ask(proto, host, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    info = socket.getaddrinfo(host, port, type=kind)[0]
    s = socket.socket(info[0], kind)
    deadline = time.monotonic() + float(os.environ.get("WHOAMI_TIMEOUT", "10"))
    try:
        if proto == "tcp":
            s.settimeout(deadline - time.monotonic())
            s.connect(info[4])
            data = s.recv(200)
        else:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out")
                s.sendto(b"?", info[4])
                s.settimeout(min(1.0, left))
                try:
                    data, _ = s.recvfrom(200)
                    break
                except TimeoutError:
                    continue
    except OSError as e:
        print(f"no answer from {host}:{port}/{proto}: {e}", file=sys.stderr)
        sys.exit(1)
    print(data.decode().strip())


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        ask(sys.argv[2], sys.argv[3], int(sys.argv[4]))
