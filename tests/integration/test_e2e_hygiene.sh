#!/bin/bash
# Issue 5 end to end, through Dovecot, memberdeskd --once and Exim:
# hostile mail (header injection through encoded CR/LF in the subject, the
# From display name and Reply-To, template markup, ANSI escapes, a thousand
# headers, long lines, MIME nested 100 deep, 1,000 parts, 30 MB, an unknown
# charset, NUL bytes) is all recorded, nothing crashes, no outgoing message
# carries an injected header or recipient (every delivered message and the
# Exim log are checked), no log line carries a raw control character from
# mail, and templates never expand mail content. Then privacy (a Cc'd
# member gets nothing, another member's case tag does not reach the case,
# no bodies in case list or logs), inspect's automatic verdict, a bounce
# linked to its notice, the rate limit, and every message of
# $MD_CORPUS/mime taken in exactly once (without the corpus that part is
# reported as skipped).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
HOSTILE="$SRCDIR/tests/data/hostile"
e2e_setup test_e2e_hygiene
cat >> "$CONF" <<'CONF'
rate_limits {
	per_recipient_hour = 100
	per_case_day = 100
}
CONF

# append USER FILE...: APPEND each file to USER's INBOX without flags.
append()
{
	"$PYTHON" - "$MS_IMAP_PORT" "$@" <<'PY'
import imaplib, sys
port, user, files = sys.argv[1], sys.argv[2], sys.argv[3:]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, user + "-pw")
for f in files:
    typ, data = m.append("INBOX", None, None, open(f, "rb").read())
    if typ != "OK":
        sys.exit("APPEND %s: %s" % (f, data))
m.logout()
PY
}

# run NAME: memberdeskd --once -v; stderr kept in $WORK/NAME.log. Exit 0,
# or 75 while notices wait, are fine; a signal or sanitizer report is not.
run()
{
	local rc
	"$MEMBERDESKD" -c "$CONF" --once -v 2>"$WORK/$1.log"
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 75 ]; then
		fail "$1: memberdeskd --once exits 0 or 75" "exit $rc" "$(tail -5 "$WORK/$1.log")"
	elif grep -qE 'Sanitizer|runtime error:' "$WORK/$1.log"; then
		fail "$1: no sanitizer report" "$(grep -m3 -E 'Sanitizer|runtime error:' "$WORK/$1.log")"
	else
		pass "$1: memberdeskd --once ran clean (exit $rc)"
	fi
}

# Large hostile messages are generated, not kept in the tree.
"$PYTHON" - "$WORK" <<'PY'
import os, sys
w = sys.argv[1]
def head(frm, subj, mid, ctype):
    return ("From: %s\r\nTo: chamber@chamber.test\r\nSubject: %s\r\n"
            "Date: Sat, 28 Nov 2026 10:00:00 +0800\r\nMessage-ID: <%s@members.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: %s\r\n" % (frm, subj, mid, ctype))
with open(os.path.join(w, "many-headers.eml"), "w", newline="") as f:
    f.write(head("Alice <alice@members.test>", "A thousand headers", "gen-1", "text/plain; charset=UTF-8"))
    for i in range(1000):
        f.write("X-Junk-%d: value %d\r\n" % (i, i))
    f.write("\r\nBody after a thousand headers.\r\n")
with open(os.path.join(w, "nested-100.eml"), "w", newline="") as f:
    f.write(head("Bob <bob@members.test>", "Nested 100 deep", "gen-2", 'multipart/mixed; boundary="b0"'))
    f.write("\r\n")
    for i in range(100):
        f.write("--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i, i + 1))
    f.write("--b100\r\nContent-Type: text/plain\r\n\r\ndeepest text\r\n--b100--\r\n")
    for i in range(99, -1, -1):
        f.write("--b%d--\r\n" % i)
with open(os.path.join(w, "parts-1000.eml"), "w", newline="") as f:
    f.write(head("Carol <carol@members.test>", "A thousand parts", "gen-3", 'multipart/mixed; boundary="p"'))
    f.write("\r\n--p\r\nContent-Type: text/plain\r\n\r\nFirst part is the request.\r\n")
    for i in range(1000):
        f.write("--p\r\nContent-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename=\"f%d.bin\"\r\n\r\nAAAA%d\r\n" % (i, i))
    f.write("--p--\r\n")
with open(os.path.join(w, "huge-30mb.eml"), "w", newline="") as f:
    f.write(head("Bob <bob@members.test>", "Scanned contract (30 MB)", "gen-4",
                 'multipart/mixed; boundary="h"'))
    f.write("\r\n--h\r\nContent-Type: text/plain\r\n\r\nPlease see the scan.\r\n"
            "--h\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\r\n")
    line = "QUJD" * 19 + "\r\n"
    f.write(line * (30 * 1024 * 1024 // len(line)))
    f.write("--h--\r\n")
PY

# ---- Phase 1: hostile mail ----
files=("$HOSTILE"/*.eml "$WORK/many-headers.eml" "$WORK/nested-100.eml" "$WORK/parts-1000.eml"
    "$WORK/huge-30mb.eml")
total=${#files[@]}
append chamber "${files[@]}" || fail "hostile mail appended to the chamber mailbox"
run hostile

n_in=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
[ "$n_in" = "$total" ] && pass "all $total hostile messages recorded" ||
    fail "all $total hostile messages recorded" "recorded: $n_in"
mailstack_wait_count chamber INBOX 0 10 >/dev/null && pass "chamber INBOX emptied" ||
    fail "chamber INBOX emptied"
n_proc=$(mailstack_wait_count chamber Processed "$total" 10) &&
    pass "every hostile message kept in Processed" ||
    fail "every hostile message kept in Processed" "got $n_proc"
n_unl=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND case_id IS NULL")
n_case=$(e2e_sql "SELECT count(DISTINCT case_id) FROM messages WHERE direction = 'in'")
echo "#   $n_case cases, $n_unl kept without a case"

# The oversize message: its head is kept and the member is told politely.
ov=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND length(raw) < 1000000 AND subject LIKE 'Scanned contract%'")
[ "$ov" = 1 ] && pass "30 MB message: head recorded" || fail "30 MB message: head recorded" "rows: $ov"
ovn=$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'oversize_notice' AND rcpt = 'bob@members.test' AND status = 'sent'")
[ "$ovn" = 1 ] && pass "30 MB message: oversize_notice sent to the member" ||
    fail "30 MB message: oversize_notice sent to the member" "rows: $ovn"

# Deliveries: wait for the queue to drain into the users' mailboxes.
n_sent=$(e2e_sql "SELECT count(*) FROM outbox WHERE status = 'sent'")
"$PYTHON" - "$MS_IMAP_PORT" "$n_sent" <<'PY' || fail "every sent notice delivered" "see above"
import imaplib, sys, time
port, want = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 30
while True:
    n = 0
    for u in ("alice", "bob", "carol", "staff1", "leader1"):
        m = imaplib.IMAP4("127.0.0.1", port); m.login(u, u + "-pw")
        n += int(m.select("INBOX", readonly=True)[1][0]); m.logout()
    if n >= want or time.monotonic() > deadline:
        break
    time.sleep(0.2)
print("#   %d notices sent, %d delivered" % (want, n))
sys.exit(0 if n >= want else 1)
PY
mkdir -p "$WORK/out"
for u in alice bob carol staff1 leader1; do
	mkdir -p "$WORK/out/$u"
	mailstack_save "$u" INBOX "$WORK/out/$u"
done
verdict=$("$PYTHON" - "$WORK/out" <<'PY'
import email, email.policy, glob, os, sys
allowed = {"from", "to", "reply-to", "subject", "date", "message-id", "in-reply-to",
           "references", "mime-version", "content-type", "content-transfer-encoding",
           "auto-submitted", "x-auto-response-suppress", "x-memberdesk-loop",
           "thread-topic", "thread-index", "return-path", "delivered-to", "received",
           "precedence", "content-language"}
problems = []
n = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.eml"))):
    user = os.path.basename(os.path.dirname(path))
    raw = open(path, "rb").read()
    n += 1
    hdr = raw.split(b"\r\n\r\n", 1)[0]
    for line in hdr.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue
        name = line.split(b":", 1)[0].decode("ascii", "replace").lower()
        if name not in allowed:
            problems.append("%s: unexpected header %r" % (path, line[:80]))
        if b"\x1b" in line or b"\x00" in line:
            problems.append("%s: control character in header %r" % (path, line[:80]))
    m = email.message_from_bytes(raw, policy=email.policy.default)
    # Mail text may show up inside text headers, never as an address.
    for k, v in m.items():
        if "evil" in str(v).lower() and k.lower() not in ("subject", "thread-topic"):
            problems.append("%s: 'evil' in %s: %r" % (path, k, str(v)[:80]))
    for k in ("Subject", "Thread-Topic"):
        if any(c in str(m[k] or "") for c in "\r\n\x1b\x00"):
            problems.append("%s: control character in decoded %s" % (path, k))
    tos = m.get_all("To") or []
    if len(tos) != 1 or len(m["To"].addresses) != 1:
        problems.append("%s: To is not one address: %r" % (path, tos))
    elif m["To"].addresses[0].addr_spec != user + ("@chamber.test" if user in ("staff1", "leader1") else "@members.test"):
        problems.append("%s: delivered to %s but To is %s" % (path, user, m["To"]))
    for h in ("Cc", "Bcc"):
        if m[h] is not None:
            problems.append("%s: %s header present" % (path, h))
    subj = str(m["Subject"] or "")
    if "\r" in subj or "\n" in subj:
        problems.append("%s: CR/LF in the decoded subject %r" % (path, subj))
print("; ".join(problems[:8]) if problems else "ok %d" % n)
PY
)
case "$verdict" in
ok*) pass "no injected header or recipient in ${verdict#ok } delivered messages";;
*) fail "no injected header or recipient in delivered messages" "$verdict";;
esac

ml="$MS_DIR/exim/log/mainlog"
bad_rcpt=$("$PYTHON" - "$ml" <<'PY'
import re, sys
ok = {"alice@members.test", "bob@members.test", "carol@members.test",
      "staff1@chamber.test", "leader1@chamber.test"}
bad = set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r" (=>|->|\*\*|==) (\S+)(?: <([^>]+)>)?", line)
    if m:
        addr = (m.group(3) or m.group(2)).lower()
        if addr not in ok:
            bad.add(addr)
    if "evil" in line.lower():
        bad.add("evil in: " + line.strip()[:120])
print(" ".join(sorted(bad)))
PY
)
[ -z "$bad_rcpt" ] && [ -s "$ml" ] && pass "Exim log: only expected recipients" ||
    fail "Exim log: only expected recipients" "$bad_rcpt"

# No log line from mail carries a raw CR, ESC, NUL or a forged line.
if LC_ALL=C grep -qP '\r|\x1b|\x00' "$WORK/hostile.log"; then
	fail "daemon log free of raw control characters" "$(LC_ALL=C grep -naP '\r|\x1b' "$WORK/hostile.log" | head -3 | cat -v)"
else
	pass "daemon log free of raw control characters"
fi
if grep -qE '^(Bcc|Cc|To):' "$WORK/hostile.log"; then
	fail "no forged log lines" "$(grep -E '^(Bcc|Cc|To):' "$WORK/hostile.log" | head -3)"
else
	pass "no forged log lines"
fi

# Templates never expand mail content: the markup subject comes back literally.
tmpl=$("$PYTHON" - "$WORK/out/bob" <<'PY'
import email, email.policy, glob, sys
for p in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    s = str(m["Subject"] or "")
    if "{{case_number}}" in s:
        print("ok" if "{{#x}}boom{{/x}}" in s and "{{chamber_address}}" in s else "mangled: " + s)
        break
else:
    print("no acknowledgement with the literal markup subject")
PY
)
[ "$tmpl" = ok ] && pass "template markup in a subject stays literal" ||
    fail "template markup in a subject stays literal" "$tmpl"

# ANSI escapes never reach case show raw.
esc_found=""
for num in $(e2e_sql "SELECT number FROM cases"); do
	if "$MEMBERDESK" case show "$num" 2>&1 | LC_ALL=C grep -qP '\x1b|\x00|\r'; then
		esc_found="$esc_found $num"
	fi
done
[ -z "$esc_found" ] && pass "case show prints no raw ESC, NUL or CR" ||
    fail "case show prints no raw ESC, NUL or CR" "cases:$esc_found"
ansi_case=$(e2e_sql "SELECT number FROM cases WHERE subject LIKE 'Invoice%'")
[ -n "$ansi_case" ] && "$MEMBERDESK" case show "$ansi_case" 2>&1 | grep -q 'dispute' &&
    pass "the ANSI case is shown (escaped)" || fail "the ANSI case is shown (escaped)" "case: $ansi_case"

# ---- Privacy ----
cc_case=$(e2e_sql "SELECT number FROM cases WHERE subject = 'Supplier dispute'")
bob_cc=$(e2e_sql "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.subject = 'Supplier dispute' AND o.rcpt NOT IN ('alice@members.test', 'staff1@chamber.test', 'leader1@chamber.test')")
[ -n "$cc_case" ] && [ "$bob_cc" = 0 ] && pass "Cc'd members get nothing about another member's request" ||
    fail "Cc'd members get nothing about another member's request" "case $cc_case, other recipients: $bob_cc"
if grep -rq "PRIVACY-MARKER-7f3a" "$WORK/out/bob" "$WORK/out/carol"; then
	fail "Cc'd members' mailboxes hold nothing of the request"
else
	pass "Cc'd members' mailboxes hold nothing of the request"
fi
if grep -q "PRIVACY-MARKER-7f3a" "$WORK/hostile.log"; then
	fail "daemon log at -v holds no message body"
else
	pass "daemon log at -v holds no message body"
fi
if "$MEMBERDESK" case list 2>&1 | grep -q "PRIVACY-MARKER-7f3a"; then
	fail "case list prints no bodies"
else
	pass "case list prints no bodies"
fi

# Bob writes with Alice's case tag: it must not land on Alice's case.
printf 'From: Bob <bob@members.test>\r\nTo: chamber@chamber.test\r\nSubject: Re: [%s] Supplier dispute\r\nMessage-ID: <tag-steal@members.test>\r\nDate: Sat, 28 Nov 2026 11:00:00 +0800\r\n\r\nBOB-ON-ALICE-CASE please add me.\r\n' "$cc_case" > "$WORK/tag-steal.eml"
append chamber "$WORK/tag-steal.eml"
run privacy
on_alice=$(e2e_sql "SELECT count(*) FROM messages m JOIN cases c ON c.id = m.case_id WHERE c.number = '$cc_case' AND m.direction = 'in' AND m.text LIKE '%BOB-ON-ALICE-CASE%'")
kept=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND message_id = 'tag-steal@members.test'")
[ "$on_alice" = 0 ] && [ "$kept" = 1 ] && pass "another member's case tag does not reach the case (message kept)" ||
    fail "another member's case tag does not reach the case (message kept)" "on case: $on_alice, kept: $kept"
alice_heard=$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'alice@members.test' AND created_at >= (SELECT received_at FROM messages WHERE message_id = 'tag-steal@members.test')")
[ "$alice_heard" = 0 ] && pass "the case's member is not sent the stranger's words" ||
    fail "the case's member is not sent the stranger's words" "notices to alice: $alice_heard"

# ---- inspect --json: the automatic verdict ----
js=$("$MEMBERDESK" inspect --json "$SRCDIR/tests/data/auto/bounce-dsn.eml" 2>&1)
echo "$js" | "$PYTHON" -c 'import json,sys; a=json.load(sys.stdin)["automatic"]; sys.exit(0 if a["is"] is True and a["kind"]=="bounce" and a["reason"] else 1)' &&
    pass "inspect --json: automatic {is: true, kind: bounce, reason}" ||
    fail "inspect --json: automatic {is: true, kind: bounce, reason}" "$js"
js=$("$MEMBERDESK" inspect --json "$HOSTILE/cc-third-party.eml" 2>&1)
echo "$js" | "$PYTHON" -c 'import json,sys; a=json.load(sys.stdin)["automatic"]; sys.exit(0 if a["is"] is False and a["kind"] is None and a["reason"] else 1)' &&
    pass "inspect --json: automatic {is: false, kind: null} for a member's mail" ||
    fail "inspect --json: automatic {is: false, kind: null} for a member's mail" "$js"

# ---- A bounce of a real notice ----
ack_id=$(e2e_sql "SELECT message_id FROM outbox WHERE kind = 'ack' AND rcpt = 'carol@members.test' AND status = 'sent' ORDER BY id LIMIT 1")
ack_case=$(e2e_sql "SELECT case_id FROM outbox WHERE message_id = '$ack_id'")
printf 'Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@members.test>\r\nTo: chamber@chamber.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-e2e@members.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; members.test\r\n\r\nFinal-Recipient: rfc822; carol@members.test\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: chamber@chamber.test\r\nMessage-ID: <%s>\r\n\r\n--B--\r\n' "$ack_id" > "$WORK/dsn.eml"
append chamber "$WORK/dsn.eml"
run bounce
ev=$(e2e_sql "SELECT json_extract(detail, '$.address') || ' ' || json_extract(detail, '$.status') FROM case_events WHERE kind = 'member-unreachable' AND case_id = '$ack_case'")
[ "$ev" = "carol@members.test 5.2.2" ] && pass "bounce linked: member-unreachable on the case" ||
    fail "bounce linked: member-unreachable on the case" "event: $ev (notice $ack_id)"
al=$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'bounce_alert' AND rcpt = 'staff1@chamber.test' AND case_id = '$ack_case'")/$(e2e_sql "SELECT count(*) FROM cases WHERE subject LIKE 'Undelivered%'")
[ "$al" = "1/0" ] && pass "bounce: secretariat alerted, no case opened" ||
    fail "bounce: secretariat alerted, no case opened" "alerts/cases: $al"

# ---- Rate limit: someone writing 5 times with a limit of 3 ----
mailstack_add_user dave dave-pw
sed -i 's/per_recipient_hour = 100/per_recipient_hour = 3/' "$CONF"
before=$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'dave@members.test'")
for i in 1 2 3 4 5; do
	printf 'From: Dave <dave@members.test>\r\nTo: chamber@chamber.test\r\nSubject: Request number %s\r\nMessage-ID: <rate-%s@members.test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0800\r\n\r\nSeparate request %s.\r\n' "$i" "$i" "$i" > "$WORK/rate-$i.eml"
done
append chamber "$WORK"/rate-?.eml
run ratelimit
rl=$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'dave@members.test' AND status = 'sent'")/$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'dave@members.test' AND status = 'queued' AND attempts = 0 AND next_attempt_at > strftime('%s','now') + 3000")/$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'rate_alert' AND rcpt = 'staff1@chamber.test'")
[ "$before" = 0 ] && [ "$rl" = "3/2/1" ] && pass "rate limit: 3 sent, 2 wait an hour, the secretariat told once" ||
    fail "rate limit: 3 sent, 2 wait an hour, the secretariat told once" "sent/held/alerts: $rl"

# ---- Every corpus MIME message, exactly once ----
if [ -d "${MD_CORPUS:-}/mime" ]; then
	sed -i 's/per_recipient_hour = 3/per_recipient_hour = 100/' "$CONF"
	mapfile -t corpus < <(find "$MD_CORPUS/mime" -type f -name '*.eml' | sort)
	base=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
	append chamber "${corpus[@]}" || fail "corpus appended"
	run corpus
	mailstack_wait_count chamber INBOX 0 10 >/dev/null &&
	    pass "corpus: all ${#corpus[@]} messages taken out of INBOX" ||
	    fail "corpus: all ${#corpus[@]} messages taken out of INBOX"
	got=$(e2e_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
	dup=$(sed -n 's/.* \([0-9]*\) duplicate,.*/\1/p' "$WORK/corpus.log" | awk '{s += $1} END {print s + 0}')
	uids=$(e2e_sql "SELECT count(DISTINCT uid) FROM messages WHERE direction = 'in' AND uid IS NOT NULL")
	recorded=$((got - base))
	if [ $((recorded + dup)) = "${#corpus[@]}" ] && [ "$uids" = "$got" ]; then
		pass "corpus: each of ${#corpus[@]} messages recorded once ($recorded rows, $dup duplicates of earlier ones)"
	else
		fail "corpus: each message recorded once" "recorded $recorded + duplicates $dup of ${#corpus[@]}; distinct uids $uids of $got rows"
	fi
	grep -q 'LeakSanitizer' "$WORK/corpus.log" && fail "corpus: no leak report" ||
	    pass "corpus: no leak report"
else
	echo "skip - corpus part: MD_CORPUS/mime not found"
fi

e2e_finish
