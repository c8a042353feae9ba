# Scenario 8: SIGTERM while a large backlog is being taken in. The daemon
# finishes or rolls back the current message and exits 0 within a few
# seconds; nothing is half-recorded and nothing is marked before its commit.

scenario_sigterm()
{
	local n=200 rounds=3 i delay took rc slow=0

	fx_log "scenario 8: SIGTERM during a large take-in"
	fx_sink_start "$WORK/term-sink.log" 0
	fx_env fxterm || return
	fx_gen "$D/mail" "$n" "${FX_SEED:-1}" --tag st >/dev/null
	fx_append "$D/mail"
	RANDOM=$(( ${FX_SEED:-1} + 8 ))
	for i in $(seq 1 "$rounds"); do
		delay=$((300 + RANDOM % 900))
		fx_daemon_start "$D/daemon.log"
		# Count from the moment its signal handlers are in place.
		for rc in $(seq 1 100); do
			grep -q "started (pid $FX_DPID)" "$D/daemon.log" && break
			sleep 0.1
		done
		sleep "$(printf '0.%03d' "$delay")"
		fx_daemon_term
		rc=$?
		took=$FX_TOOK
		if [ "$rc" = 0 ] && "$PYTHON" -c "import sys; sys.exit(not $took <= 5)"; then
			fx_ok "scenario 8: SIGTERM after $delay ms: exit 0 in $took s"
		else
			fx_fail "scenario 8: SIGTERM after $delay ms: exit 0 within 5 s" "rc=$rc in $took s"
			slow=$((slow + 1))
		fi
		fx_check "$D/mail/manifest.json" --partial > "$D/partial.$i" 2>&1 ||
		    fx_fail "scenario 8: consistent after SIGTERM $i" "$(cat "$D/partial.$i")"
	done
	grep -q 'stopped' "$D/daemon.log" || fx_fail "scenario 8: the stop is logged"
	fx_once "scenario 8: final run"
	fx_check "$D/mail/manifest.json" --sink "$WORK/term-sink.log"
	fx_row "8 SIGTERM during take-in" "$rounds" "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "exit within 5 s: $((rounds - slow))/$rounds"
	fx_sink_stop
}
