#!/usr/bin/env python3
"""Reads strace -yy traces for tests/support/kill_points.sh.

kp_trace.py points TRACE
    The kill points of a reference trace (one process): "CALL N SIGNATURE" per
    line, N counting calls of that kind from 1, for the calls that succeeded
    and change something.
kp_trace.py killed TRACE
    The signature of the call a kill run stopped at (its last, unfinished one).

A signature names what a call acts on, in one word that is the same from run
to run: the file written (the state store's temporary name without its PID),
the netlink message type, the path made, renamed or mounted, the signal sent.
A kill run must stop at the call with the reference's signature, not at some
other call that happens to carry the same number.
"""
import re
import sys

CALL = re.compile(r'^([a-z0-9_]+)\((.*)\)\s+= (-?\d+|\?)')


def signature(call, args):
    if call in ('write', 'pwrite64'):
        m = re.match(r'\d+<([^>]*)>', args)
    elif call in ('sendmsg', 'sendto'):
        m = re.search(r'nlmsg_type=([A-Za-z_0-9]+)', args)
    elif call in ('kill', 'pidfd_send_signal'):
        m = re.search(r'(SIG[A-Z0-9]+)', args)
    else:
        m = re.search(r'"([^"]*)"', args)
    what = m.group(1) if m else '?'
    what = re.sub(r'\.tmp \d+', '.tmp', what)
    what = re.sub(r'\bvc[0-9a-f]{12}\b', 'vcX', what)
    what = re.sub(r'[0-9a-f]{64}', 'ID', what)
    return re.sub(r'\s', '_', what)


def points(path):
    counts = {}
    for line in open(path):
        m = CALL.match(line)
        if not m:
            continue
        call, args, result = m.groups()
        counts[call] = counts.get(call, 0) + 1
        if result == '?' or int(result) < 0:
            continue  # a refused call changed nothing
        if call in ('sendmsg', 'sendto'):
            if 'NETLINK' not in args.split(',')[0]:
                continue
            t = re.search(r'nlmsg_type=([A-Za-z_0-9]+)', args)
            if not t:
                continue
            kind = t.group(1)
            if 'NLM_F_DUMP' in args or '_GET' in kind:
                continue  # a read
            if kind.startswith('0x'):  # not decoded (a socket in another namespace)
                n = int(kind, 16)
                if 16 <= n < 100 and (n - 16) % 4 == 2:
                    continue  # RTM_GET*
        elif call in ('write', 'pwrite64'):
            target = re.match(r'\d+<([^>]*)>', args)
            if not target or not re.match(
                    r'/proc/sys/|/sys/fs/cgroup/|/proc/\d+/(uid_map|gid_map|setgroups)',
                    target.group(1)):
                continue  # the state store's temporary files count at their rename
        print(call, counts[call], signature(call, args))


def killed(path):
    last = 'none'
    for line in open(path):
        m = CALL.match(line.rstrip())
        if m and m.group(3) == '?':
            last = signature(m.group(1), m.group(2))
    print(last)


if __name__ == '__main__':
    {'points': points, 'killed': killed}[sys.argv[1]](sys.argv[2])
