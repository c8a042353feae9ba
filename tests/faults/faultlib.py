#!/usr/bin/python3
"""Helpers for the fault-injection suite (tests/integration/test_faults.sh).

Subcommands:
  gen      write a backlog of member mail (new requests and replies, UTF-8
           and GBK) and a manifest describing what each message is
  members  write a member list (CSV) for `memberdesk member import`
  append   APPEND messages into a mailbox over IMAP, without \\Seen
  count    print the number of messages in a mailbox (-1: no mailbox)
  recreate delete and recreate a mailbox (a new UIDVALIDITY)
  sink     SMTP sink that logs every accepted message (time, Message-ID,
           recipient); 550 for recipients starting with "reject"
  imapproxy  IMAP proxy in front of Dovecot that SIGKILLs the daemon instead of
           passing on its first mark (UID MOVE / UID COPY) command: the
           moment between a fetch chunk's commit and its move, on purpose
  check    check the invariants of the database, the mailbox and the sink
           against a manifest; print "messages lost duplicated" and the
           reasons; exit 1 on any loss or duplication

Everything talks to 127.0.0.1 only.
"""
import argparse
import base64
import imaplib
import json
import os
import random
import sqlite3
import sys
import time
from email.header import Header

SUBJECTS = [
    "用工政策咨询", "关于出口退税进度的咨询", "合同纠纷求助", "厂房租金上涨问题",
    "建议举办融资对接会", "社保缴费基数调整咨询", "海关查验延误", "知识产权被侵权",
    "希望商会协调用电指标", "关于展会补贴的建议", "贷款续贷困难", "外贸订单回款慢",
]
BODIES = [
    "我司是商会会员单位，近期遇到{t}，请秘书处协助了解相关政策。",
    "您好！关于{t}，我们已与有关部门沟通多次，仍无结果，恳请商会帮助协调。",
    "尊敬的秘书处：{t}一事影响了企业正常经营，附上情况说明，请予以受理。",
    "建议商会就{t}组织专题座谈，邀请相关部门解读政策。",
]
REPLY_BODIES = [
    "补充材料：相关合同编号为 HT-{n}，请查收。",
    "谢谢秘书处，我们补充一下最新情况：对方仍未回复。",
    "请问案件进展如何？我们这边着急。",
]


def encoded_subject(text, charset):
    return Header(text, charset).encode()


def make_message(sender, msgid, subject, body, charset, date, extra=()):
    """A complete RFC 5322 message as bytes (CRLF), body in charset."""
    raw_body = body.encode("gb18030" if charset == "GBK" else "utf-8")
    if charset == "GBK" and len(raw_body) % 2 == 0:
        cte = "base64"
        payload = base64.encodebytes(raw_body).decode().replace("\n", "\r\n")
    else:
        cte = "8bit"
        payload = raw_body.decode("latin-1") + "\r\n"
    hdr = [
        "From: %s" % sender,
        "To: chamber@chamber.test",
        "Subject: %s" % encoded_subject(subject, charset),
        "Date: %s" % date,
        "Message-ID: <%s>" % msgid,
    ]
    hdr.extend(extra)
    hdr += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=%s" % charset,
        "Content-Transfer-Encoding: %s" % cte,
    ]
    text = "\r\n".join(hdr) + "\r\n\r\n" + payload
    return text.encode("latin-1")


def member_address(i):
    return "m%03d@members.test" % i


def cmd_members(a):
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("kind,name,unit_name,addresses,phone\n")
        for i in range(a.n):
            f.write("unit,会员%03d,测试企业%03d有限公司,%s,\n" % (i, i, member_address(i)))


def cmd_gen(a):
    """Write N messages to DIR/NNNNN.eml and DIR/manifest.json.

    --cases FILE lists existing cases ("number|requester|message-id" lines);
    replies carry their tag in the subject, or only In-Reply-To/References
    to the request they answer (an existing one or an earlier request of
    this backlog), so threading has something to find either way.
    """
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    cases = []
    if a.cases:
        with open(a.cases, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("|")
                if len(parts) == 3:
                    cases.append({"number": parts[0], "from": parts[1], "mid": parts[2]})
    earlier = []          # requests of this backlog a later reply may answer
    items = []
    for i in range(a.n):
        charset = "GBK" if rng.random() < 0.4 else "UTF-8"
        date = "Fri, 27 Nov 2026 %02d:%02d:%02d +0800" % (8 + i // 3600 % 10, i // 60 % 60, i % 60)
        msgid = "%s.%05d.%d@members.test" % (a.tag, i, rng.randrange(1 << 30))
        reply = rng.random() < a.replies and (cases or earlier)
        if reply:
            pool = cases if cases and (not earlier or rng.random() < 0.5) else earlier
            target = rng.choice(pool)
            subject_core = rng.choice(SUBJECTS)
            body = rng.choice(REPLY_BODIES).format(n=i) + "\n（第%d封）" % i
            extra = ["In-Reply-To: <%s>" % target["mid"], "References: <%s>" % target["mid"]]
            if target.get("number") and rng.random() < 0.7:
                subject = "%s [%s] %s" % (rng.choice(["Re:", "回复:", "RE:", "答复："]),
                                          target["number"], subject_core)
                how = "tag"
            else:
                subject = "Re: " + subject_core
                how = "references"
            raw = make_message(target["from"], msgid, subject, body, charset, date, extra)
            item = {"kind": "reply", "via": how, "target_mid": target["mid"],
                    "target_number": target.get("number", "")}
        else:
            sender = member_address(rng.randrange(a.members))
            if a.reject_every and len(earlier) % a.reject_every == a.reject_every - 1:
                sender = "reject%03d@members.test" % i
            t = rng.choice(SUBJECTS)
            subject = "%s（%s-%d）" % (t, a.tag, i)
            body = rng.choice(BODIES).format(t=t) + "\n编号 %s-%d。\n" % (a.tag, i)
            raw = make_message(sender, msgid, subject, body, charset, date)
            item = {"kind": "new"}
            earlier.append({"from": sender, "mid": msgid})
        name = "%05d.eml" % i
        with open(os.path.join(a.dir, name), "wb") as f:
            f.write(raw)
        item.update({"file": name, "mid": msgid, "charset": charset})
        items.append(item)
    with open(os.path.join(a.dir, "manifest.json"), "w") as f:
        json.dump(items, f)
    news = sum(1 for x in items if x["kind"] == "new")
    print("%d messages: %d new requests, %d replies (seed %s)" % (len(items), news,
          len(items) - news, a.seed))


def imap_login(port, user):
    # A user added moments ago may not be known to Dovecot's auth process
    # yet (it re-reads its users file lazily): retry for a few seconds.
    for attempt in range(20):
        m = imaplib.IMAP4("127.0.0.1", int(port))
        try:
            m.login(user, user + "-pw")
            return m
        except imaplib.IMAP4.error:
            m.shutdown()
            if attempt == 19:
                raise
            time.sleep(0.5)


def cmd_append(a):
    """APPEND files in order (slice FROM:TO of the sorted *.eml), no flags.

    Pipelined with LITERAL+ on one connection: imaplib waits for every
    continuation, which costs a round trip (and a delayed ACK) per message.
    """
    import socket
    names = sorted(n for n in os.listdir(a.dir) if n.endswith(".eml"))
    names = names[a.start:a.end if a.end >= 0 else None]
    m = imap_login(a.port, a.user)
    m.create('"%s"' % a.box)
    m.logout()
    if not names:
        print(0)
        return
    s = socket.create_connection(("127.0.0.1", int(a.port)), 30)
    f = s.makefile("rb")
    f.readline()
    user = a.user.encode()
    s.sendall(b'L LOGIN "%s" "%s-pw"\r\n' % (user, user))
    out = []
    for i, n in enumerate(names):
        with open(os.path.join(a.dir, n), "rb") as fp:
            data = fp.read()
        out.append(b'A%d APPEND "%s" {%d+}\r\n' % (i, a.box.encode(), len(data)))
        out.append(data + b"\r\n")
    s.sendall(b"".join(out))
    want = {b"L"} | {b"A%d" % i for i in range(len(names))}
    while want:
        line = f.readline()
        if not line:
            sys.exit("APPEND: connection closed")
        tag, _, rest = line.partition(b" ")
        if tag in want:
            if not rest.startswith(b"OK"):
                sys.exit("APPEND %s: %s" % (tag.decode(), rest.decode(errors="replace")))
            want.discard(tag)
    s.sendall(b"Z LOGOUT\r\n")
    s.close()
    print(len(names))


def mailbox_count(port, user, box):
    m = imap_login(port, user)
    try:
        typ, data = m.select('"%s"' % box, readonly=True)
        return int(data[0]) if typ == "OK" else -1
    finally:
        m.logout()


def cmd_count(a):
    print(mailbox_count(a.port, a.user, a.box))


def cmd_recreate(a):
    m = imap_login(a.port, a.user)
    typ, data = m.delete('"%s"' % a.box)
    if typ != "OK":
        sys.exit("DELETE %s: %s" % (a.box, data))
    typ, data = m.create('"%s"' % a.box)
    if typ != "OK":
        sys.exit("CREATE %s: %s" % (a.box, data))
    m.logout()


async def serve_announced(server, port_file):
    """Write the listening port to port_file (atomically), then serve."""
    port = server.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


def cmd_sink(a):
    import asyncio
    from aiosmtpd.smtp import SMTP

    log = open(a.log, "a", buffering=1)
    state = {"n": 0}

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.split("@")[0].lower().startswith("reject"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            mid = ""
            head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    mid = line.split(b":", 1)[1].strip().decode("ascii", "replace")
            # Logged before the reply: a message is "delivered" once accepted.
            for r in envelope.rcpt_tos:
                log.write("%.6f %s %s\n" % (time.time(), mid.strip("<>"), r))
            state["n"] += 1
            if a.kill_at and state["n"] in a.kill_at and a.kill_pid_file:
                # The message is ours now; the client dies before it hears
                # so: the window between a server's acceptance and the
                # sender's bookkeeping.
                try:
                    with open(a.kill_pid_file) as f:
                        pid = int(f.read().split()[0])
                    os.kill(pid, 9)
                    with open(a.kill_log, "a") as f:
                        f.write("%.6f %.6f sink-kill %d\n" % (time.time(), time.time(), pid))
                except (OSError, ValueError, IndexError):
                    pass
            return "250 2.0.0 accepted"

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Handler(), hostname="sink.test"),
                                          host="127.0.0.1", port=a.port, reuse_address=True)
        await serve_announced(server, a.port_file)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


def cmd_imapproxy(a):
    """Byte-for-byte proxy; the client's command lines are watched for the
    mark. At the first UID MOVE or UID COPY the daemon is killed and the
    command is never passed on, so the server keeps the chunk in the
    mailbox while the database already holds it."""
    import asyncio
    import re

    mark = re.compile(rb"^\S+ UID (MOVE|COPY) ", re.I)
    state = {"killed": False}

    def kill_daemon():
        try:
            with open(a.kill_pid_file) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, 9)
            with open(a.kill_log, "a") as f:
                f.write("%.6f %.6f proxy-kill %d\n" % (time.time(), time.time(), pid))
        except (OSError, ValueError, IndexError) as e:
            sys.stderr.write("imapproxy: kill failed: %s\n" % e)
        state["killed"] = True

    async def pump(reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def client_to_server(reader, writer):
        # Line-wise: the daemon sends no literals after LOGIN's.
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if not state["killed"] and mark.match(line):
                    kill_daemon()
                    break
                writer.write(line)
                await writer.drain()
        except (ConnectionError, ValueError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", a.upstream)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(sreader, cwriter), client_to_server(creader, swriter))

    async def main():
        server = await asyncio.start_server(handle, host="127.0.0.1", port=0,
                                            limit=1 << 20)
        await serve_announced(server, a.port_file)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


def sink_deliveries(path):
    """Message-ID -> list of acceptance times."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                out.setdefault(parts[1], []).append(float(parts[0]))
    return out


def processed_ids(m, box):
    """Message-IDs of every message in box, on a logged-in connection."""
    out = []
    typ, data = m.select('"%s"' % box, readonly=True)
    if typ != "OK" or int(data[0]) == 0:
        return out
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for item in data:
        if isinstance(item, tuple):
            v = item[1].decode("ascii", "replace").split(":", 1)
            if len(v) == 2:
                out.append(v[1].strip().strip("<>"))
    return out


def cmd_check(a):
    with open(a.manifest) as f:
        items = json.load(f)
    problems = []
    lost = dup = 0
    con = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=30)
    try:
        con.execute("SELECT count(*) FROM messages").fetchall()
    except sqlite3.OperationalError:
        # On a read-only file system a WAL database opens only as immutable.
        con = sqlite3.connect("file:%s?immutable=1" % a.db, uri=True)
    q = lambda sql, *args: con.execute(sql, args).fetchall()

    # One read of each table: per-message queries on unindexed columns
    # would make the check after every kill slower than the kill itself.
    by_mid = {}
    for row, case_id, mid in q("SELECT id, case_id, message_id FROM messages"):
        if mid:
            by_mid.setdefault(mid.strip("<>"), []).append((row, case_id))
    regs_by_row = {}
    for case_id, row in q("SELECT case_id, message_id FROM case_events"
                          " WHERE kind = 'registered' AND message_id IS NOT NULL"):
        regs_by_row.setdefault(row, []).append(case_id)
    acks_by_case = {}
    for case_id, mid, status in q("SELECT case_id, message_id, status FROM outbox"
                                  " WHERE kind = 'ack'"):
        acks_by_case.setdefault(case_id, []).append((mid, status))

    def rows_for(mid):
        return by_mid.get(mid, [])

    def registered_from(row):
        return regs_by_row.get(row, [])

    def acks(case_id):
        return acks_by_case.get(case_id, [])

    # Replies tighten to "on their case, no new case" as soon as threading
    # attaches any of them: from then on every reply must be attached.
    reply_case = {}
    threaded = False
    for it in items:
        if it["kind"] != "reply":
            continue
        t = rows_for(it["target_mid"])
        target = t[0][1] if t else None
        reply_case[it["mid"]] = target
        r = rows_for(it["mid"])
        if len(r) == 1 and target and r[0][1] == target and not registered_from(r[0][0]):
            threaded = True

    expect_cases = set()
    for it in items:
        mid = it["mid"]
        r = rows_for(mid)
        if len(r) == 0:
            if a.partial:
                continue
            lost += 1
            problems.append("lost: %s (%s) not recorded" % (mid, it["kind"]))
            continue
        if len(r) > 1:
            dup += len(r) - 1
            problems.append("duplicated: %s recorded %d times" % (mid, len(r)))
        row, case_id = r[0]
        regs = registered_from(row)
        if it["kind"] == "reply" and threaded:
            if regs:
                dup += len(regs)
                problems.append("duplicated: reply %s opened case(s) %s" % (mid, regs))
            if case_id != reply_case[mid]:
                lost += 1
                problems.append("lost: reply %s on case %s, not %s" % (mid, case_id,
                                reply_case[mid]))
            continue
        if len(regs) == 0:
            lost += 1
            problems.append("lost: %s opened no case" % mid)
            continue
        if len(regs) > 1:
            dup += len(regs) - 1
            problems.append("duplicated: %s opened %d cases" % (mid, len(regs)))
        for c in regs:
            expect_cases.add(c)
            n = len(acks(c))
            if n == 0:
                lost += 1
                problems.append("lost: no acknowledgement for case %s (%s)" % (c, mid))
            elif n > 1:
                dup += n - 1
                problems.append("duplicated: %d acknowledgements for case %s" % (n, c))
    # No case may exist that no manifest message (or the pre-seeded ones) opened.
    total_cases = q("SELECT count(*) FROM cases")[0][0]
    extra = total_cases - len(expect_cases) - a.preseeded
    if extra > 0:
        dup += extra
        problems.append("duplicated: %d case(s) beyond those the mail opened" % extra)

    if a.port and a.partial:
        m = imap_login(a.port, a.user)
        typ, data = m.select('"%s"' % a.box, readonly=True)
        print("# pending %d" % (int(data[0]) if typ == "OK" else -1))
        # Marked on the server means committed first: every message in the
        # processed folder must be in the database.
        marked = set(processed_ids(m, a.processed))
        m.logout()
        for mid in marked:
            if not rows_for(mid):
                lost += 1
                problems.append("lost: %s marked processed but not recorded" % mid)
        # Committed but not yet moved: the kill fell between the two.
        print("# unmarked %d" % sum(1 for it in items
                                    if rows_for(it["mid"]) and it["mid"] not in marked))
    elif a.port:
        inbox = mailbox_count(a.port, a.user, a.box)
        done = mailbox_count(a.port, a.user, a.processed)
        want = len(items) + a.preseeded_msgs
        if inbox != 0:
            problems.append("mailbox: %s still holds %d message(s)" % (a.box, inbox))
            lost += max(inbox, 0)
        if done != want:
            problems.append("mailbox: %s holds %d, expected %d" % (a.processed, done, want))
            if done < want:
                lost += want - done
            else:
                dup += done - want

    if a.sink:
        kills = []
        if a.kills and os.path.exists(a.kills):
            # "BEFORE [AFTER] label": the signal was sent between the two.
            with open(a.kills) as f:
                for line in f:
                    v = line.split()
                    if not v:
                        continue
                    try:
                        after = float(v[1])
                    except (IndexError, ValueError):
                        after = float(v[0])
                    kills.append((float(v[0]), after))
        got = sink_deliveries(a.sink)
        used = set()
        # Acknowledgements must arrive; any notice (staff ones too) may
        # arrive twice only across a kill.
        for (mid, status, kind) in q("SELECT message_id, status, kind FROM outbox"):
            times = got.get(mid.strip("<>"), [])
            if status == "failed" and a.allow_failed:
                continue
            if not times:
                if kind == "ack":
                    lost += 1
                    problems.append("lost: acknowledgement %s never delivered (%s)" % (mid, status))
                continue
            if status != "sent":
                problems.append("outbox: %s delivered but still %s" % (mid, status))
                lost += 1
            times.sort()
            for t0, t1 in zip(times, times[1:]):
                # A repeat is excused only by a kill between the two
                # acceptances, and each kill excuses one repeat at most.
                k = next((i for i, (kb, ka) in enumerate(kills)
                          if t0 <= ka and kb <= t1 and i not in used), None)
                if k is None:
                    dup += 1
                    problems.append("duplicated: %s delivered again without a kill" % mid)
                else:
                    used.add(k)
        print("# sink: %d notice(s) delivered twice, each after a kill between "
              "acceptance and bookkeeping" % len(used))
    if threaded:
        print("# replies are threaded: each checked on its case")
    else:
        print("# replies are not threaded yet: each checked recorded once")
    for p in problems[:40]:
        print("# " + p)
    print("RESULT %d %d %d" % (len(items), lost, dup))
    sys.exit(1 if lost or dup or problems else 0)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("gen")
    p.add_argument("--dir", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--tag", default="fx")
    p.add_argument("--members", type=int, default=100)
    p.add_argument("--replies", type=float, default=0.3)
    p.add_argument("--cases")
    p.add_argument("--reject-every", type=int, default=0,
                   help="every K-th new request comes from a refused address")
    p.set_defaults(fn=cmd_gen)
    p = sub.add_parser("members")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=100)
    p.set_defaults(fn=cmd_members)
    for name, fn in (("append", cmd_append), ("count", cmd_count),
                     ("recreate", cmd_recreate)):
        p = sub.add_parser(name)
        p.add_argument("--port", required=True)
        p.add_argument("--user", required=True)
        p.add_argument("--box", default="INBOX")
        if name == "append":
            p.add_argument("--dir", required=True)
            p.add_argument("--start", type=int, default=0)
            p.add_argument("--end", type=int, default=-1)
        p.set_defaults(fn=fn)
    p = sub.add_parser("sink")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--kill-at", type=lambda v: {int(x) for x in v.split(",")}, default=None,
                   help="SIGKILL the daemon after accepting these messages (1-based)")
    p.add_argument("--kill-pid-file")
    p.add_argument("--kill-log")
    p.set_defaults(fn=cmd_sink)
    p = sub.add_parser("imapproxy")
    p.add_argument("--port-file", required=True)
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--kill-pid-file", required=True)
    p.add_argument("--kill-log", required=True)
    p.set_defaults(fn=cmd_imapproxy)
    p = sub.add_parser("check")
    p.add_argument("--db", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--preseeded", type=int, default=0, help="cases opened before the backlog")
    p.add_argument("--preseeded-msgs", type=int, default=0)
    p.add_argument("--port")
    p.add_argument("--user", default="chamber")
    p.add_argument("--box", default="INBOX")
    p.add_argument("--processed", default="Processed")
    p.add_argument("--sink")
    p.add_argument("--kills")
    p.add_argument("--allow-failed", action="store_true")
    p.add_argument("--partial", action="store_true",
                   help="mid-run: what is recorded is complete, what is marked is recorded")
    p.set_defaults(fn=cmd_check)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
