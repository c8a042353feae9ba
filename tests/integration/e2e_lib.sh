# e2e_lib.sh: shared set-up for end-to-end tests of memberdeskd against the
# private mail stack. Source after mailstack.sh; provides a configuration,
# the two programs, and pass/fail bookkeeping.

E2E_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRCDIR="${MD_TOP_SRCDIR:-$E2E_HERE/../..}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
MEMBERDESKD="$BUILDDIR/memberdeskd"
MEMBERDESK="$BUILDDIR/memberdesk"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
PASSED=0
FAILED=0

pass()
{
	PASSED=$((PASSED + 1))
	echo "ok   - $1"
}

fail()
{
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	shift
	[ $# -gt 0 ] && printf '       %s\n' "$@"
}

# check DESCRIPTION COMMAND...: pass when the command succeeds.
check()
{
	local what="$1" out
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "$out"
	fi
}

# e2e_setup NAME: work dir, mail stack, configuration, database, members.
e2e_setup()
{
	WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
	chmod 0755 "$WORK"
	trap e2e_cleanup EXIT
	# A killed test (make's timeout, ^C) still stops its servers.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mailstack_start "$WORK/stack" || exit 99
	CONF="$WORK/memberdesk.conf"
	cat > "$CONF" <<CONF
chamber_name = "测试商会"
case_prefix = "MD"
timezone = "Asia/Shanghai"
language = "zh"
database = "$WORK/memberdesk.db"
template_dir = "$SRCDIR/templates"
calendar_dir = "$SRCDIR/contrib/calendar"
filter_dir = "$SRCDIR/filters"
poll_interval = 2
imap {
	host = "127.0.0.1"
	port = $MS_IMAP_PORT
	tls = "none"
	user = "chamber"
	password = "chamber-pw"
	processed_folder = "Processed"
	timeout = 10
}
smtp {
	host = "127.0.0.1"
	port = $MS_SMTP_PORT
	tls = "none"
	from = "chamber@chamber.test"
	from_name = "测试商会秘书处"
	timeout = 10
}
outbox {
	max_attempts = 5
	retry_max = 60
}
staff "staff1@chamber.test" {
	name = "王秘书"
}
staff "leader1@chamber.test" {
	name = "李会长"
	role = "leadership"
}
CONF
	export MEMBERDESK_CONF="$CONF"
	"$MEMBERDESK" init >/dev/null || { echo "memberdesk init failed"; exit 99; }
	cat > "$WORK/members.csv" <<'CSV'
kind,name,unit_name,addresses,phone
unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101
individual,李娜,,bob@members.test,
unit,王强,金桥贸易有限公司,carol@members.test;carol.wang@members.test,13800000003
CSV
	"$MEMBERDESK" member import "$WORK/members.csv" >/dev/null ||
	    { echo "member import failed"; exit 99; }
}

e2e_cleanup()
{
	mailstack_stop
	if [ "${FAILED:-0}" = 0 ] && [ -z "${MD_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK for inspection"
	fi
}

# e2e_sql QUERY: one value from the database.
e2e_sql()
{
	"$PYTHON" - "$WORK/memberdesk.db" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
rows = con.execute(sys.argv[2]).fetchall()
con.commit()
print("\n".join("|".join("" if v is None else str(v) for v in r) for r in rows))
PY
}

e2e_finish()
{
	echo "# $PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
