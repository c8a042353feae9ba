#!/bin/bash
# The deadline scheduler end to end: requests come in by mail, staff accept
# them through the command line, and memberdeskd --once runs at chosen
# moments (MEMBERDESK_NOW, no sleeping until a deadline) through Exim into
# Dovecot; staff and leadership inboxes are read back over IMAP.
#   - the day before a simple case's deadline: a reminder to the secretariat;
#   - after it: an escalation to the secretariat, not to the leadership;
#   - a digest morning: the digest to the secretariat only;
#   - after a major case's deadline: the leadership is told too;
#   - a second run at the same clock sends nothing new.
# Dates (Asia/Shanghai, 2026 calendar): Mon 09-14 registered and accepted;
# simple due Thu 09-17; major due Sat 10-10 (a make-up working day).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_deadlines

export MEMBERDESK_ACTOR=staff1@chamber.test
# epoch LOCAL-TIME: seconds since the epoch of a Shanghai time "2026-09-14 07:00".
epoch()
{
	TZ=Asia/Shanghai date -d "$1" +%s
}

# run_daemon WHAT NOW: one pass of the daemon at NOW (epoch or ISO 8601).
run_daemon()
{
	MEMBERDESK_NOW="$2" "$MEMBERDESKD" -c "$CONF" --once 2>>"$WORK/daemon.log" ||
	    fail "memberdeskd --once ($1)" "$(tail -5 "$WORK/daemon.log")"
}

cli()
{
	local what="$1" out
	shift
	if out=$(MEMBERDESK_NOW="$CLI_NOW" "$MEMBERDESK" case "$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "$out"
	fi
}

# count_of USER SUBJECT-PART: messages whose subject line contains the part,
# once every queued notice has reached Dovecot.
count_of()
{
	local want
	want=$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = '$1@chamber.test'")
	mailstack_wait_count "$1" INBOX "$want" 15 >/dev/null
	e2e_inbox "$1" | cut -f1 | grep -cF -- "$2"
}

outbox_total()
{
	e2e_sql "SELECT count(*) FROM outbox"
}

# Monday 09-14, 07:00: two requests registered before the digest hour.
e2e_request alice@members.test "出口退税进度查询" "我司出口退税申请已提交两个月，请协助查询进度。" "$WORK/a.eml"
e2e_request carol@members.test "园区用电增容" "园区多家企业用电受限，请商会协调供电公司增容。" "$WORK/c.eml"
for f in a c; do
	mailstack_send members@members.test chamber@chamber.test "$WORK/$f.eml"
done
mailstack_wait_count chamber INBOX 2 15 >/dev/null || fail "requests delivered to the chamber"
run_daemon intake "$(epoch '2026-09-14 07:00')"
A=$(e2e_sql "SELECT number FROM cases WHERE subject = '出口退税进度查询'")
C=$(e2e_sql "SELECT number FROM cases WHERE subject = '园区用电增容'")
[ -n "$A" ] && [ -n "$C" ] && pass "two requests registered ($A, $C)" ||
    fail "two requests registered" "$(e2e_sql 'SELECT number, subject FROM cases')"

CLI_NOW=$(epoch '2026-09-14 07:30')
cli "accept $A as simple" accept "$A" --tier simple
cli "accept $C as major" accept "$C" --tier major
due=$(e2e_sql "SELECT handling_due FROM cases WHERE number = '$A'")
[ "$due" = "$(epoch '2026-09-17 23:59:59')" ] && pass "simple case due Thursday 09-17" ||
    fail "simple case due Thursday 09-17" "got $due"
run_daemon "acceptance notices" "$(epoch '2026-09-14 07:30')"
[ "$(count_of staff1 '到期提醒')" = 0 ] && pass "no reminder three working days ahead" ||
    fail "no reminder three working days ahead"

# The day before the deadline (ISO 8601 form of the clock).
run_daemon "day before" "2026-09-16T07:00:00+08:00"
e2e_has staff1 "[$A] 到期提醒" "2026年9月17日" && pass "reminder in staff1's inbox the day before" ||
    fail "reminder in staff1's inbox the day before" "$(e2e_inbox staff1 | cut -c1-160)"
e2e_has staff1 "[$A] 到期提醒" "剩余 1 个工作日" && pass "reminder says one working day is left" ||
    fail "reminder says one working day is left"
before=$(outbox_total)
run_daemon "day before, again" "2026-09-16T07:00:00+08:00"
[ "$(outbox_total)" = "$before" ] && [ "$(count_of staff1 '到期提醒')" = 1 ] &&
    pass "a second run at the same clock sends no second reminder" ||
    fail "a second run at the same clock sends no second reminder"

# The morning after the deadline, before the digest hour.
run_daemon "after deadline" "$(epoch '2026-09-18 07:00')"
e2e_has staff1 "[$A] 逾期督办" "逾期 1 个工作日" && pass "escalation in staff1's inbox after the deadline" ||
    fail "escalation in staff1's inbox after the deadline" "$(e2e_inbox staff1 | cut -c1-160)"
[ "$(count_of leader1 "[$A] 逾期督办")" = 0 ] &&
    pass "a simple case one day late is not escalated to the leadership" ||
    fail "a simple case one day late is not escalated to the leadership"
[ "$(count_of staff1 '诉求日报')" = 0 ] && pass "no digest before the digest hour" ||
    fail "no digest before the digest hour"

# The digest morning.
run_daemon "digest" "$(epoch '2026-09-18 08:30')"
e2e_has staff1 "诉求日报" "$A" && pass "digest in staff1's inbox lists the overdue case" ||
    fail "digest in staff1's inbox lists the overdue case" "$(e2e_inbox staff1 | cut -c1-300)"
e2e_has staff1 "诉求日报" "已逾期 1 件" && pass "digest counts one overdue case" ||
    fail "digest counts one overdue case" "$(e2e_inbox staff1 | grep 诉求日报)"
before=$(outbox_total)
run_daemon "digest, again" "$(epoch '2026-09-18 08:30')"
run_daemon "digest, later that day" "$(epoch '2026-09-18 17:00')"
[ "$(outbox_total)" = "$before" ] && [ "$(count_of staff1 '诉求日报')" = 1 ] &&
    pass "one digest a day, also across runs" || fail "one digest a day, also across runs"
[ "$(count_of leader1 '诉求日报')" = 0 ] && pass "the leadership gets no digest" ||
    fail "the leadership gets no digest"

# After the major case's deadline (Saturday 10-10, worked): Monday 10-12.
run_daemon "major overdue" "$(epoch '2026-10-12 07:00')"
e2e_has leader1 "[$C] 逾期督办" "2026年10月10日" && pass "major case escalated to leader1" ||
    fail "major case escalated to leader1" "$(e2e_inbox leader1 | cut -c1-160)"
e2e_has staff1 "[$C] 逾期督办" "2026年10月10日" && pass "major case escalated to staff1" ||
    fail "major case escalated to staff1"
# By now the simple case is long overdue: the leadership hears of it too.
e2e_has leader1 "[$A] 逾期督办" "个工作日" && pass "long-overdue simple case escalated to leader1" ||
    fail "long-overdue simple case escalated to leader1"
before=$(outbox_total)
run_daemon "major overdue, again" "$(epoch '2026-10-12 07:00')"
[ "$(outbox_total)" = "$before" ] && pass "a second run at the same clock sends nothing new" ||
    fail "a second run at the same clock sends nothing new" "$before -> $(outbox_total)"
n1=$(count_of leader1 "逾期督办")
[ "$n1" = 2 ] && pass "leader1 holds exactly two escalations" ||
    fail "leader1 holds exactly two escalations" "got $n1"

grep -q "MEMBERDESK_NOW is set" "$WORK/daemon.log" && pass "the fixed clock is logged as a warning" ||
    fail "the fixed clock is logged as a warning"
if MEMBERDESK_NOW="next tuesday" "$MEMBERDESKD" -c "$CONF" --once 2>"$WORK/bad-now.log"; then
	fail "an unparsable MEMBERDESK_NOW stops the daemon"
else
	grep -q "MEMBERDESK_NOW" "$WORK/bad-now.log" &&
	    pass "an unparsable MEMBERDESK_NOW stops the daemon, saying why" ||
	    fail "an unparsable MEMBERDESK_NOW stops the daemon, saying why" "$(cat "$WORK/bad-now.log")"
fi
n=$(e2e_sql "SELECT count(*) FROM outbox WHERE status <> 'sent'")
[ "$n" = 0 ] && pass "every notice sent" || fail "every notice sent" "$n left"
e2e_finish
