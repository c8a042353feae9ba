#!/usr/bin/python3
"""Drive the latency benchmark: one request at a time, over SMTP to Exim.

  latency_driver.py SMTP_PORT IMAP_PORT COUNT OUT

For each of COUNT requests (alternating GBK and UTF-8, from alice): submit
it to Exim with smtplib, then poll alice's INBOX (one IMAP connection, NOOP
every 10 ms: a NOOP makes Dovecot look at the mailbox at once, unlike IDLE)
until the acknowledgement is there, with a 30 s bound per message. Writes
one line per request to OUT: index, wall-clock time before submission,
after Exim accepted it, and when the acknowledgement was seen (seconds since
the epoch; 0 when it did not come).
"""
import base64
import imaplib
import smtplib
import sys
import time


def request(i):
    subj = "关于出口退税办理时限的咨询（第%d号）" % i
    body = "您好：\n我公司想了解出口退税的办理时限和所需材料。\n谢谢！\n华东精密机械有限公司 张伟\n"
    cs = "GBK" if i % 2 else "UTF-8"
    return ("From: =?UTF-8?B?5byg5Lyf?= <alice@members.test>\r\n"
            "To: chamber@chamber.test\r\n"
            "Subject: =?%s?B?%s?=\r\n"
            "Date: %s\r\n"
            "Message-ID: <lat-%d-%d@members.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=%s\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" %
            (cs, base64.b64encode(subj.encode(cs)).decode(),
             time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
             i, int(time.time()), cs)).encode() + \
        base64.encodebytes(body.encode(cs)).replace(b"\n", b"\r\n")


def main():
    smtp_port, imap_port, count, out = sys.argv[1:5]
    m = imaplib.IMAP4("127.0.0.1", int(imap_port), timeout=30)
    m.login("alice", "alice-pw")
    typ, data = m.select("INBOX")
    have = int(data[0])
    with open(out, "w") as f:
        for i in range(int(count)):
            t0 = time.time()
            with smtplib.SMTP("127.0.0.1", int(smtp_port), timeout=30) as s:
                s.sendmail("alice@members.test", ["chamber@chamber.test"], request(i))
            t1 = time.time()
            seen = 0.0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                typ, data = m.noop()
                n = have
                for resp in m.untagged_responses.get("EXISTS", []):
                    n = max(n, int(resp))
                m.untagged_responses.pop("EXISTS", None)
                if n > have:
                    seen = time.time()
                    have = n
                    break
                time.sleep(0.01)
            f.write("%d %.6f %.6f %.6f\n" % (i, t0, t1, seen))
            f.flush()
            # A gap between members' messages, as in real life; also lets
            # the daemon go back into IDLE before the next one.
            time.sleep(0.2)
    m.logout()


if __name__ == "__main__":
    main()
