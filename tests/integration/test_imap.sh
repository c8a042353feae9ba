#!/bin/bash
# IMAP intake against a real Dovecot fed by a real Exim: listing, fetching
# byte for byte without \Seen, oversize handling, marking in place and by
# moving, IDLE wake-up, stop and timeout, TLS verification and error classes.
# Exit 0: all passed; 1: a check failed; 77: no mail stack here (SKIP).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRCDIR="${MD_TOP_SRCDIR:-$HERE/../..}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
PROBE="$BUILDDIR/tests/integration/imap_probe"

. "$SRCDIR/tests/integration/mailstack.sh"

if [ ! -x "$PROBE" ]; then
	echo "FAIL: $PROBE not built (make check builds it)"
	exit 99
fi

WORK="$(mktemp -d /tmp/test_imap.XXXXXX)"
chmod 0755 "$WORK"	# the servers' users must reach the stack below it
IDLE_PID=""
cleanup()
{
	[ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null
	mailstack_stop
	if [ "$FAILED" = 0 ]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK for inspection"
	fi
}
PASSED=0
FAILED=0
trap cleanup EXIT

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

# expect NAME WANTED-OUTPUT-REGEX COMMAND...: output and status checked.
expect()
{
	local name="$1" want="$2" out
	shift 2
	out="$("$@" 2>"$WORK/stderr")"
	# A sanitizer build reports leaks and errors on stderr.
	if grep -q 'Sanitizer' "$WORK/stderr"; then
		fail "$name" "sanitizer report:" "$(grep -A 12 Sanitizer "$WORK/stderr")"
	elif printf '%s\n' "$out" | grep -Eq -- "$want"; then
		pass "$name"
	else
		fail "$name" "wanted /$want/, got: $out" "$(tail -n 3 "$WORK/stderr")"
	fi
}

now_ms()
{
	echo $(( $(date +%s%N) / 1000000 ))
}

mkmsg()
{
	# mkmsg FILE SUBJECT BODY-LINE [EXTRA-BODY-BYTES]
	{
		printf 'From: Alice <alice@members.test>\r\n'
		printf 'To: chamber@chamber.test\r\n'
		printf 'Subject: %s\r\n' "$2"
		printf 'Message-ID: <%s.%s@members.test>\r\n' "$RANDOM" "$RANDOM"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=UTF-8\r\n'
		printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
		printf '%s\r\n' "$3"
		if [ "${4:-0}" -gt 0 ]; then
			head -c "$4" /dev/zero | tr '\0' 'x' | fold -w 76 |
			    sed 's/$/\r/'
		fi
	} > "$1"
}

# Exits 77 itself (SKIP) when Dovecot or Exim is missing.
mailstack_start "$WORK/stack" || exit 99
mkdir -p "$WORK/stack" "$WORK/sent" "$WORK/got" "$WORK/server"

PLAIN=(-h 127.0.0.1 -p "$MS_IMAP_PORT")
CH=("${PLAIN[@]}" -u chamber -w chamber-pw)

# --- delivery -----------------------------------------------------------
mkmsg "$WORK/sent/1.eml" "Request one" "会员诉求：第一封 (UTF-8)"
mkmsg "$WORK/sent/2.eml" "Request two" "second request body"
mkmsg "$WORK/sent/3.eml" "Request three" "third, via sub-address" 3000
mailstack_send alice@members.test chamber@chamber.test "$WORK/sent/1.eml"
mailstack_send alice@members.test chamber@chamber.test "$WORK/sent/2.eml"
mailstack_send bob@members.test chamber+intake@chamber.test "$WORK/sent/3.eml"
if mailstack_wait_count chamber INBOX 3 20 >/dev/null; then
	pass "three messages delivered over SMTP and LMTP"
else
	fail "three messages delivered over SMTP and LMTP"
	exit 1
fi

# --- select, list, fetch ----------------------------------------------
expect "SELECT reports counts and capabilities" \
    '^uidvalidity [1-9][0-9]* uidnext 4 exists 3 idle 1 move 1 uidplus 1$' \
    "$PROBE" "${CH[@]}" status
expect "unknown mailbox is MD_ERR_NOTFOUND" '^error MD_ERR_NOTFOUND$' \
    "$PROBE" "${CH[@]}" -m NoSuchBox status
expect "pending UIDs listed ascending" '^1 2 3$' \
    bash -c '"$@" | tr "\n" " " | sed "s/ $//"' _ "$PROBE" "${CH[@]}" list
expect "fetch hands over every message" '^fetched 3 oversize 0$' \
    "$PROBE" "${CH[@]}" -k 2 fetch "$WORK/got"
mailstack_save chamber INBOX "$WORK/server"
same=1
for u in 1 2 3; do
	cmp -s "$WORK/got/$u.eml" "$WORK/server/$u.eml" || same=0
done
if [ $same = 1 ]; then
	pass "fetched bytes equal the server's copy"
else
	fail "fetched bytes equal the server's copy"
fi
if grep -q '会员诉求：第一封' "$WORK/got/1.eml" &&
    grep -q 'third, via sub-address' "$WORK/got/3.eml"; then
	pass "bodies (8-bit UTF-8, sub-address delivery) intact"
else
	fail "bodies (8-bit UTF-8, sub-address delivery) intact"
fi
if mailstack_flags chamber INBOX | grep -q 'Seen'; then
	fail "fetching leaves \\Seen unset" "$(mailstack_flags chamber INBOX)"
else
	pass "fetching leaves \\Seen unset"
fi

# --- mark in place (keyword) -----------------------------------------
expect "mark processed in place" '^marked 3$' "$PROBE" "${CH[@]}" mark
flags="$(mailstack_flags chamber INBOX)"
if [ "$(printf '%s\n' "$flags" | grep -c 'MemberdeskDone')" = 3 ] &&
    [ "$(printf '%s\n' "$flags" | grep -c 'Seen')" = 3 ]; then
	pass "\$MemberdeskDone and \\Seen set on all three"
else
	fail "\$MemberdeskDone and \\Seen set on all three" "$flags"
fi
expect "second listing is empty" '^$' "$PROBE" "${CH[@]}" list
mailstack_send carol@members.test chamber@chamber.test "$WORK/sent/2.eml"
mailstack_wait_count chamber INBOX 4 20 >/dev/null
expect "only the new message is pending" '^4$' "$PROBE" "${CH[@]}" list

# --- mark by moving to a processed folder -----------------------------
BOB=("${PLAIN[@]}" -u bob -w bob-pw)
for i in 1 2 3 4; do
	mailstack_send alice@members.test bob@members.test "$WORK/sent/2.eml"
done
mailstack_wait_count bob INBOX 4 20 >/dev/null
mkdir -p "$WORK/got-bob"
expect "folder mode: every message pending" '^1 2 3 4$' \
    bash -c '"$@" | tr "\n" " " | sed "s/ $//"' _ "$PROBE" "${BOB[@]}" \
    -f Processed list
expect "fetch in chunks of 3 gets all 4" '^fetched 4 oversize 0$' \
    "$PROBE" "${BOB[@]}" -k 3 -f Processed fetch "$WORK/got-bob"
expect "mark moves to the processed folder" '^marked 4$' \
    "$PROBE" "${BOB[@]}" -f Processed/Memberdesk mark
if mailstack_wait_count bob INBOX 0 5 >/dev/null &&
    mailstack_wait_count bob Processed/Memberdesk 4 5 >/dev/null; then
	pass "folder created; INBOX empty, 4 moved"
else
	fail "folder created; INBOX empty, 4 moved"
fi
expect "folder mode: second listing is empty" '^$' \
    "$PROBE" "${BOB[@]}" -f Processed/Memberdesk list

# --- oversize ------------------------------------------------------------
CAROL=("${PLAIN[@]}" -u carol -w carol-pw)
mkmsg "$WORK/sent/big.eml" "Big" "a large attachment follows" 300000
mailstack_send alice@members.test carol@members.test "$WORK/sent/1.eml"
mailstack_send alice@members.test carol@members.test "$WORK/sent/big.eml"
mailstack_send alice@members.test carol@members.test "$WORK/sent/2.eml"
mailstack_wait_count carol INBOX 3 20 >/dev/null
mkdir -p "$WORK/got-carol" "$WORK/server-carol"
expect "oversize message handed over as an event" '^fetched 2 oversize 1$' \
    "$PROBE" "${CAROL[@]}" -s 100000 -H 4096 fetch "$WORK/got-carol"
mailstack_save carol INBOX "$WORK/server-carol"
if [ -f "$WORK/got-carol/2.oversize" ]; then
	read -r osize ohead < "$WORK/got-carol/2.oversize"
	tail -n +2 "$WORK/got-carol/2.oversize" > "$WORK/head"
	real="$(stat -c %s "$WORK/server-carol/2.eml")"
	if [ "$osize" = "$real" ] && [ "$ohead" = 4096 ] &&
	    cmp -s "$WORK/head" <(head -c 4096 "$WORK/server-carol/2.eml"); then
		pass "oversize event: true size $osize, first 4096 bytes only"
	else
		fail "oversize event: true size, first 4096 bytes only" \
		    "size $osize (server $real), head $ohead"
	fi
else
	fail "oversize event written" "$(ls "$WORK/got-carol")"
fi
if cmp -s "$WORK/got-carol/1.eml" "$WORK/server-carol/1.eml" &&
    cmp -s "$WORK/got-carol/3.eml" "$WORK/server-carol/3.eml"; then
	pass "messages around the oversize one fetched whole"
else
	fail "messages around the oversize one fetched whole"
fi
if mailstack_flags carol INBOX | grep -q 'Seen'; then
	fail "partial fetch leaves \\Seen unset"
else
	pass "partial fetch leaves \\Seen unset"
fi

# --- large messages through a spool file ----------------------------------
# Over 1 MiB a message is fetched in 1 MiB pieces into an unlinked file:
# one sent over SMTP (2.5 MB), one appended at exactly 2 MiB (the last piece
# asked for comes back empty).
mkmsg "$WORK/sent/large.eml" "Large" "a 2.5 MB body follows" 2500000
mailstack_send alice@members.test carol@members.test "$WORK/sent/large.eml"
mailstack_wait_count carol INBOX 4 20 >/dev/null
mkmsg "$WORK/sent/exact.eml" "Exact" "2 MiB exactly" 2000000
python3 - "$MS_IMAP_PORT" "$WORK/sent/exact.eml" <<'EOF'
import imaplib, sys
data = open(sys.argv[2], "rb").read().rstrip(b"\r\n") + b"\r\n"
data += b"y" * (2 * 1024 * 1024 - len(data) - 2) + b"\r\n"
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("carol", "carol-pw")
m.append("INBOX", None, None, data)
m.logout()
EOF
mkdir -p "$WORK/got-spool" "$WORK/server-spool" "$WORK/spool"
expect "large messages fetched through the spool" '^spooled 2$' \
    "$PROBE" "${CAROL[@]}" -s 3000000 -S "$WORK/spool" fetch "$WORK/got-spool"
mailstack_save carol INBOX "$WORK/server-spool"
same=1
for u in 1 2 3 4 5; do
	cmp -s "$WORK/got-spool/$u.eml" "$WORK/server-spool/$u.eml" || same=0
done
if [ $same = 1 ] && [ "$(stat -c %s "$WORK/server-spool/5.eml")" = 2097152 ]; then
	pass "spooled messages equal the server's copy (also at exactly 2 MiB)"
else
	fail "spooled messages equal the server's copy (also at exactly 2 MiB)" \
	    "$(ls -l "$WORK/got-spool" "$WORK/server-spool")"
fi
if [ -z "$(ls -A "$WORK/spool")" ]; then
	pass "no spool file left behind"
else
	fail "no spool file left behind" "$(ls -lA "$WORK/spool")"
fi
mkdir -p "$WORK/got-spool2"
expect "over the limit a large message is only an oversize event" \
    '^fetched 4 oversize 1$' \
    "$PROBE" "${CAROL[@]}" -s 2200000 -H 4096 -S "$WORK/spool" fetch "$WORK/got-spool2"
expect "a missing spool directory is MD_ERR_IO" '^error MD_ERR_IO$' \
    "$PROBE" "${CAROL[@]}" -s 3000000 -S "$WORK/no-such-dir" fetch "$WORK/got-spool2"
if mailstack_flags carol INBOX | grep -q 'Seen'; then
	fail "spooled fetch leaves \\Seen unset"
else
	pass "spooled fetch leaves \\Seen unset"
fi

# --- IDLE ----------------------------------------------------------------
# start_idle TIMEOUT_MS: run the probe in IDLE, return once it is ready.
start_idle()
{
	: > "$WORK/idle.out"
	"$PROBE" "${CH[@]}" idle "$1" > "$WORK/idle.out" 2>"$WORK/idle.err" &
	IDLE_PID=$!
	local t=$(( $(now_ms) + 10000 ))
	until grep -q '^ready$' "$WORK/idle.out"; do
		if [ "$(now_ms)" -gt $t ] || ! kill -0 "$IDLE_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.02
	done
	# The probe prints "ready" just before it sends IDLE.
	sleep 0.1
}

# wait_idle LIMIT_MS: wait for the probe to exit; print its result.
wait_idle()
{
	local t=$(( $(now_ms) + $1 ))
	while kill -0 "$IDLE_PID" 2>/dev/null; do
		[ "$(now_ms)" -gt $t ] && { kill "$IDLE_PID"; break; }
		sleep 0.02
	done
	wait "$IDLE_PID" 2>/dev/null
	IDLE_PID=""
	if grep -q 'Sanitizer' "$WORK/idle.err"; then
		echo sanitizer-report
	else
		tail -n 1 "$WORK/idle.out"
	fi
}

if start_idle 20000; then
	mailstack_send alice@members.test chamber@chamber.test "$WORK/sent/2.eml"
	t0=$(now_ms)	# Exim has the message; delivery starts now
	res="$(wait_idle 10000)"
	dt=$(( $(now_ms) - t0 ))
	if [ "$res" = newmail ] && [ $dt -le 3000 ]; then
		pass "IDLE wakes on new mail (${dt} ms after SMTP accepted it)"
	else
		fail "IDLE wakes on new mail within 3 s" "result '$res' after $dt ms"
	fi
else
	fail "IDLE probe ready" "$(cat "$WORK/idle.err")"
fi

if start_idle 700; then
	t0=$(now_ms)
	res="$(wait_idle 5000)"
	dt=$(( $(now_ms) - t0 ))
	if [ "$res" = timeout ] && [ $dt -le 2500 ]; then
		pass "IDLE times out without news (${dt} ms for 700 ms)"
	else
		fail "IDLE times out without news" "result '$res' after $dt ms"
	fi
else
	fail "IDLE probe ready (timeout case)"
fi

if start_idle 60000; then
	t0=$(now_ms)
	kill -TERM "$IDLE_PID"
	res="$(wait_idle 5000)"
	dt=$(( $(now_ms) - t0 ))
	if [ "$res" = stopped ] && [ $dt -le 1500 ]; then
		pass "IDLE returns on the stop flag (${dt} ms)"
	else
		fail "IDLE returns on the stop flag" "result '$res' after $dt ms"
	fi
else
	fail "IDLE probe ready (stop case)"
fi

# --- TLS -----------------------------------------------------------------
logins_before="$(grep -c 'Login: user=<chamber>' "$MS_DIR/dovecot/dovecot.log")"
TLSA=(-u chamber -w chamber-pw)
expect "TLS without the test CA (system store) refused" '^error MD_ERR_TLS$' \
    "$PROBE" -h 127.0.0.1 -p "$MS_IMAPS_PORT" -t tls "${TLSA[@]}" connect
expect "TLS with a wrong host name refused" '^error MD_ERR_TLS$' \
    "$PROBE" -h localhost -p "$MS_IMAPS_PORT" -t tls -c "$MS_CA_FILE" \
    "${TLSA[@]}" connect
expect "STARTTLS without the test CA refused" '^error MD_ERR_TLS$' \
    "$PROBE" -h 127.0.0.1 -p "$MS_IMAP_PORT" -t starttls "${TLSA[@]}" connect
expect "STARTTLS with a wrong host name refused" '^error MD_ERR_TLS$' \
    "$PROBE" -h localhost -p "$MS_IMAP_PORT" -t starttls -c "$MS_CA_FILE" \
    "${TLSA[@]}" connect
expect "TLS to a plain-text port fails as MD_ERR_TLS" '^error MD_ERR_TLS$' \
    "$PROBE" -h 127.0.0.1 -p "$MS_IMAP_PORT" -t tls -c "$MS_CA_FILE" -T 5 \
    "${TLSA[@]}" connect
logins_after="$(grep -c 'Login: user=<chamber>' "$MS_DIR/dovecot/dovecot.log")"
if [ "$logins_before" = "$logins_after" ]; then
	pass "no LOGIN reached the server on any refused connection"
else
	fail "no LOGIN on refused connections" "$logins_before -> $logins_after"
fi
if grep -q 'not valid for host localhost' "$WORK/stderr" ||
    "$PROBE" -h localhost -p "$MS_IMAPS_PORT" -t tls -c "$MS_CA_FILE" \
    "${TLSA[@]}" connect 2>&1 | grep -q 'not valid for host localhost'; then
	pass "the refusal names the host mismatch"
else
	fail "the refusal names the host mismatch"
fi
expect "implicit TLS with the test CA connects" '^connected$' \
    "$PROBE" -h 127.0.0.1 -p "$MS_IMAPS_PORT" -t tls -c "$MS_CA_FILE" \
    "${TLSA[@]}" connect
expect "STARTTLS with the test CA connects" '^connected$' \
    "$PROBE" -h 127.0.0.1 -p "$MS_IMAP_PORT" -t starttls -c "$MS_CA_FILE" \
    "${TLSA[@]}" connect
expect "tls_verify off connects (and warns)" '^connected$' \
    "$PROBE" -h localhost -p "$MS_IMAPS_PORT" -t tls -n "${TLSA[@]}" connect
expect "IMAPS session works end to end" '^4 5$' \
    bash -c '"$@" | tr "\n" " " | sed "s/ $//"' _ "$PROBE" -h 127.0.0.1 \
    -p "$MS_IMAPS_PORT" -t tls -c "$MS_CA_FILE" "${TLSA[@]}" list

# --- a lying server: literal far beyond the announced RFC822.SIZE -------
liar_port="$(ms_free_ports 1)"
"$MS_PYTHON" - "$liar_port" > "$WORK/liar.log" 2>&1 <<'EOF' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
f = conn.makefile("rb")
conn.sendall(b"* OK [CAPABILITY IMAP4rev1] liar ready\r\n")
sent = 0
while True:
    line = f.readline()
    if not line:
        break
    tag, cmd = line.split(b" ", 2)[:2]
    up = line.upper()
    if cmd.upper() == b"LOGOUT":
        conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
        break
    if cmd.upper() == b"CAPABILITY":
        conn.sendall(b"* CAPABILITY IMAP4rev1 IDLE\r\n" + tag + b" OK done\r\n")
    elif cmd.upper() == b"SELECT":
        conn.sendall(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n"
                     b"* OK [UIDNEXT 2] x\r\n" + tag + b" OK [READ-WRITE] done\r\n")
    elif b"SEARCH" in up:
        conn.sendall(b"* SEARCH 1\r\n" + tag + b" OK done\r\n")
    elif b"RFC822.SIZE" in up:
        conn.sendall(b"* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n" + tag + b" OK done\r\n")
    elif b"BODY.PEEK" in up:
        n = 50 * 1024 * 1024
        try:
            conn.sendall(b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % n)
            chunk = b"x" * 65536
            while sent < n:
                conn.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        break
    else:
        conn.sendall(tag + b" OK done\r\n")
print("sent", sent, flush=True)
EOF
LIAR_PID=$!
t=$(( $(now_ms) + 10000 ))
until grep -q listening "$WORK/liar.log" || [ "$(now_ms)" -gt $t ]; do
	sleep 0.02
done
mkdir -p "$WORK/got-liar"
expect "literal past the announced size cut off as MD_ERR_LIMIT" \
    '^error MD_ERR_LIMIT$' "$PROBE" -h 127.0.0.1 -p "$liar_port" \
    -u x -w y -s 1000000 fetch "$WORK/got-liar"
wait "$LIAR_PID" 2>/dev/null
sent="$(sed -n 's/^sent //p' "$WORK/liar.log")"
if [ -n "$sent" ] && [ "$sent" -lt $((20 * 1024 * 1024)) ] &&
    [ -z "$(ls "$WORK/got-liar")" ]; then
	pass "connection cut after $sent of 52428800 bytes, nothing delivered"
else
	fail "connection cut early, nothing delivered" "sent '$sent'"
fi

# --- error classes (wrong password last: Dovecot then delays logins) ----
closed="$(ms_free_ports 1)"
expect "closed port is MD_ERR_TEMP" '^error MD_ERR_TEMP$' \
    "$PROBE" -h 127.0.0.1 -p "$closed" "${TLSA[@]}" connect
expect "wrong password is MD_ERR_AUTH" '^error MD_ERR_AUTH$' \
    "$PROBE" "${PLAIN[@]}" -u chamber -w wrong connect

echo "test_imap: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
