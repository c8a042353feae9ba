#!/usr/bin/python3
"""IMAP helpers for the benchmarks, over one plain connection to 127.0.0.1.

  imaptool.py append PORT USER MAILBOX BACKLOG   APPEND every message (no flags),
                                                 MULTIAPPEND with LITERAL+ in
                                                 batches of 200: Dovecot syncs
                                                 once per command, not per message
  imaptool.py fetch  PORT USER MAILBOX           UID FETCH 1:* BODY.PEEK[] in
                                                 chunks of 100 (the daemon's
                                                 chunk): the server's baseline
  imaptool.py move   PORT USER FROM TO           UID MOVE everything in chunks
                                                 of 100: the baseline for marking
  imaptool.py count  PORT USER MAILBOX

Each prints one line "seconds N" (count: the number) on stdout.
"""
import imaplib
import sys
import time

CHUNK = 100


def login(port, user):
    m = imaplib.IMAP4("127.0.0.1", int(port), timeout=120)
    m.login(user, user + "-pw")
    return m


def read_backlog(path):
    with open(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                return
            n = int(line)
            yield f.read(n)


def multiappend(m, box, msgs, batch=200):
    """RFC 3502 MULTIAPPEND with RFC 7888 LITERAL+, written on imaplib's socket."""
    caps = m.capabilities
    if "MULTIAPPEND" not in caps or "LITERAL+" not in caps:
        for raw in msgs:
            typ, _ = m.append('"%s"' % box, None, None, raw)
            if typ != "OK":
                sys.exit("APPEND failed")
        return
    for i in range(0, len(msgs), batch):
        tag = m._new_tag()
        parts = [tag + b' APPEND "' + box.encode() + b'"']
        for raw in msgs[i:i + batch]:
            parts.append(b" {%d+}\r\n" % len(raw))
            parts.append(raw)
        parts.append(b"\r\n")
        m.send(b"".join(parts))
        while True:
            line = m.readline()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    sys.exit("APPEND failed: %r" % line)
                break


def uids(m):
    typ, data = m.uid("SEARCH", None, "ALL")
    return data[0].split()


def main(argv):
    cmd, port, user = argv[1:4]
    m = login(port, user)
    if cmd == "append":
        box, path = argv[4:6]
        m.create('"%s"' % box)
        msgs = list(read_backlog(path))
        t = time.monotonic()
        multiappend(m, box, msgs)
        print("%.3f %d" % (time.monotonic() - t, len(msgs)))
    elif cmd == "fetch":
        box = argv[4]
        t = time.monotonic()
        m.select('"%s"' % box, readonly=True)
        all_uids = uids(m)
        n = size = 0
        for i in range(0, len(all_uids), CHUNK):
            s = b",".join(all_uids[i:i + CHUNK]).decode()
            typ, data = m.uid("FETCH", s, "(RFC822.SIZE)")
            typ, data = m.uid("FETCH", s, "(BODY.PEEK[])")
            for item in data:
                if isinstance(item, tuple):
                    n += 1
                    size += len(item[1])
        print("%.3f %d %d" % (time.monotonic() - t, n, size))
    elif cmd == "move":
        src, dst = argv[4:6]
        m.create('"%s"' % dst)
        t = time.monotonic()
        m.select('"%s"' % src)
        all_uids = uids(m)
        for i in range(0, len(all_uids), CHUNK):
            s = b",".join(all_uids[i:i + CHUNK]).decode()
            typ, data = m.uid("MOVE", s, '"%s"' % dst)
            if typ != "OK":
                sys.exit("MOVE failed: %r" % data)
        print("%.3f %d" % (time.monotonic() - t, len(all_uids)))
    elif cmd == "count":
        typ, data = m.select('"%s"' % argv[4], readonly=True)
        print(int(data[0]) if typ == "OK" else -1)
    else:
        sys.exit(__doc__)
    m.logout()


if __name__ == "__main__":
    main(sys.argv)
