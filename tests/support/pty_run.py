#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a user at a terminal would.

  pty_run.py [--size ROWSxCOLS] [--wait TEXT] [--resize ROWSxCOLS] [--input TEXT]
             [--timeout S] -- CMD [ARG...]

The command leads a new session with the terminal as its controlling one and
as its stdin, stdout and stderr. Once its output contains --wait (at once
without it), the terminal is resized (--resize: the kernel sends SIGWINCH to
its foreground group) and --input is typed. Prints what the command wrote
(carriage returns removed) and exits with its status. Every wait is bounded
by --timeout: past it, the command is killed and we exit 124.
"""
import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, size):
    rows, cols = (int(x) for x in size.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size")
    p.add_argument("--wait")
    p.add_argument("--resize")
    p.add_argument("--input")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    master, slave = os.openpty()
    if a.size:
        set_size(slave, a.size)

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(a.command, stdin=slave, stdout=slave, stderr=slave,
                             start_new_session=True, preexec_fn=controlling_terminal)
    os.close(slave)
    deadline = time.monotonic() + a.timeout
    output = b""
    typed = False
    while True:
        if not typed and (a.wait is None or a.wait.encode() in output):
            if a.resize:
                set_size(master, a.resize)
            if a.input is not None:
                os.write(master, a.input.encode())
            typed = True
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            child.wait()
            sys.stdout.write(output.decode(errors="replace").replace("\r", ""))
            print(f"\npty_run: timed out after {a.timeout}s", file=sys.stderr)
            sys.exit(124)
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every holder of the terminal's other side is gone
            break
        if not chunk:
            break
        output += chunk
    status = child.wait(timeout=max(deadline - time.monotonic(), 0.1))
    sys.stdout.write(output.decode(errors="replace").replace("\r", ""))
    sys.exit(status if status >= 0 else 128 - status)


main()
