#!/bin/bash
# The command line (issue 10): help on every verb in three spellings and
# exit 0; a bad option in one line, exit 2; did-you-mean; containerlab's
# words; --version; one way to name a lab (-l LAB or FILE, the positional
# form, LABO_LAB; with several up and none named, the error lists them);
# --json of up, down and validate; up --dry-run of a Docker lab; logs on
# stdout.
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd jq jq

# ==== help ====
for v in $("$LABO" help | awk '/^  [a-z]+ / { print $1 }'); do
	for form in "$v --help" "$v -h" "help $v"; do
		run "$LABO" $form
		expect_rc 0 "labo $form" || continue
		assert_match "$OUT" "^usage: labo $v" "labo $form prints $v's usage"
	done
done
run "$LABO" --help
expect_rc 0 "labo --help"
assert_match "$OUT" "^  partition +cut" "the overview lists the verbs"
run "$LABO" exec h1 -- ls --help
assert_not_contains "$OUT" "usage: labo exec" "exec: --help after the command is the command's"

# ==== bad input: one line, exit 2 ====
run "$LABO" status --jsn
expect_rc 2 "an unknown option"
assert_eq "labo: status: unknown option '--jsn'; see 'labo status --help'" "$ERR" "one line naming it"
run "$LABO" link h1 --delay
expect_rc 2 "an option without its value"
assert_eq "labo: link: option '--delay' needs a value; see 'labo link --help'" "$ERR" "one line naming it"
run "$LABO" stauts
expect_rc 2 "a typo'd verb"
assert_contains "$ERR" "did you mean 'status'?" "did-you-mean"
run "$LABO" ps
expect_rc 2 "docker's ps"
assert_contains "$ERR" "labo status" "ps points to status"
run "$LABO" deploy "$REPO/netns/seed.yaml"
expect_rc 2 "deploy (a real Swarm's) without --on"
assert_contains "$ERR" "--on URL is needed" "one line saying what is missing"
run "$LABO" destroy --help
expect_rc 0 "containerlab's destroy is down"
assert_match "$OUT" "^usage: labo down" "destroy's help is down's"
run "$LABO" --version
expect_rc 0 "--version"
assert_match "$OUT" "^labo [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit [0-9a-f]+(-dirty)?|unknown\\)\$" "a semantic version and the commit"

# ==== validate --json ====
run "$LABO" validate --json "$REPO/netns/seed.yaml"
expect_rc 0 "validate --json"
assert_eq "true seed 2 2" "$(jq -r '"\(.ok) \(.lab) \(.hosts) \(.nodes)"' <<<"$OUT")" "validate --json: the lab's shape"
printf 'lab: x\nsegments:\n  s: {subnet: 198.51.100.7/24}\nhosts:\n  h: {links: [{segment: s}]}\n' >"$TMP/bad.yaml"
run "$LABO" validate --json "$TMP/bad.yaml"
expect_rc 2 "validate --json of a bad file"
assert_eq "false 3 15" "$(jq -r '"\(.ok) \(.errors[0].line) \(.errors[0].column)"' <<<"$OUT")" \
	"validate --json: the error's line and column"
assert_match "$(jq -r '.errors[0].message' <<<"$OUT")" "host bits set" "validate --json: the message"

# ==== up --dry-run of a Docker lab: its whole plan ====
run "$LABO" up --dry-run --runtime docker "$REPO/netns/seed.yaml"
expect_rc 0 "up --dry-run of the seed"
for want in "dockerd in mida-clm1" "swarm init on mida-clm1" "swarm join of mida-clm2" \
	"overlay weave subnet 10.0.0.0/24" "image labo/zookeeper:" "container namenode2 zookeeper myid 2 on mida-clm2" \
	"port 198.51.100.198:32181 -> namenode1 2181/tcp"; do
	assert_contains "$OUT" "$want" "dry-run shows '$want'"
done
assert_eq "" "$(ip netns list | grep -E '^labo\.seed( |$)')" "dry-run makes nothing"

# ==== two labs: naming one ====
new_lab A
new_lab B
FA=$(lab_file "$A" <<EOF2
lab: $A
segments:
  wan: {subnet: 198.51.100.224/28}
hosts:
  h1: {links: [{segment: wan, address: 198.51.100.226}]}
EOF2
)
FB=$(lab_file "$B" <<EOF2
lab: $B
segments:
  wan: {subnet: 198.51.100.240/28}
hosts:
  h2: {links: [{segment: wan, address: 198.51.100.242}]}
EOF2
)
run "$LABO" up --json "$FA"
expect_rc 0 "up --json"
assert_eq "$A true" "$(jq -r '"\(.lab) \(.ok)"' <<<"$OUT")" "up --json: the lab and the result"
assert_eq "check switch hosts addresses" "$(jq -r '[.stages[].stage] | join(" ")' <<<"$OUT")" \
	"up --json: the stages"
record_ns "$A"
run "$LABO" up -q "$FB"
expect_rc 0 "up of a second lab"
record_ns "$B"
run env -u LABO_LAB "$LABO" status
expect_rc 2 "status with two labs up and none named"
assert_contains "$ERR" "name one with -l LAB" "the error says how to name one"
assert_contains "$ERR" "$A" "the error lists $A"
assert_contains "$ERR" "$B" "the error lists $B"
for form in "-l $A" "--lab $A" "$A" "-l $FA" "$FA"; do
	run "$LABO" status --json $form
	expect_rc 0 "status --json $form"
	assert_eq "$A" "$(jq -r .lab <<<"$OUT")" "status $form names $A"
done
run env LABO_LAB="$B" "$LABO" status --json
expect_rc 0 "status with LABO_LAB"
assert_eq "$B" "$(jq -r .lab <<<"$OUT")" "LABO_LAB=$B names $B"
run env LABO_LAB="$B" "$LABO" exec h1 -- true
expect_rc 4 "exec of a host of another lab than LABO_LAB's"
run env LABO_LAB="$FB" "$LABO" exec h2 -- hostname
expect_rc 0 "exec with LABO_LAB naming the lab's file"
assert_eq h2 "$OUT" "the host's hostname"
run "$LABO" up -l "$A"
expect_rc 0 "up -l LAB of a lab that is up"
assert_contains "$OUT" "lab $A is up" "up -l LAB: the lab is up, nothing made"
run "$LABO" up -l tnosuchlab
expect_rc 4 "up -l of a lab that is not up and no file of that name"
run "$LABO" status -l "$A" "$B"
expect_rc 2 "status -l A B: two labs"
run "$LABO" down --json -l "$FB"
expect_rc 0 "down --json -l FILE"
assert_eq "$B true true" "$(jq -r '"\(.lab) \(.ok) \(.removed)"' <<<"$OUT")" "down --json: the lab, removed"
assert_contains "$(jq -r '[.stages[].stage] | join(" ")' <<<"$OUT")" "namespaces" "down --json: the stages"
assert_lab_gone "$B"
run "$LABO" down "$A"
expect_rc 0 "down $A"
assert_lab_gone "$A"
finish
