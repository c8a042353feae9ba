#!/bin/bash
# memberdesk status against the real mail stack: the mailbox backlog with
# --imap before and after the daemon takes mail in, the last poll time, and
# the queued acknowledgements in the outbox while SMTP is down.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_ops_imap

for n in 1 2; do
	printf 'From: alice@members.test\r\nTo: chamber@chamber.test\r\nSubject: request %s\r\nMessage-ID: <ops-%s@members.test>\r\nDate: %s\r\n\r\nPlease help with %s.\r\n' \
	    "$n" "$n" "$(date -R)" "$n" >"$WORK/r$n.eml"
	mailstack_send alice@members.test chamber@chamber.test "$WORK/r$n.eml"
done
mailstack_wait_count chamber INBOX 2 15 >/dev/null || fail "two requests delivered"

out=$("$MEMBERDESK" status --imap 2>&1); rc=$?
[ "$rc" = 3 ] && echo "$out" | grep -q "邮箱积压：2 封待收取" && echo "$out" | grep -q "上次收信：从未" &&
	pass "status --imap counts 2 waiting before the daemon ran" ||
	fail "status --imap counts 2 waiting before the daemon ran" "rc=$rc" "$out"

# SMTP down: the acknowledgements stay queued.
sed "/^smtp {/,/^}/ s/port = .*/port = 1/" "$CONF" >"$WORK/nosmtp.conf"
"$MEMBERDESKD" -c "$WORK/nosmtp.conf" --once 2>"$WORK/run.log"
out=$("$MEMBERDESK" status --imap --json 2>&1)
echo "$out" | "$PYTHON" -c '
import json, sys, time
o = json.load(sys.stdin)
assert o["mailbox_backlog"] == 0, o["mailbox_backlog"]
assert abs(o["last_poll_at"] - time.time()) < 120, o["last_poll_at"]
assert o["outbox"]["queued"] >= 2, o["outbox"]
assert o["outbox"]["oldest_queued_at"] > 0, o["outbox"]
assert o["cases"]["due_today"] + o["cases"]["overdue"] >= 0
' && pass "status --imap --json after a run: backlog 0, last poll now, acknowledgements queued" ||
	fail "status --imap --json after a run: backlog 0, last poll now, acknowledgements queued" "$out" "$(tail -5 "$WORK/run.log")"

month=$(TZ=Asia/Shanghai date +%Y-%m)
"$MEMBERDESK" report --month "$month" --format csv -o "$WORK/r.csv" 2>"$WORK/report.err" ||
	fail "report of this month" "$(cat "$WORK/report.err")"
grep -q "^registered,all,.*,2"$'\r'"$" "$WORK/r.csv" && pass "report of this month counts the 2 new cases" ||
	fail "report of this month counts the 2 new cases" "$(head -8 "$WORK/r.csv")"
e2e_finish
