#!/bin/bash
# The two programs' interfaces: memberdeskd -n output and exit codes,
# memberdesk's dispatcher, init, and inspect --json keys. No servers needed.
set -u
SRCDIR="${MD_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
D="$BUILDDIR/memberdeskd"
C="$BUILDDIR/memberdesk"
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/test_programs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; shift; [ $# -gt 0 ] && printf '       %s\n' "$@"; }

cat > "$WORK/good.conf" <<CONF
database = "$WORK/md.db"
template_dir = "$SRCDIR/templates"
calendar_dir = "$SRCDIR/contrib/calendar"
filter_dir = "$SRCDIR/filters"
imap { host = "127.0.0.1" user = "chamber" password = "x" }
smtp { host = "127.0.0.1" from = "chamber@chamber.test" }
CONF
out=$("$D" -n -c "$WORK/good.conf" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "configuration OK" ] && pass "memberdeskd -n: configuration OK, exit 0" ||
    fail "memberdeskd -n: configuration OK, exit 0" "rc=$rc" "$out"

cat > "$WORK/bad.conf" <<CONF
database = "$WORK/md.db"
template_dir = "$SRCDIR/templates"
imap {
  host = "127.0.0.1"
  user = "chamber"
  port = 0
  tls = "sometimes"
}
smtp { host = "127.0.0.1" from = "no-at-sign" }
CONF
out=$("$D" -n -c "$WORK/bad.conf" 2>&1); rc=$?
[ "$rc" = 1 ] && pass "memberdeskd -n: exit 1 on errors" || fail "memberdeskd -n: exit 1 on errors" "rc=$rc"
for want in "$WORK/bad.conf:6: port" "$WORK/bad.conf:7: tls" "$WORK/bad.conf:9: from"; do
	echo "$out" | grep -qF "$want" && pass "error reported as $want…" ||
	    fail "error reported as $want…" "$out"
done
echo "$out" | grep -q "configuration OK" && fail "no OK line with errors" || pass "no OK line with errors"

# Template problems are reported by -n too.
mkdir -p "$WORK/tpl"
cp -r "$SRCDIR/templates/zh" "$SRCDIR/templates/en" "$WORK/tpl/"
printf 'Subject: {{case_tag}} {{no_such_variable}}\n\nbody\n' > "$WORK/tpl/zh/ack.txt"
sed "s|template_dir = .*|template_dir = \"$WORK/tpl\"|" "$WORK/good.conf" > "$WORK/tpl.conf"
out=$("$D" -n -c "$WORK/tpl.conf" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "zh/ack.txt:1:" && pass "memberdeskd -n names a broken template by file:line" ||
    fail "memberdeskd -n names a broken template by file:line" "rc=$rc" "$out"

"$D" --no-such-option >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "memberdeskd: unknown option exits 2" || fail "memberdeskd: unknown option exits 2" "rc=$rc"
"$C" frobnicate >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "memberdesk: unknown command exits 2" || fail "memberdesk: unknown command exits 2" "rc=$rc"
"$C" help | grep -q "inspect" && pass "memberdesk help lists commands" || fail "memberdesk help lists commands"

out=$("$C" -c "$WORK/good.conf" init 2>&1); rc=$?
mode=$(stat -c %a "$WORK/md.db" 2>/dev/null)
[ "$rc" = 0 ] && [ "$mode" = 600 ] && pass "memberdesk init creates the database 0600" ||
    fail "memberdesk init creates the database 0600" "rc=$rc mode=$mode $out"
"$C" -c "$WORK/good.conf" case list >/dev/null 2>&1 && pass "case list on an empty database" ||
    fail "case list on an empty database"
# MEMBERDESK_NOW: the daemon's forms (epoch seconds, ISO 8601) on the command line too.
sed "s|md.db|now.db|" "$WORK/good.conf" > "$WORK/now.conf"
out=$(MEMBERDESK_NOW="2026-09-28 10:00" MEMBERDESK_ACTOR=staff1@chamber.test "$C" -c "$WORK/now.conf" \
    case register --name 张三 --channel visit --subject 走访登记 --text 内容 2>&1)
list=$("$C" -c "$WORK/now.conf" case list 2>&1)
echo "$list" | grep -q "2026-09-28 10:00  张三" && pass "MEMBERDESK_NOW as a local ISO 8601 time" ||
    fail "MEMBERDESK_NOW as a local ISO 8601 time" "$out" "$list"
over=$(MEMBERDESK_NOW=2026-10-30T02:00:00Z "$C" -c "$WORK/now.conf" case list --overdue 2>&1)
under=$(MEMBERDESK_NOW=1790560800 "$C" -c "$WORK/now.conf" case list --overdue 2>&1)
echo "$over" | grep -q 走访登记 && ! echo "$under" | grep -q 走访登记 &&
    pass "case list --overdue at MEMBERDESK_NOW (ISO 8601 with an offset, epoch seconds)" ||
    fail "case list --overdue at MEMBERDESK_NOW (ISO 8601 with an offset, epoch seconds)" "$over" "$under"
out=$(MEMBERDESK_NOW=1790560800x "$C" -c "$WORK/now.conf" case list --overdue 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q MEMBERDESK_NOW && pass "a bad MEMBERDESK_NOW is refused (exit 2)" ||
    fail "a bad MEMBERDESK_NOW is refused (exit 2)" "rc=$rc" "$out"
MEMBERDESK_CONF="$WORK/good.conf" "$C" member list >/dev/null 2>&1 &&
    pass "configuration from \$MEMBERDESK_CONF" || fail "configuration from \$MEMBERDESK_CONF"

# inspect --json: the documented keys, decoded.
"$PY" - "$WORK/m.eml" <<'PYEOF'
import base64, sys
subj = "=?GB2312?B?" + base64.b64encode("会费发票咨询".encode("gb2312")).decode() + "?="
name = "=?UTF-8?B?" + base64.b64encode("赵敏".encode()).decode() + "?="
fn = "UTF-8''%E5%8F%91%E7%A5%A8.pdf"
msg = ("From: " + name + " <Zhao@Example.test>\r\nTo: chamber@chamber.test\r\nSubject: " + subj + "\r\n"
       "Date: Tue, 03 Nov 2026 09:05:00 +0800\r\nMessage-ID: <i-1@example.test>\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n"
       "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       + base64.b64encode("请问会费发票何时开具？".encode("gbk")).decode() + "\r\n--XX\r\n"
       "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=" + fn + "\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 test").decode() + "\r\n--XX--\r\n")
open(sys.argv[1], "w", newline="").write(msg)
PYEOF
out=$("$C" -c "$WORK/good.conf" inspect --json "$WORK/m.eml" 2>"$WORK/inspect.err"); rc=$?
verdict=$(printf '%s' "$out" | "$PY" -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception as e:
    print("not JSON: %s" % e); sys.exit()
p = []
want = {"subject": "会费发票咨询", "from": "zhao@example.test", "from_name": "赵敏",
        "date": "2026-11-03T01:05:00Z", "message_id": "i-1@example.test"}
for k, v in want.items():
    if j.get(k) != v: p.append("%s=%r" % (k, j.get(k)))
if "请问会费发票何时开具" not in j.get("text", ""): p.append("text=%r" % j.get("text"))
a = j.get("attachments") or [{}]
if a[0].get("filename") != "发票.pdf" or a[0].get("content_type") != "application/pdf" or a[0].get("size") != 13:
    p.append("attachments=%r" % j.get("attachments"))
auto = j.get("automatic") or {}
if auto.get("is") is not False or "reason" not in auto: p.append("automatic=%r" % auto)
th = j.get("thread") or {}
if "case" not in th or "via" not in th: p.append("thread=%r" % th)
cl = j.get("classification") or {}
if cl.get("type") not in ("policy", "rights", "difficulty", "suggestion", "other") or \
   not isinstance(cl.get("flags"), list) or not isinstance(cl.get("rules"), list) or "tier_hint" not in cl:
    p.append("classification=%r" % cl)
print("; ".join(p) or "ok")')
name="inspect --json: subject, from, from_name, date, message_id, text, attachments, automatic, thread, classification"
[ "$rc" = 0 ] && [ "$verdict" = ok ] && pass "$name" || fail "$name" "rc=$rc $verdict" "$(cat "$WORK/inspect.err")"
# The same without any configuration: defaults, and still one JSON object on stdout.
out=$(MEMBERDESK_CONF=/nonexistent "$C" inspect --json "$WORK/m.eml" 2>/dev/null); rc=$?
printf '%s' "$out" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); assert j["subject"] == "会费发票咨询" and "classification" in j' 2>/dev/null &&
    [ "$rc" = 0 ] && pass "inspect --json works without a configuration" ||
    fail "inspect --json works without a configuration" "rc=$rc"
"$C" inspect --json "$WORK/absent.eml" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && pass "inspect: unreadable file exits 1" || fail "inspect: unreadable file exits 1" "rc=$rc"
[ -z "$(ls "$WORK" | grep -v -e "\.conf$" -e "\.eml$" -e "^md\.db" -e "^now\.db" -e "^tpl$" -e "^inspect\.err$")" ] &&
    pass "inspect stores nothing" || fail "inspect stores nothing" "$(ls "$WORK")"

# Export of many cases: one private file each, progress only on a terminal.
printf 'kind,name,unit_name,addresses,phone\nunit,张伟,华东公司,alice@members.test,\n' > "$WORK/m.csv"
export MEMBERDESK_CONF="$WORK/good.conf"
"$C" member import "$WORK/m.csv" >/dev/null 2>&1
for i in 1 2 3 4 5; do
	"$C" case register --member alice@members.test --channel walk-in --subject "来访$i" --text "记录$i" >/dev/null 2>&1
done
"$C" case export --all -d "$WORK/export" 2>"$WORK/export.err"; rc=$?
files=$(ls "$WORK/export" 2>/dev/null | grep -c '^MD-[0-9]*-[0-9]*\.html$')
modes=$(stat -c %a "$WORK"/export/*.html 2>/dev/null | sort -u)
[ "$rc" = 0 ] && [ "$files" = 5 ] && [ "$modes" = 600 ] && ! grep -q $'\r' "$WORK/export.err" &&
    pass "case export --all: five private files, no progress line off a terminal" ||
    fail "case export --all: five private files, no progress line off a terminal" "rc=$rc files=$files modes=$modes"
tty_out=$("$PY" - "$C" "$WORK/export-tty" <<'PYEOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "case", "export", "--all", "-d", sys.argv[2]])
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
print("progress" if b"\r" in out and b"5/5" in out else "none: %r" % out[-200:])
PYEOF
)
[ "$tty_out" = progress ] && pass "case export --all shows progress on a terminal" ||
    fail "case export --all shows progress on a terminal" "$tty_out"
unset MEMBERDESK_CONF

# Privilege drop: as root with user = "nobody", the database is created by nobody.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 0755 "$WORK/state"
	chown nobody "$WORK/state"
	chmod o+x "$WORK"
	sed -e "s|database = .*|database = \"$WORK/state/md.db\"|" "$WORK/good.conf" > "$WORK/drop.conf"
	echo 'user = "nobody"' >> "$WORK/drop.conf"
	echo 'imap { host = "127.0.0.1" port = 1 user = "chamber" password = "x" timeout = 2 }' >> "$WORK/drop.conf"
	"$D" -c "$WORK/drop.conf" --once -v 2>"$WORK/drop.log"; rc=$?
	owner=$(stat -c %U "$WORK/state/md.db" 2>/dev/null)
	[ "$rc" = 75 ] && [ "$owner" = nobody ] && grep -q "running as nobody" "$WORK/drop.log" &&
	    pass "user = nobody: runs and creates the database as nobody" ||
	    fail "user = nobody: runs and creates the database as nobody" "rc=$rc owner=$owner" "$(cat "$WORK/drop.log")"
	echo 'user = "no-such-user-here"' >> "$WORK/drop.conf"
	"$D" -n -c "$WORK/drop.conf" 2>&1 | grep -q 'no such user "no-such-user-here"' &&
	    pass "an unknown user is a configuration error" || fail "an unknown user is a configuration error"
fi

echo "# $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
