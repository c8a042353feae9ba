#!/bin/bash
# Issue 3, the mail side, through the real stack: a staff member accepts a
# case by replying to the new-case notice with "#accept general"; a forged
# staff command changes nothing and alerts the secretariat; a plain staff
# reply reaches the member without the quoted history; the member's "满意"
# to the result closes the case; a third party's mail with the case tag
# stays off the case; follow-ups thread behind every client prefix, a tag
# split across encoded words, and a References chain without any tag.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_mail

N_CHAMBER=0

# deliver FILE ENVELOPE-FROM RCPT: send, wait for it in the chamber's INBOX, run once.
deliver()
{
	mailstack_send "$2" "$3" "$1"
	N_CHAMBER=$((N_CHAMBER + 1))
	mailstack_wait_count chamber INBOX 1 15 >/dev/null || fail "delivered: $1"
	"$MEMBERDESKD" -c "$CONF" --once 2>>"$WORK/runs.log" ||
	    fail "memberdeskd --once for $1" "$(tail -5 "$WORK/runs.log")"
	mailstack_wait_count chamber INBOX 0 15 >/dev/null || fail "taken in: $1"
}

status()
{
	e2e_sql "SELECT status FROM cases WHERE number = '$1'"
}

# 1. A member's request; the secretariat is told with a reply address carrying a token.
e2e_mail "$WORK/req.eml" "张伟 <alice@members.test>" chamber@chamber.test \
    "关于高新技术企业认定的咨询" "您好：想咨询研发费用加计扣除的比例。" 
sed -i 's/^Message-ID: .*/Message-ID: <req-1@members.test>\r/' "$WORK/req.eml"
deliver "$WORK/req.eml" alice@members.test chamber@chamber.test
number=$(e2e_sql "SELECT number FROM cases")
lower=$(echo "$number" | tr 'A-Z' 'a-z')
[ -n "$number" ] && [ "$(status "$number")" = registered ] && pass "request registered as $number" ||
    fail "request registered" "got: $number"
mailstack_wait_count staff1 INBOX 1 20 >/dev/null && pass "staff1 got the new-case notice" ||
    fail "staff1 got the new-case notice"
reply_to=$(e2e_latest staff1 reply-to)
notice_id=$(e2e_latest staff1 message-id)
case "$reply_to" in
chamber+"$lower".????????????????@chamber.test) pass "new-case notice has a per-staff reply address";;
*) fail "new-case notice has a per-staff reply address" "Reply-To: $reply_to";;
esac
mailstack_wait_count alice INBOX 1 20 >/dev/null || fail "acknowledgement delivered"

# 2. A forged command: From staff1, but to the plain address, no token, no trusted results.
e2e_mail "$WORK/forged.eml" "王秘书 <staff1@chamber.test>" chamber@chamber.test \
    "Re: [$number] 关于高新技术企业认定的咨询" "#accept general" "$notice_id"
deliver "$WORK/forged.eml" staff1@chamber.test chamber@chamber.test
[ "$(status "$number")" = registered ] && pass "forged command: nothing changed" ||
    fail "forged command: nothing changed" "status $(status "$number")"
[ "$(e2e_sql "SELECT count(*) FROM case_events WHERE kind = 'command-refused'")" = 1 ] &&
    pass "forged command recorded as refused" || fail "forged command recorded as refused"
[ "$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'auth-alert' AND rcpt = 'staff1@chamber.test'")" = 1 ] &&
    pass "secretariat alerted about the forged command" ||
    fail "secretariat alerted about the forged command"

# 3. The real reply to the notice: accepted, the member told with the due date.
e2e_mail "$WORK/accept.eml" "王秘书 <staff1@chamber.test>" "$reply_to" \
    "Re: [$number] 新诉求待审核：关于高新技术企业认定的咨询" \
    "#accept general

在 2026年11月30日 10:05，测试商会秘书处 <chamber@chamber.test> 写道：
> 收到一件新的会员诉求
> #reject other 这一行是引用，不能执行" "$notice_id"
deliver "$WORK/accept.eml" staff1@chamber.test "$reply_to"
[ "$(status "$number")" = handling ] && pass "#accept general by mail: case in handling" ||
    fail "#accept general by mail: case in handling" "status $(status "$number"); $(tail -3 "$WORK/runs.log")"
[ "$(e2e_sql "SELECT tier FROM cases WHERE number = '$number'")" = general ] &&
    pass "tier general recorded" || fail "tier general recorded"
mailstack_wait_count alice INBOX 2 20 >/dev/null && pass "member got a second notice" ||
    fail "member got a second notice"
subj=$(e2e_latest alice subject)
body=$(e2e_latest alice body)
echo "$subj" | grep -q "\[$number\]" && echo "$body" | grep -qE "[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日" &&
    pass "accepted notice with the tag and the due date" ||
    fail "accepted notice with the tag and the due date" "$subj" "$body"
[ "$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'transcript' AND rcpt = 'staff1@chamber.test'")" -ge 1 ] &&
    pass "transcript sent to the staff member" || fail "transcript sent to the staff member"

# 4. A plain staff reply: relayed without the quoted history or the phone signature.
e2e_mail "$WORK/reply.eml" "王秘书 <staff1@chamber.test>" "$reply_to" "Re: [$number] 关于高新技术企业认定的咨询" \
    "您好，研发费用可按100%加计扣除，申报时间为次年5月。

发自我的iPhone

在 2026年11月30日 10:05，张伟 <alice@members.test> 写道：
> QUOTED-HISTORY 您好：想咨询研发费用加计扣除的比例。" "$notice_id"
deliver "$WORK/reply.eml" staff1@chamber.test "$reply_to"
mailstack_wait_count alice INBOX 3 20 >/dev/null && pass "staff reply relayed to the member" ||
    fail "staff reply relayed to the member" "$(tail -3 "$WORK/runs.log")"
body=$(e2e_latest alice body)
echo "$body" | grep -q "100%加计扣除" && ! echo "$body" | grep -q "QUOTED-HISTORY" &&
    ! echo "$body" | grep -q "发自我的iPhone" &&
    pass "relayed reply without quoted history or signature" ||
    fail "relayed reply without quoted history or signature" "$body"

# 5. Resolve, then the member answers 满意 → closed.
e2e_mail "$WORK/resolve.eml" "王秘书 <staff1@chamber.test>" "$reply_to" "Re: [$number] x" \
    "#办结 政策解读 研发费用可按100%加计扣除。" "$notice_id"
deliver "$WORK/resolve.eml" staff1@chamber.test "$reply_to"
[ "$(status "$number")" = resolved ] && pass "#办结 by mail: resolved" ||
    fail "#办结 by mail: resolved" "status $(status "$number")"
mailstack_wait_count alice INBOX 4 20 >/dev/null || fail "result notice delivered"
result_id=$(e2e_latest alice message-id)
e2e_mail "$WORK/fb.eml" "张伟 <alice@members.test>" chamber@chamber.test "回复：[$number] 诉求处理结果反馈" \
    "满意，谢谢！

------------------ 原始邮件 ------------------
发件人: 测试商会秘书处 <chamber@chamber.test>
请在正文第一行写“满意”或“不满意”" "$result_id"
deliver "$WORK/fb.eml" alice@members.test chamber@chamber.test
[ "$(status "$number")" = closed ] && pass "member's 满意 closes the case" ||
    fail "member's 满意 closes the case" "status $(status "$number"); $(tail -3 "$WORK/runs.log")"

# 6. A third party writing with the case tag: not on the case, secretariat alerted.
before=$(e2e_sql "SELECT count(*) FROM messages WHERE case_id IS NOT NULL")
e2e_mail "$WORK/stranger.eml" "李娜 <bob@members.test>" chamber@chamber.test "Re: [$number] 我也想了解" \
    "请把处理结果也发给我。"
deliver "$WORK/stranger.eml" bob@members.test chamber@chamber.test
[ "$(e2e_sql "SELECT count(*) FROM messages WHERE from_addr = 'bob@members.test' AND case_id IS NULL")" = 1 ] &&
    [ "$(e2e_sql "SELECT count(*) FROM messages WHERE case_id IS NOT NULL")" = "$before" ] &&
    pass "third party's mail with the tag is not on the case" ||
    fail "third party's mail with the tag is not on the case"
[ "$(e2e_sql "SELECT count(*) FROM cases")" = 1 ] && pass "and opens no case" || fail "and opens no case"
[ "$(e2e_sql "SELECT count(*) FROM outbox WHERE kind = 'stranger-alert'")" -ge 1 ] &&
    pass "secretariat alerted about the third party" || fail "secretariat alerted about the third party"
bob_notices=$(e2e_sql "SELECT count(*) FROM outbox WHERE rcpt = 'bob@members.test'")
[ "$bob_notices" = 0 ] && pass "the third party is sent nothing about the case" ||
    fail "the third party is sent nothing about the case" "$bob_notices notices"

# 7. Threading: every client prefix, a split encoded tag, References without a tag.
case_id=$(e2e_sql "SELECT id FROM cases WHERE number = '$number'")
i=0
for p in "Re: " "RE: " "Fw: " "Fwd: " "FW: " "AW: " "WG: " "SV: " "VS: " "Antw: " "回复: " \
    "回复：" "答复: " "回覆: " "转发: " "轉寄: " "Re[2]: " "Re^2: " "RE: RE: " "回复：Re: "; do
	i=$((i + 1))
	e2e_mail "$WORK/p$i.eml" "张伟 <alice@members.test>" chamber@chamber.test \
	    "${p}【${number}】补充材料 $i" "补充材料第 $i 份。"
	deliver "$WORK/p$i.eml" alice@members.test chamber@chamber.test
	got=$(e2e_sql "SELECT count(*) FROM messages WHERE case_id = $case_id AND subject LIKE '%补充材料 $i'")
	[ "$got" = 1 ] && pass "prefix '$p' threads to the case" || fail "prefix '$p' threads to the case"
done
split=$("$PYTHON" -c "
import base64, sys
s = '[$number] 分段标签'.encode()
print('=?UTF-8?B?' + base64.b64encode(s[:6]).decode() + '?= =?UTF-8?B?' + base64.b64encode(s[6:]).decode() + '?=')")
e2e_mail "$WORK/split.eml" "张伟 <alice@members.test>" chamber@chamber.test "" "标签被拆在两个编码字里。" "" "$split"
deliver "$WORK/split.eml" alice@members.test chamber@chamber.test
[ "$(e2e_sql "SELECT count(*) FROM messages WHERE case_id = $case_id AND subject = '[$number] 分段标签'")" = 1 ] &&
    pass "tag split across encoded words threads" || fail "tag split across encoded words threads"
e2e_mail "$WORK/refs.eml" "张伟 <alice@members.test>" chamber@chamber.test "没有编号的回复" \
    "客户端删掉了编号。" "$result_id"
deliver "$WORK/refs.eml" alice@members.test chamber@chamber.test
[ "$(e2e_sql "SELECT count(*) FROM messages WHERE case_id = $case_id AND subject = '没有编号的回复'")" = 1 ] &&
    pass "reply without a tag threads by References" || fail "reply without a tag threads by References"
[ "$(e2e_sql "SELECT count(*) FROM cases")" = 1 ] && pass "no follow-up opened a case" ||
    fail "no follow-up opened a case" "$(e2e_sql "SELECT number, subject FROM cases")"

# inspect --json shows the tag threading without a database.
got=$("$MEMBERDESK" inspect --json "$WORK/split.eml" 2>/dev/null | "$PYTHON" -c \
    'import json, sys; t = json.load(sys.stdin).get("thread"); print(t and t["case"], t and t["via"])')
[ "$got" = "$number tag" ] && pass "inspect --json: thread via tag" || fail "inspect --json: thread via tag" "got: $got"

e2e_finish
