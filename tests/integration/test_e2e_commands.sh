#!/bin/bash
# Every staff command by mail, table-driven, through the real stack: each
# command is one reply from staff1 to its per-case reply address (the one on
# the new-case notice), taken in by memberdeskd --once; the expected change
# is read back from the database and, where the member is told, from the
# member's IMAP inbox. English and Chinese keywords alternate.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_commands
# More notices reach one member here than the default hourly limit allows.
cat >> "$CONF" <<'CONF'
rate_limits {
	per_recipient_hour = 100
	per_case_day = 100
}
staff "staff2@chamber.test" {
	name = "赵干事"
}
CONF

N=0
CMDS=0
deliver()  # FILE ENVELOPE-FROM RCPT
{
	N=$((N + 1))
	mailstack_send "$2" "$3" "$1"
	mailstack_wait_count chamber INBOX 1 15 >/dev/null || fail "delivered: $1"
	"$MEMBERDESKD" -c "$CONF" --once 2>>"$WORK/runs.log"
	mailstack_wait_count chamber INBOX 0 15 >/dev/null || fail "taken in: $1"
}

sql() { e2e_sql "$1"; }

# A request from MEMBER; prints the case number once registered.
request()  # MEMBER SUBJECT
{
	e2e_mail "$WORK/req$N.eml" "$1@members.test" chamber@chamber.test "$2" "请秘书处协助处理：$2"
	deliver "$WORK/req$N.eml" "$1@members.test" chamber@chamber.test
	sql "SELECT number FROM cases WHERE subject = '$2'"
}

# The reply address of staff1 for a case, from the new-case notice's Reply-To.
reply_address()  # NUMBER
{
	local dir="$WORK/staff1-$RANDOM"
	mkdir -p "$dir"
	mailstack_save staff1 INBOX "$dir"
	"$PYTHON" - "$dir" "$1" <<'PY'
import email, email.policy, os, sys
d, number = sys.argv[1:3]
for f in sorted(os.listdir(d), key=lambda f: int(f.split(".")[0])):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    rt = str(m["Reply-To"] or "")
    if "[" + number + "]" in str(m["Subject"]) and rt.lower().startswith("chamber+" + number.lower()):
        print(rt.strip()); break
PY
}

# command NUMBER BODY: staff1 replies to the case with BODY.
command()
{
	local to
	to=$(reply_address "$1")
	[ -n "$to" ] || { fail "reply address for $1"; return; }
	CMDS=$((CMDS + 1))
	e2e_mail "$WORK/cmd$N.eml" "王秘书 <staff1@chamber.test>" "$to" "Re: [$1] 指令" "$2"
	deliver "$WORK/cmd$N.eml" staff1@chamber.test "$to"
}

# expect DESCRIPTION SQL WANTED
expect()
{
	local got
	got=$(sql "$2")
	[ "$got" = "$3" ] && pass "$1" || fail "$1" "wanted: $3" "got:    $got" "$(tail -3 "$WORK/runs.log")"
}

member_notices() { sql "SELECT count(*) FROM outbox WHERE rcpt = '$1@members.test'"; }

A=$(request alice "园区厂房租金上涨过快")
B=$(request bob "供应商合同纠纷已起诉")
C=$(request carol "多家会员企业反映用电价格问题")
D=$(request alice "用电价格问题补充")
[ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ] && [ -n "$D" ] && pass "four requests registered" ||
    fail "four requests registered" "$A $B $C $D"
mailstack_wait_count staff1 INBOX 4 20 >/dev/null || fail "staff1 has the four new-case notices"

# type, tier before acceptance is refused, assign, note: nothing to the member.
before=$(member_notices alice)
command "$A" "#type rights"
expect "#type rights" "SELECT type FROM cases WHERE number = '$A'" rights
command "$A" "#分派 staff2@chamber.test"
expect "#分派 (assign)" "SELECT assignee FROM cases WHERE number = '$A'" staff2@chamber.test
command "$A" "#备注 已电话联系会员，等待合同复印件"
expect "#备注 (note) recorded" "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id
    WHERE c.number = '$A' AND e.kind = 'note' AND e.detail LIKE '%合同复印件%'" 1
expect "type, assign and note send the member nothing" \
    "SELECT count(*) FROM outbox WHERE rcpt = 'alice@members.test'" "$before"

# accept major, tier, progress, extend: the member is told of each with dates.
command "$A" "#受理 重大"
expect "#受理 重大 (accept major)" "SELECT status || '/' || tier FROM cases WHERE number = '$A'" handling/major
command "$A" "#tier general"
expect "#tier general" "SELECT tier FROM cases WHERE number = '$A'" general
command "$A" "#级别 重大"
expect "#级别 重大 (tier major)" "SELECT tier FROM cases WHERE number = '$A'" major
n=$(member_notices alice)
command "$A" "#progress 已与园区管委会沟通，下周座谈"
expect "#progress queued for the member" "SELECT count(*) FROM outbox WHERE rcpt = 'alice@members.test' AND kind = 'progress'" 1
command "$A" "#延期 5 需要跨部门协调"
expect "#延期 (extend 5) on a major case" "SELECT extended_count FROM cases WHERE number = '$A'" 1
expect "extension notice queued for the member" "SELECT count(*) FROM outbox WHERE rcpt = 'alice@members.test' AND kind = 'extended'" 1

# resolve, close, reopen, archive.
command "$A" "#resolve agency-coordination 经协调，园区同意暂缓上调租金。"
expect "#resolve" "SELECT status || '/' || method FROM cases WHERE number = '$A'" resolved/agency-coordination
command "$A" "#关闭 会员电话确认满意"
expect "#关闭 (close)" "SELECT status FROM cases WHERE number = '$A'" closed
command "$A" "#reopen 会员补充了新的情况"
expect "#reopen" "SELECT status FROM cases WHERE number = '$A'" handling
command "$A" "#办结 政策解读 已再次核实并答复。"
command "$A" "#close"
command "$A" "#归档"
expect "#办结, #close, #归档 (archive)" "SELECT status FROM cases WHERE number = '$A'" archived

# reject with an art. 8 ground.
command "$B" "#不予受理 诉讼 该纠纷已进入诉讼程序，建议通过法院依法解决。"
expect "#不予受理 诉讼 (reject legal-process)" "SELECT status || '/' || reject_ground FROM cases WHERE number = '$B'" rejected/legal-process
expect "rejection notice queued for the member" "SELECT count(*) FROM outbox WHERE rcpt = 'bob@members.test' AND kind = 'rejected'" 1

# merge D into C: a joint case (art. 14).
command "$C" "#accept major
#merge $D"
expect "#merge: the other case is merged" "SELECT status FROM cases WHERE number = '$D'" merged
expect "#merge: it points at the joint case" "SELECT p.number FROM cases c JOIN cases p ON p.id = c.joint_parent_id WHERE c.number = '$D'" "$C"

# register on a member's behalf.
command "$C" "#代登记 bob@members.test 来访 用工补贴申请咨询
会员来访反映：想了解稳岗补贴的申请条件。"
expect "#代登记 (register on behalf, walk-in)" "SELECT channel || '/' || requester_email FROM cases WHERE subject = '用工补贴申请咨询'" walk-in/bob@members.test

# A wrong command changes nothing and says so.
st=$(sql "SELECT status FROM cases WHERE number = '$B'")
command "$B" "#frobnicate now"
expect "unknown command changes nothing" "SELECT status FROM cases WHERE number = '$B'" "$st"
expect "every command mail got one transcript" "SELECT count(*) FROM outbox WHERE rcpt = 'staff1@chamber.test' AND kind = 'transcript'" "$CMDS"

"$MEMBERDESKD" -c "$CONF" --once 2>>"$WORK/runs.log"
expect "every notice went out" "SELECT count(*) FROM outbox WHERE status <> 'sent'" 0
e2e_finish
