#!/usr/bin/python3
"""Baseline for the ingest benchmark: what SQLite alone costs on this disk.

Inserts every message of a backlog file (bench/gen_backlog.py) as a row with
its raw bytes, in WAL mode with synchronous=FULL (the daemon's settings):
first one transaction per message (each message durable on its own, as the
daemon commits), then one transaction per 100 messages (the batched
alternative). Prints the two times in seconds.
"""
import os
import sqlite3
import sys
import time


def read_backlog(path):
    with open(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                return
            yield f.read(int(line))


def run(path, msgs, batch):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, uid INTEGER UNIQUE, raw BLOB)")
    t = time.monotonic()
    for i, raw in enumerate(msgs):
        if i % batch == 0:
            con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO m (uid, raw) VALUES (?, ?)", (i, raw))
        if i % batch == batch - 1 or i == len(msgs) - 1:
            con.execute("COMMIT")
    elapsed = time.monotonic() - t
    con.close()
    return elapsed


def main():
    msgs = list(read_backlog(sys.argv[1]))
    print("%.3f %.3f" % (run(sys.argv[2], msgs, 1), run(sys.argv[2], msgs, 100)))


if __name__ == "__main__":
    main()
