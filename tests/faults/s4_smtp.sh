# Scenario 4: the SMTP server is away while requests come in, then comes
# back. The acknowledgements wait in the outbox and all go out; the sink
# kills the daemon right after accepting two of them (before the daemon can
# hear the 250 and mark them sent): those two go out twice, with the same
# Message-ID, and nothing else does.

fx_wait_dead()	# SECONDS: wait for the daemon to die; 1 when it does not
{
	local i

	for i in $(seq 1 $(($1 * 10))); do
		kill -0 "$FX_DPID" 2>/dev/null || { wait "$FX_DPID" 2>/dev/null; FX_DPID=""; return 0; }
		sleep 0.1
	done
	return 1
}

fx_wait_outbox_empty()	# SECONDS
{
	local i

	for i in $(seq 1 $(($1 * 5))); do
		[ "$(fx_sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND kind = 'ack'")" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

scenario_smtp_down()
{
	local n=120 port k queued downlines

	fx_log "scenario 4: SMTP server down, then back; killed between acceptance and bookkeeping"
	port=$(fx_free_port)
	FX_SMTP_PORT=$port fx_env fxsmtp || return
	fx_gen "$D/mail" "$n" "${FX_SEED:-1}" --tag sd --replies 0 >/dev/null
	fx_append "$D/mail"
	fx_daemon_start "$D/daemon.log"
	fx_wait_count Processed "$n" 60 || fx_fail "scenario 4: take-in with SMTP down"
	sleep 3	# a few retry rounds against the closed port
	queued=$(fx_sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND kind = 'ack'")
	[ "$queued" = "$n" ] && fx_ok "scenario 4: $n acknowledgements wait in the outbox" ||
	    fx_fail "scenario 4: acknowledgements wait in the outbox" "$queued queued"
	downlines=$(grep -c unreachable "$D/daemon.log")
	: > "$D/kills.txt"
	fx_sink_start "$D/sink.log" "$port" --kill-at 30,80 --kill-pid-file "$D/daemon.pid" \
	    --kill-log "$D/kills.txt"
	for k in 1 2; do
		if fx_wait_dead 60; then
			fx_daemon_start "$D/daemon.log"
		else
			fx_fail "scenario 4: the sink kills the daemon (kill $k)"
		fi
	done
	fx_wait_outbox_empty 60 || fx_fail "scenario 4: the outbox empties once the server is back"
	fx_daemon_term >/dev/null
	fx_sink_stop
	fx_check "$D/mail/manifest.json" --sink "$D/sink.log" --kills "$D/kills.txt" > "$D/check.out"
	cat "$D/check.out"
	grep -q 'sink: 2 notice(s) delivered twice' "$D/check.out" &&
	    fx_ok "scenario 4: the two notices in flight at the kills went out twice, same Message-ID" ||
	    fx_fail "scenario 4: exactly the notices in flight at the kills went out twice"
	fx_row "4 SMTP down, then back" 3 "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "$downlines 'unreachable' lines; 2 sends killed before bookkeeping"
}
