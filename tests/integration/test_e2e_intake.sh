#!/bin/bash
# Issue 2 end to end: a member sends a GBK-encoded Chinese request over SMTP;
# memberdeskd --once takes it from the chamber's IMAP mailbox; the case has
# the decoded subject and text; the acknowledgement with the case number is
# in the member's own IMAP inbox, decodes, and threads to the request; a
# second run creates nothing new.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_intake

# A request as Foxmail would write it: GBK, base64 body, RFC 2047 GBK subject.
"$PYTHON" - "$WORK/request.eml" <<'PY'
import base64, sys
subject = "关于高新技术企业税收优惠政策的咨询"
body = ("您好：\n我公司今年申请高新技术企业认定，想咨询研发费用加计扣除的比例"
        "以及申报时间。\n此致\n华东精密机械有限公司 张伟\n")
enc_subj = "=?GBK?B?" + base64.b64encode(subject.encode("gbk")).decode() + "?="
b64 = base64.encodebytes(body.encode("gbk")).decode()
msg = ("From: =?GBK?B?" + base64.b64encode("张伟".encode("gbk")).decode() + "?= <alice@members.test>\r\n"
       "To: chamber@chamber.test\r\n"
       "Subject: " + enc_subj + "\r\n"
       "Date: Fri, 27 Nov 2026 10:15:00 +0800\r\n"
       "Message-ID: <req-0001@members.test>\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=\"GBK\"\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" + b64.replace("\n", "\r\n"))
open(sys.argv[1], "w", newline="").write(msg)
PY

mailstack_send alice@members.test chamber@chamber.test "$WORK/request.eml"
mailstack_wait_count chamber INBOX 1 15 >/dev/null || fail "request delivered to the chamber"

if "$MEMBERDESKD" -c "$CONF" --once 2>"$WORK/run1.log"; then
	pass "memberdeskd --once exits 0"
else
	fail "memberdeskd --once exits 0" "$(cat "$WORK/run1.log")"
fi

cases=$(e2e_sql "SELECT number FROM cases")
[ "$cases" = "MD-$(TZ=Asia/Shanghai date +%Y)-0001" ] && pass "one case numbered MD-YYYY-0001" ||
    fail "one case numbered MD-YYYY-0001" "got: $cases"
number=$cases

subject=$(e2e_sql "SELECT subject FROM cases")
[ "$subject" = "关于高新技术企业税收优惠政策的咨询" ] && pass "case subject decoded from GBK" ||
    fail "case subject decoded from GBK" "got: $subject"

e2e_sql "SELECT text FROM cases" | grep -q "研发费用加计扣除" &&
    pass "case text decoded from GBK base64" || fail "case text decoded from GBK base64"

row=$(e2e_sql "SELECT channel, status, requester_name, requester_unit, requester_email, member_id IS NOT NULL FROM cases")
[ "$row" = "email|registered|张伟|华东精密机械有限公司|alice@members.test|1" ] &&
    pass "requester resolved from the member list" || fail "requester resolved from the member list" "got: $row"

ev=$(e2e_sql "SELECT kind FROM case_events ORDER BY id LIMIT 1")
[ "$ev" = "registered" ] && pass "registered event recorded" || fail "registered event recorded" "got: $ev"

raw_ok=$("$PYTHON" - "$WORK/memberdesk.db" "$WORK/request.eml" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
raw = con.execute("SELECT raw FROM messages WHERE direction='in'").fetchone()[0]
sent = open(sys.argv[2], "rb").read()
# Exim adds trace headers at the top; the member's bytes follow verbatim.
print("yes" if raw.endswith(sent) else "no")
PY
)
[ "$raw_ok" = yes ] && pass "raw message kept verbatim" || fail "raw message kept verbatim"

show=$("$MEMBERDESK" case show "$number" 2>&1)
echo "$show" | grep -q "关于高新技术企业税收优惠政策的咨询" && echo "$show" | grep -qE "registered|已登记" &&
    pass "memberdesk case show prints the Chinese case with events" ||
    fail "memberdesk case show prints the Chinese case with events" "$show"
"$MEMBERDESK" case list | grep -q "$number" && pass "memberdesk case list shows the case" ||
    fail "memberdesk case list shows the case"

mailstack_wait_count chamber INBOX 0 10 >/dev/null && pass "request moved out of INBOX" ||
    fail "request moved out of INBOX"
mailstack_wait_count chamber Processed 1 10 >/dev/null && pass "request kept in Processed" ||
    fail "request kept in Processed"

if mailstack_wait_count alice INBOX 1 20 >/dev/null; then
	pass "acknowledgement delivered to the member's inbox"
else
	fail "acknowledgement delivered to the member's inbox" "$(tail -5 "$WORK/run1.log")"
fi
mkdir -p "$WORK/alice"
mailstack_save alice INBOX "$WORK/alice"
ack=$(ls "$WORK"/alice/*.eml 2>/dev/null | head -1)
verdict=$("$PYTHON" - "${ack:-/dev/null}" "$number" <<'PY'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
number = sys.argv[2]
problems = []
subj = str(m["Subject"] or "")
if "[" + number + "]" not in subj: problems.append("no case tag in subject: " + subj)
if "关于高新技术企业税收优惠政策的咨询" not in subj: problems.append("Chinese subject lost: " + subj)
if (m["In-Reply-To"] or "").strip() != "<req-0001@members.test>": problems.append("In-Reply-To: %r" % m["In-Reply-To"])
if "<req-0001@members.test>" not in (m["References"] or ""): problems.append("References: %r" % m["References"])
if (m["Auto-Submitted"] or "") != "auto-replied": problems.append("Auto-Submitted: %r" % m["Auto-Submitted"])
if not (m["Message-ID"] or "").startswith("<"): problems.append("no Message-ID")
if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8": problems.append("content type %s %s" % (m.get_content_type(), m.get_content_charset()))
body = m.get_content()
if number not in body: problems.append("case number not in body")
if "测试商会" not in body: problems.append("chamber name not in body")
if "张伟" not in body: problems.append("member name not in body")
if "chamber@chamber.test" not in str(m["From"]): problems.append("From: %s" % m["From"])
for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
    if len(line) > 998: problems.append("header line too long")
print("; ".join(problems) if problems else "ok")
PY
)
[ "$verdict" = ok ] && pass "acknowledgement: tag, Chinese subject, threading, Auto-Submitted, UTF-8 body" ||
    fail "acknowledgement: tag, Chinese subject, threading, Auto-Submitted, UTF-8 body" "$verdict"

sent=$(e2e_sql "SELECT status FROM outbox WHERE rcpt = 'alice@members.test'")
[ "$sent" = sent ] && pass "outbox entry marked sent" || fail "outbox entry marked sent" "got: $sent"

# A second run finds nothing new and sends nothing again.
"$MEMBERDESKD" -c "$CONF" --once 2>"$WORK/run2.log" || fail "second run exits 0" "$(cat "$WORK/run2.log")"
n=$(e2e_sql "SELECT count(*) FROM cases")/$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'alice@members.test'")/$(e2e_sql "SELECT count(*) FROM messages WHERE direction='in'")
[ "$n" = "1/1/1" ] && pass "second run creates nothing new" || fail "second run creates nothing new" "cases/outbox/in: $n"
sleep 1
mailstack_wait_count alice INBOX 1 2 >/dev/null && pass "no second acknowledgement" ||
    fail "no second acknowledgement"

e2e_finish
