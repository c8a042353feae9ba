# Scenario 2: the IMAP server stops and comes back, once in the middle of a
# fetch and once while the daemon waits in IDLE. Mail sent meanwhile waits
# in Exim's queue (LMTP is down too) and arrives when Dovecot is back. The
# daemon reconnects with backoff, logs each outage once, misses nothing.

fx_send_batch()	# DIR FROM TO: submit messages FROM..TO-1 of DIR over SMTP
{
	"$PYTHON" - "$MS_SMTP_PORT" "$USER_BOX@chamber.test" "$@" <<'PY'
import os, smtplib, sys
port, rcpt, d, a, b = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
names = sorted(n for n in os.listdir(d) if n.endswith(".eml"))[a:b]
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as s:
    for n in names:
        with open(os.path.join(d, n), "rb") as f:
            s.sendmail("sender@members.test", [rcpt], f.read())
PY
}

scenario_imap_down()
{
	local n=100 extra=30 outages rc

	fx_log "scenario 2: Dovecot stopped mid-fetch and mid-IDLE"
	fx_sink_start "$WORK/imap-sink.log" 0
	FX_POLL=600 fx_env fximap || return
	fx_gen "$D/mail" $((n + 2 * extra)) "${FX_SEED:-1}" --tag im --replies 0 >/dev/null
	: > "$D/daemon.log"
	fx_append "$D/mail" 0 "$n"
	fx_daemon_start "$D/daemon.log"
	# Mid-fetch: as soon as the first messages are committed.
	for rc in $(seq 1 100); do
		[ "$(grep -c 'registered for' "$D/daemon.log")" -gt 10 ] && break
		sleep 0.05
	done
	mailstack_stop_dovecot
	fx_send_batch "$D/mail" "$n" $((n + extra))
	sleep 3
	mailstack_start_dovecot
	if fx_wait_count INBOX 0 60 && fx_wait_count Processed $((n + extra)) 30; then
		fx_ok "scenario 2: reconnected after a stop mid-fetch"
	else
		fx_fail "scenario 2: reconnect after a stop mid-fetch" "$(tail -5 "$D/daemon.log")"
	fi
	# Mid-IDLE: the daemon has nothing to do and waits on the server.
	sleep 1
	mailstack_stop_dovecot
	fx_send_batch "$D/mail" $((n + extra)) $((n + 2 * extra))
	sleep 3
	mailstack_start_dovecot
	if fx_wait_count Processed $((n + 2 * extra)) 60; then
		fx_ok "scenario 2: reconnected after a stop during IDLE"
	else
		fx_fail "scenario 2: reconnect after a stop during IDLE" "$(tail -5 "$D/daemon.log")"
	fi
	fx_daemon_term >/dev/null
	outages=$(grep -c 'retrying with backoff' "$D/daemon.log")
	[ "$outages" = 2 ] && fx_ok "scenario 2: each outage logged once" ||
	    fx_fail "scenario 2: each outage logged once" "$outages 'retrying with backoff' lines"
	rc=$(grep -ci 'warning: imap' "$D/daemon.log")
	[ "$rc" -le 4 ] && fx_ok "scenario 2: $rc warning line(s) for two outages" ||
	    fx_fail "scenario 2: at most two warning lines per outage" \
	    "$(grep -i 'warning: imap' "$D/daemon.log" | sort | uniq -c | sort -rn | head -8)"
	[ "$(grep -c 'reachable again' "$D/daemon.log")" = 2 ] &&
	    fx_ok "scenario 2: the return of the server logged" ||
	    fx_fail "scenario 2: the return of the server logged"
	fx_check "$D/mail/manifest.json"
	fx_row "2 IMAP server restarted" 2 "$FX_MSGS" "$FX_LOST" "$FX_DUP" "mid-fetch, mid-IDLE"
	fx_sink_stop
}
