"""What memory.sh's daemon stored for the big message, compared with what was
sent: the raw bytes, the decoded attachment (its bytes in rows from before
schema migration 6, its SHA-256 since: the bytes stay in the raw message)
and the SHA-256 of the raw bytes, byte for byte.
Usage: memory_check.py DATABASE MESSAGE_FILE (the file as memory.sh wrote it:
its size on the first line, then the message)."""
import email
import hashlib
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    f.readline()
    msg = f.read()
att = email.message_from_bytes(msg).get_payload()[1].get_payload(decode=True)
split = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'message_raw'").fetchone()[0]
raw, sha = db.execute(
    "SELECT coalesce(r.raw, m.raw), m.sha256 FROM messages m LEFT JOIN message_raw r"
    " ON r.message_id = m.id WHERE direction = 'in'" if split else
    "SELECT raw, sha256 FROM messages WHERE direction = 'in'").fetchone()
once = "sha256" in [r[1] for r in db.execute("PRAGMA table_info(attachments)")]
size, data, att_sha = db.execute(
    "SELECT size, data, sha256 FROM attachments" if once else
    "SELECT size, data, NULL FROM attachments").fetchone()
same = data == att if data is not None else att_sha == hashlib.sha256(att).hexdigest()
cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
print("%d case; raw %d bytes %s; attachment %d bytes %s; sha256 %s" % (
    cases, len(raw), "identical" if raw == msg else "DIFFERENT", size,
    "identical" if same and size == len(att) else "DIFFERENT",
    "right" if sha == hashlib.sha256(msg).hexdigest() else "WRONG"))
