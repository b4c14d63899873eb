#!/bin/bash
# Linearizability on a real 3-server ensemble (netns/zk3.yaml under a name
# of its own, process runtime: the registers go through the same client
# either way), with a real fault labo causes: a follower's host isolated
# for 6 s (netns/scenarios/zk3-stale-read.yaml), shorter than ZooKeeper's
# syncLimit x tickTime, so the follower never notices.
#   - reads after a quorum (the default): the registers' history, the EDN,
#     the text timeline and the plot are written; the history is valid,
#     with reads and writes through every node, and the files say what the
#     report says (every operation an :invoke and a completion in the EDN,
#     the fault a band in the plot, the witness absent);
#   - --reads local: the cut follower answers reads from what it had, and
#     the check must flag it: exit 6, verdict invalid, a witness of at most
#     a handful of operations whose read went through the cut node, read a
#     value older than a write that completed before the read was called;
#     the plot circles the witness; labo web's plot is that check's;
#   - outputs root would not write through are refused before anything
#     runs (exit 2): a symbolic link, a file with another hard link.
# timeout: 300
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq
need_cmd xmllint libxml2-utils
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
need_docker_lab_tools "the check"

T_TEST=$EPOCHREALTIME
SCENARIO=$(cd "$(dirname "$0")/../.." && pwd)/netns/scenarios/zk3-stale-read.yaml
serving3='.ensemble.quorum == true and ([.nodes[] | select(.mode == "leader" or .mode == "follower")] | length) == 3'

new_lab LAB 7
sed "s/^lab: zk3/lab: $LAB/" "$SCENARIO" >"$TMP/stale.yaml"
F=$(supervised_lab_file "$LAB" zk3.yaml | lab_file "$LAB")
run "$LABO" up --runtime process "$F"
expect_rc 0 "up --runtime process" || die "cannot go on"
record_ns "$LAB"

# ---- refusals first: nothing runs ----
ln -s /etc/passwd "$TMP/link.edn"
run "$LABO" check "$LAB" -d 2s --history "$TMP/link.edn"
expect_rc 2 "--history through a symbolic link is refused"
assert_contains "$ERR" "is a symbolic link" "it says why" || show_run
echo keep >"$TMP/shared.svg"
ln "$TMP/shared.svg" "$TMP/shared2.svg"
run "$LABO" check "$LAB" -d 2s --plot "$TMP/shared.svg"
expect_rc 2 "--plot over a file with another hard link is refused"
assert_eq keep "$(cat "$TMP/shared.svg")" "that file is untouched"
run "$LABO" chaos "$TMP/stale.yaml" --history "$TMP/h.edn"
expect_rc 2 "chaos --history without --check is refused"

# ---- quorum reads: valid, under the fault ----
wait_for "$LAB" 60 "the ensemble serves" "$serving3" || die "no ensemble"
t0=$EPOCHREALTIME
run "$LABO" chaos "$TMP/stale.yaml" --check --json --seed 17 \
	--history "$TMP/sync.edn" --plot "$TMP/sync.svg" --timeline "$TMP/sync.txt"
expect_rc 0 "chaos --check, a follower isolated 6 s, reads after a quorum (in $(secs_since "$t0") s)" || show_run
printf '%s\n' "$ERR" | indent
rep=$OUT
jq -e . >/dev/null <<<"$rep" || die "the report is not JSON: $rep"
say "the registers: $(jq -c '.linearizability | del(.witness, .culprit)' <<<"$rep")"
assert_eq ok "$(jq -r .verdict <<<"$rep")" "verdict ok"
assert_eq valid "$(jq -r .linearizability.verdict <<<"$rep")" "the registers' history is linearizable"
assert_eq quorum "$(jq -r .linearizability.reads <<<"$rep")" "its reads came after a quorum"
n_ops=$(jq -r .linearizability.operations <<<"$rep")
assert_eq true "$(jq -r '.linearizability.ok > 100' <<<"$rep")" \
	"over 100 operations answered ok ($(jq -r .linearizability.ok <<<"$rep") of $n_ops)"
assert_eq "isolate follower|heal every cut" "$(jq -r '[.marks[].text] | join("|")' <<<"$rep")" \
	"the fault and its heal are marked"
# the EDN: every operation an :invoke and one completion, in time order
assert_eq "$n_ops" "$(grep -c ':type :invoke' "$TMP/sync.edn")" "the EDN has an :invoke for each of the $n_ops operations"
assert_eq "$n_ops" "$(grep -v ':process :nemesis' "$TMP/sync.edn" | grep -cE ':type :(ok|fail|info)')" \
	"and one completion each"
for f in read write cas; do
	assert_eq true "$(grep ':type :ok' "$TMP/sync.edn" | grep -c ":f :$f" | awk '{ print ($1 > 5) }' | sed 's/1/true/;s/0/false/')" \
		"the EDN has reads, writes and CAS answered ok: :$f"
done
assert_eq true "$(awk -F':time ' 'NF > 1 { split($2, a, /[ ,}]/); t = a[1] + 0; if (t < last) bad = 1; last = t } END { print bad ? "false" : "true" }' "$TMP/sync.edn")" \
	"the EDN's times never go back"
assert_contains "$(grep ':process :nemesis' "$TMP/sync.edn")" "isolate follower" "the EDN has the fault as a :nemesis op"
for node in zoo1 zoo2 zoo3; do
	assert_eq true "$(grep -c "$node" "$TMP/sync.txt" | awk '{ print ($1 > 10) ? "true" : "false" }')" \
		"the text timeline has operations through $node"
done
assert_contains "$(cat "$TMP/sync.txt")" "isolate follower" "the text timeline has the fault"
assert_contains "$(head -c 200 "$TMP/sync.svg")" "<svg" "the plot is an SVG"
assert_contains "$(cat "$TMP/sync.svg")" "isolate follower" "the plot names the fault's band"
run xmllint --noout "$TMP/sync.svg"
expect_rc 0 "the plot is well-formed XML (xmllint)" || show_run

# ---- local reads: the cut follower's stale reads are caught ----
wait_for "$LAB" 60 "the ensemble serves again" "$serving3" || die "no ensemble"
t0=$EPOCHREALTIME
run "$LABO" chaos "$TMP/stale.yaml" --check --json --seed 17 --reads local \
	--history "$TMP/local.edn" --plot "$TMP/local.svg"
expect_rc 6 "with --reads local the check exits 6 (in $(secs_since "$t0") s)" || show_run
printf '%s\n' "$ERR" | indent
rep=$OUT
say "the registers: $(jq -c .linearizability <<<"$rep")"
assert_eq invalid "$(jq -r .verdict <<<"$rep")" "verdict invalid"
assert_eq 0 "$(jq -r '.lost.missing + .lost.altered + .order_errors.count + .divergent.count' <<<"$rep")" \
	"nothing acknowledged was lost: the fault is the reads'"
cut=$(sed -n "s/.*isolate \(zk[0-9]\) (a follower's host).*/\1/p" <<<"$ERR" | head -1)
[ -n "$cut" ] || cut=$(sed -n "s/.*isolate \(zk[0-9]\).*/\1/p" <<<"$ERR" | head -1)
assert_match "$cut" '^zk[123]$' "the player names the follower's host it cut ($cut)"
W='.linearizability.witness'
assert_eq true "$(jq -r "$W | length >= 3 and length <= 5" <<<"$rep")" \
	"the witness is small: $(jq -r "$W | length" <<<"$rep") operations"
assert_eq true "$(jq -r '.linearizability.minimal' <<<"$rep")" "and minimal"
# the stale read: through the cut node, called after a write of the same
# register completed, and it read a value other than that write's
stale=$(jq -c "[$W[] | select(.f == \"read\")] | last" <<<"$rep")
say "the stale read: $stale"
assert_eq "zoo${cut#zk}" "$(jq -r .node <<<"$stale")" "the witness's read went through the cut follower"
assert_eq true "$(jq -r --argjson r "$stale" "[$W[] | select(.f != \"read\" and .type == \"ok\" and .ret_s < \$r.call_s and .value != \$r.value)] | length > 0" <<<"$rep")" \
	"a write of another value completed before that read was called"
circled=$(awk '/<g class="witness"/ { on = 1 } on { n += gsub(/<circle/, "") } on && /<\/g>/ { on = 0 } END { print n + 0 }' "$TMP/local.svg")
assert_eq "$(jq -r "$W | length" <<<"$rep")" "$circled" "the plot circles each operation of the witness"
run_dir_plot=$(find "${LABO_RUN_DIR:-/run/labo}/$LAB" -maxdepth 1 -name check.svg 2>/dev/null | head -1)
[ -n "$run_dir_plot" ] && cmp -s "$run_dir_plot" "$TMP/local.svg" && ok "labo web's plot is the last check's" ||
	fail "no check.svg in the lab's run dir, or not the last check's"

run "$LABO" down "$LAB"
expect_rc 0 "down"
assert_lab_gone "$LAB"
say "whole test: $(secs_since "$T_TEST") s"
finish
