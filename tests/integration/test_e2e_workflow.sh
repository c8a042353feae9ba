#!/bin/bash
# The case life cycle end to end (arts. 8-16): requests come in by mail, staff
# act through the command line at a fixed date (Monday 2026-09-28, just
# before National Day: MEMBERDESK_NOW), memberdeskd --once sends the notices
# through Exim into Dovecot, and each member's IMAP inbox is read back:
#   - simple, general and major requests accepted and resolved: accepted and
#     result notices carry the deadlines of the 2026 calendar;
#   - a rejection for every art. 8 ground;
#   - a satisfied close and an unsatisfied re-handling (art. 16 date);
#   - a joint case (art. 14) whose progress reaches every member;
#   - the leadership hears of the major case, the secretariat of new ones;
#   - the export holds the whole record, attachment checksum included.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_workflow
# The scenario sends alice far more notices within one (fixed) hour than a
# real member would get; the rate limits are tested elsewhere.
cat >> "$CONF" <<'CONF'
rate_limits {
	per_recipient_hour = 200
	per_case_day = 200
}
CONF

export MEMBERDESK_NOW=1790560800        # 2026-09-28 10:00 Asia/Shanghai
export MEMBERDESK_ACTOR=staff1@chamber.test
YEAR=$(TZ=Asia/Shanghai date +%Y)

run_daemon()
{
	"$MEMBERDESKD" -c "$CONF" --once 2>>"$WORK/daemon.log" ||
	    fail "memberdeskd --once ($1)" "$(tail -5 "$WORK/daemon.log")"
}

# cli WHAT ARGS...: a case command that must succeed.
cli()
{
	local what="$1" out
	shift
	if out=$("$MEMBERDESK" case "$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "$out"
	fi
}

e2e_request alice@members.test "研发费用加计扣除政策咨询" "请问研发费用加计扣除比例是多少？" "$WORK/a.eml" "营业执照.pdf"
e2e_request bob@members.test "应收账款催收困难" "客户拖欠货款半年，请商会协助协调。" "$WORK/b.eml"
e2e_request carol@members.test "园区多家企业用电受限" "园区近期频繁限电，影响多家会员企业生产。" "$WORK/c.eml"
for f in a b c; do
	mailstack_send members@members.test chamber@chamber.test "$WORK/$f.eml"
done
mailstack_wait_count chamber INBOX 3 15 >/dev/null || fail "requests delivered to the chamber"
run_daemon intake
A=MD-$YEAR-0001 B=MD-$YEAR-0002 C=MD-$YEAR-0003
n=$(e2e_sql "SELECT count(*) FROM cases WHERE status = 'registered'")
[ "$n" = 3 ] && pass "three requests registered" || fail "three requests registered" "got $n"
a_id=$(e2e_sql "SELECT id FROM cases WHERE subject = '研发费用加计扣除政策咨询'")
A=$(e2e_sql "SELECT number FROM cases WHERE subject = '研发费用加计扣除政策咨询'")
B=$(e2e_sql "SELECT number FROM cases WHERE subject = '应收账款催收困难'")
C=$(e2e_sql "SELECT number FROM cases WHERE subject = '园区多家企业用电受限'")

# One case per tier: accept and resolve on the same Monday.
cli "accept $A simple" accept "$A" --tier simple
cli "accept $B general" accept "$B" --tier general
cli "accept $C major" accept "$C" --tier major
out=$("$MEMBERDESK" case accept "$A" --tier general 2>&1) &&
    fail "accepting twice is refused" "$out" || pass "accepting twice is refused"
out=$("$MEMBERDESK" case extend "$B" --days 3 --reason "x" 2>&1) &&
    fail "extending a general case is refused" || pass "extending a general case is refused"
cli "extend $C by 5 working days" extend "$C" --days 5 --reason "需提交理事会研究"
cli "progress on $B" progress "$B" "已联系对方企业负责人，正在协调还款计划。"
cli "resolve $A" resolve "$A" --method policy-interpretation --result "研发费用可按100%加计扣除。"
cli "resolve $B" resolve "$B" --method agency-coordination --result "对方同意分三期付款。"
cli "resolve $C" resolve "$C" --method agency-coordination --result "供电公司承诺增容。"
run_daemon "notices"

e2e_has alice "诉求已受理" "2026年10月8日（星期四）" && pass "simple: accepted notice shows 2026-10-08" ||
    fail "simple: accepted notice shows 2026-10-08" "$(e2e_inbox alice)"
e2e_has bob "诉求已受理" "2026年10月13日（星期二）" && pass "general: accepted notice shows 2026-10-13" ||
    fail "general: accepted notice shows 2026-10-13" "$(e2e_inbox bob)"
e2e_has carol "诉求已受理" "2026年10月23日（星期五）" && pass "major: accepted notice shows 2026-10-23" ||
    fail "major: accepted notice shows 2026-10-23" "$(e2e_inbox carol)"
e2e_has carol "办理期限延长" "2026年10月30日（星期五）" && pass "major: extension notice with reason and new date" ||
    fail "major: extension notice with reason and new date"
e2e_has bob "办理进展" "正在协调还款计划" && pass "general: progress notice" || fail "general: progress notice"
for u in alice bob carol; do
	e2e_has $u "处理结果反馈" "2026年10月10日（星期六）" &&
	    pass "$u: result notice asks for feedback by 2026-10-10" ||
	    fail "$u: result notice asks for feedback by 2026-10-10" "$(e2e_inbox $u | cut -c1-200)"
done
e2e_has alice "[$A]" "研发费用可按100%加计扣除" && pass "result text reaches the member under the case tag" ||
    fail "result text reaches the member under the case tag"
e2e_has leader1 "重大复杂诉求" "$C" && pass "leadership told of the major case (art. 11(3))" ||
    fail "leadership told of the major case (art. 11(3))" "$(e2e_inbox leader1)"
e2e_has staff1 "新诉求待审核" "$C" >/dev/null
n=$(e2e_inbox staff1 | grep -c "新诉求待审核")
[ "$n" = 3 ] && pass "secretariat told of each new case" || fail "secretariat told of each new case" "got $n"

# Art. 15 and 16: satisfied and unsatisfied.
cli "alice satisfied" feedback "$A" satisfied
cli "bob not satisfied" feedback "$B" unsatisfied --reason "第一期款项仍未到账"
cli "carol scores 4" feedback "$C" 4
run_daemon "feedback"
[ "$(e2e_sql "SELECT status FROM cases WHERE number = '$A'")" = closed ] &&
    pass "satisfied: case closed" || fail "satisfied: case closed"
e2e_has alice "诉求已办结" "满意" && pass "satisfied: closing notice" || fail "satisfied: closing notice"
[ "$(e2e_sql "SELECT status FROM cases WHERE number = '$B'")" = rehandling ] &&
    pass "unsatisfied: re-handling" || fail "unsatisfied: re-handling"
e2e_has bob "重新办理" "2026年10月8日（星期四）" && pass "unsatisfied: new result due 2026-10-08 (art. 16)" ||
    fail "unsatisfied: new result due 2026-10-08 (art. 16)"
e2e_has bob "重新办理" "第一期款项仍未到账" && pass "unsatisfied: the member's reason is quoted" ||
    fail "unsatisfied: the member's reason is quoted"
cli "re-handled result for $B" resolve "$B" --method agency-coordination --result "首期款已到账。"
out=$("$MEMBERDESK" case progress "$A" "x" 2>&1) && fail "closed case refuses progress" ||
    { echo "$out" | grep -q "reopen" && pass "closed case refuses progress, pointing to reopen" ||
      fail "closed case refuses progress, pointing to reopen" "$out"; }

# A rejection for every art. 8 ground (requests registered on alice's behalf).
i=0
for g in outside-remit legal-process no-basis unlawful other; do
	i=$((i + 1))
	num=$("$MEMBERDESK" case register --member alice@members.test --channel visit \
	    --subject "来访诉求$i" --text "来访记录 $i" | grep -oE "MD-[0-9]{4}-[0-9]{4}")
	cli "reject $num ($g)" reject "$num" --ground "$g" --explanation "说明$i" \
	    --channel "12345 热线"
done
run_daemon "rejections"
for pair in "不属于商会职责范围" "仲裁程序" "无事实依据" "违反法律法规" "其他不符合受理条件"; do
	e2e_has alice "不予受理" "$pair" && pass "rejection notice: $pair" ||
	    fail "rejection notice: $pair"
done
e2e_has alice "诉求受理回执：来访诉求5" "来访" >/dev/null
n=$(e2e_inbox alice | grep -c "诉求受理回执：来访诉求")
[ "$n" = 5 ] && pass "acknowledgement for each request registered on the member's behalf" ||
    fail "acknowledgement for each request registered on the member's behalf" "got $n"

# Art. 14: a joint case; every member hears of its progress under their own number.
J1=$("$MEMBERDESK" case register --member bob@members.test --channel meeting \
    --subject "园区道路破损" --text "会上反映园区道路破损" | grep -oE "MD-[0-9]{4}-[0-9]{4}")
J2=$("$MEMBERDESK" case register --member carol@members.test --channel meeting \
    --subject "道路坑洼影响运输" --text "同一问题" | grep -oE "MD-[0-9]{4}-[0-9]{4}")
J3=$("$MEMBERDESK" case register --member alice@members.test --channel walk-in \
    --subject "门前道路维修" --text "走访时反映" | grep -oE "MD-[0-9]{4}-[0-9]{4}")
cli "accept joint case $J1" accept "$J1" --tier major
cli "merge $J2 $J3 into $J1" merge "$J1" "$J2" "$J3"
cli "progress on the joint case" progress "$J1" "已与区交通局现场查看。"
run_daemon "joint"
e2e_has bob "[$J1]" "已与区交通局现场查看" && pass "joint: the joint case's own member told" ||
    fail "joint: the joint case's own member told"
e2e_has carol "[$J2]" "已与区交通局现场查看" && pass "joint: second member told under $J2" ||
    fail "joint: second member told under $J2" "$(e2e_inbox carol | cut -c1-120)"
e2e_has alice "[$J3]" "已与区交通局现场查看" && pass "joint: third member told under $J3" ||
    fail "joint: third member told under $J3"
e2e_has carol "合并办理" "$J1" && pass "joint: merged members told the joint number" ||
    fail "joint: merged members told the joint number"
e2e_inbox carol | grep -F "[$J2]" | grep -qF "园区道路破损" &&
    fail "joint: one member's wording does not reach another" ||
    pass "joint: one member's wording does not reach another"

# The complete record.
"$MEMBERDESK" case note "$A" "内部备注：会员为重点企业" >/dev/null
mkdir -p "$WORK/att"
if "$MEMBERDESK" case export "$A" -o "$WORK/a.html" --attachments "$WORK/att" 2>/dev/null; then
	pass "export writes the record"
else
	fail "export writes the record"
fi
verdict=$("$PYTHON" - "$WORK/a.html" "$WORK/att" "$A" <<'PY'
import glob, hashlib, os, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
number = sys.argv[3]
data = bytes(range(256)) * 40
problems = []
need = [number, "研发费用加计扣除政策咨询", "请问研发费用加计扣除比例是多少", "诉求已受理",
        "处理结果反馈", "诉求已办结", "研发费用可按100%加计扣除", "内部备注：会员为重点企业",
        "accepted", "resolved", "closed", "营业执照.pdf", hashlib.sha256(data).hexdigest(),
        str(len(data)), "2026-10-08 23:59:59", "alice@members.test"]
for n in need:
    if n not in html: problems.append("missing " + n)
if re.search(r'(src|href)\s*=|<script|<link|@import|url\(', html, re.I):
    problems.append("external resource or script")
if not html.startswith("<!DOCTYPE html>") or "<style>" not in html: problems.append("not self-contained HTML")
if os.stat(sys.argv[1]).st_mode & 0o077: problems.append("export readable by others")
files = glob.glob(sys.argv[2] + "/*")
if len(files) != 1 or open(files[0], "rb").read() != data: problems.append("attachment not written out: %r" % files)
print("; ".join(problems) if problems else "ok")
PY
)
[ "$verdict" = ok ] && pass "export: messages, notices, note, events, attachment sha256, no external resources" ||
    fail "export: messages, notices, note, events, attachment sha256, no external resources" "$verdict"

n=$(e2e_sql "SELECT count(*) FROM outbox WHERE status <> 'sent'")
[ "$n" = 0 ] && pass "every notice sent" || fail "every notice sent" "$n left"
n=$(e2e_sql "SELECT count(*) FROM case_events WHERE kind = 'accepted' AND actor = 'staff1@chamber.test' AND via = 'cli'")
[ "$n" = 4 ] && pass "events record actor and channel" || fail "events record actor and channel" "got $n"
e2e_finish
