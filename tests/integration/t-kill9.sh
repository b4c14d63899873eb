#!/bin/bash
# kill -9 of `labo up` at any point: `labo down` then removes everything.
# A 300-host lab (one segment, hosts without addresses) is brought up in the
# background and SIGKILLed after various delays, and once after it finished.
. "$(dirname "$0")/lib.sh"
need_root

N=300
new_lab LAB
F=$(
	{
		printf 'lab: %s\nsegments:\n  lan:\n    subnet: 198.51.100.0/24\nhosts:\n' "$LAB"
		for ((i = 1; i <= N; i++)); do
			printf '  h%d:\n    links:\n      - segment: lan\n' "$i"
		done
	} | lab_file "$LAB"
)

mid=0
for delay in 0.02 0.05 0.1 0.2 0.3 0.4 finished; do
	say "--- kill -9 after $delay"
	"$LABO" up -q "$F" >"$TMP/up.out" 2>&1 </dev/null &
	pid=$!
	if [ "$delay" = finished ]; then
		wait "$pid"
		rc=$?
		if [ "$rc" -eq 0 ]; then
			ok "the $N-host lab came up (exit status 0)"
		else
			fail "up of the $N-host lab: expected exit status 0, got $rc"
			indent <"$TMP/up.out"
		fi
		kill -9 "$pid" 2>/dev/null
	else
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
	fi
	n_ns=$(lab_netns "$LAB" | wc -l)
	record_ns "$LAB"
	if [ "$rc" -eq 137 ] && [ "$n_ns" -gt 0 ]; then
		mid=$((mid + 1))
		say "killed mid-way: $n_ns namespaces of the lab existed"
	elif [ "$rc" -eq 137 ]; then
		say "killed before any namespace was made"
	else
		say "up had exited (status $rc) before the kill, leaving $n_ns namespaces"
	fi

	# A lab whose up was killed shows as failed, not up (unless the kill
	# landed after up had recorded the lab as up, on its way out: then "up"
	# is the truth; the meta file says which)
	if [ "$rc" -eq 137 ] && [ -d "$RUN_DIR/$LAB" ]; then
		run "$LABO" ls
		if grep -qx "state=up" "$RUN_DIR/$LAB/meta" 2>/dev/null; then
			assert_match "$OUT" "^$LAB +up " "killed after up had finished: ls shows $LAB as up"
		else
			assert_match "$OUT" "^$LAB +failed " "after the kill, ls shows $LAB as failed"
		fi
		if grep -qx "state=up" "$RUN_DIR/$LAB/meta" 2>/dev/null; then
			# a lab that is up: up of its file again changes nothing
			run "$LABO" up -q "$F"
			expect_rc 0 "up of a lab that is up (its own file)"
			assert_contains "$OUT" "lab $LAB is up" "up says the lab is up already"
		elif [ -s "$RUN_DIR/$LAB/journal" ]; then
			run "$LABO" up -q "$F"
			expect_rc 1 "up over the remains of a killed up is refused"
			assert_contains "$ERR" "labo down $LAB" "the refusal says to run labo down"
		fi
	fi

	run "$LABO" down "$LAB"
	expect_rc 0 "down after kill -9 at $delay"
	assert_lab_gone "$LAB"
done

if [ "$mid" -ge 1 ]; then
	ok "$mid kill(s) landed while namespaces of the lab existed"
else
	fail "no kill landed while the lab was being built: the test proved nothing (machine too fast or too slow?)"
fi

finish
