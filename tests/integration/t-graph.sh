#!/bin/bash
# labo graph: a two-host lab without Docker drawn in every format (the SVG
# well-formed XML, rendered in labo itself), a partition drawn as a cut,
# then healed; a lab file that is not up drawn as it declares it, by an
# unprivileged user; bad input in one line.
. "$(dirname "$0")/lib.sh"
need_root
need_json
need_cmd xmllint libxml2-utils
need_cmd setpriv util-linux

new_lab LAB
F=$(lab_file "$LAB" <<EOF
lab: $LAB
segments:
  wan:
    subnet: 198.51.100.232/29
    root: 198.51.100.233
hosts:
  h1:
    links:
      - segment: wan
        address: 198.51.100.234
  h2:
    links:
      - segment: wan
        address: 198.51.100.235
EOF
)
up_lab "$F" "$LAB"

# ---- every format, of a lab that is up ----
run "$LABO" graph "$LAB"
expect_rc 0 "graph $LAB (dot, the default)" && {
	assert_contains "$OUT" "graph \"$LAB\" {" "the DOT names the lab"
	assert_contains "$OUT" 'h0 [label="h1\n198.51.100.234/29"' "h1 is a box with its address"
	assert_contains "$OUT" 's0 [label="wan\n198.51.100.232/29", shape=ellipse' "wan is an ellipse with its subnet"
	assert_contains "$OUT" "h1 -- s0 [label=\"eth0\n198.51.100.235/29\"" "h2's link carries its address"
	assert_contains "$OUT" "root -- s0 [label=\"$LAB-wan\n198.51.100.233/29\"" "the machine's own link is drawn"
	assert_not_contains "$OUT" "cut" "no cut before a partition"
}
run "$LABO" graph -l "$LAB" --format svg -o "$TMP/up.svg"
expect_rc 0 "graph --format svg -o FILE" && {
	run xmllint --noout "$TMP/up.svg"
	expect_rc 0 "the SVG is well-formed XML"
	svg=$(cat "$TMP/up.svg")
	for n in h1 h2 wan "this machine"; do
		assert_contains "$svg" ">$n<" "the SVG shows $n"
	done
}
run "$LABO" graph "$LAB" --format mermaid
expect_rc 0 "graph --format mermaid" && {
	assert_contains "$OUT" "flowchart TB" "Mermaid's flowchart"
	assert_contains "$OUT" 's0(["wan<br/>198.51.100.232/29"])' "the segment as a stadium"
}
run "$LABO" graph "$LAB" --format json
expect_rc 0 "graph --format json" && {
	JSON=$OUT
	assert_eq "true" "$(jqs .live)" "the JSON is live"
	assert_eq "h1 h2 wan this machine" "$(jqs '[.nodes[].name] | join(" ")')" "its nodes: hosts, segment, machine"
	assert_eq "on on" "$(jqs '[.nodes[] | select(.type == "host") | .state] | join(" ")')" "both hosts on"
	assert_eq "up up" "$(jqs '[.edges[] | select(.type == "link") | .state] | join(" ")')" "both links up"
}

# ---- a partition, drawn as a cut; healed, gone ----
run "$LABO" partition -l "$LAB" h1 h2
expect_rc 0 "partition h1 h2"
run "$LABO" graph "$LAB" --format dot
expect_rc 0 "graph after the partition" &&
	assert_match "$OUT" '^  h0 -- h1 \[xlabel="x cut", color="#d32f2f".*style=dashed.*dir=both' \
		"the cut is a red dashed edge, both ways, marked x"
run "$LABO" graph "$LAB" --format json
JSON=$OUT
assert_eq "h0>h1 true" "$(jqs '.edges[] | select(.type == "cut") | "\(.from)>\(.to) \(.both_ways)"')" \
	"the JSON has one cut, both ways"
run "$LABO" graph "$LAB" --format mermaid
assert_contains "$OUT" 'h0 x-.-x|"x cut"| h1' "Mermaid draws the cut with crosses"
run "$LABO" graph "$LAB" --format svg
expect_rc 0 "graph --format svg after the partition" && {
	assert_contains "$OUT" ">x cut<" "the SVG writes the cut"
	assert_contains "$OUT" '#d32f2f' "in red"
}
run "$LABO" heal -l "$LAB"
expect_rc 0 "heal"
run "$LABO" graph "$LAB"
assert_not_contains "$OUT" "x cut" "healed: no cut drawn"

# ---- a lab file that is not up, as nobody ----
run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LABO" graph "$REPO/netns/zk3.yaml" --format json
expect_rc 0 "as nobody: graph netns/zk3.yaml (not up)" && {
	JSON=$OUT
	assert_eq "false" "$(jqs .live)" "drawn as declared, not live"
	assert_eq "zoo1 zoo2 zoo3" "$(jqs '[.nodes[] | select(.type == "node") | .name] | join(" ")')" \
		"its three nodes"
	assert_eq "overlay overlay overlay" "$(jqs '[.nodes[] | select(.type == "node") | .parent] | join(" ")')" \
		"each in the overlay"
	assert_eq "null" "$(jqs '[.nodes[].state] | unique | map(tostring) | join(" ")')" "no live state"
}
run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LABO" graph "$REPO/netns/zk3.yaml" --format svg
expect_rc 0 "as nobody: an SVG of zk3" && {
	printf '%s' "$OUT" >"$TMP/zk3.svg"
	run xmllint --noout "$TMP/zk3.svg"
	expect_rc 0 "zk3's SVG is well-formed XML"
	for n in zk1 zk2 zk3 zoo1 zoo2 zoo3; do
		assert_contains "$(cat "$TMP/zk3.svg")" "$n" "zk3's SVG shows $n"
	done
}

# ---- bad input: one line each ----
run "$LABO" graph "$LAB" --format svgg
expect_rc 2 "an unknown format" && {
	assert_contains "$ERR" "unknown format 'svgg'; did you mean 'svg'?" "did-you-mean"
	assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "in one line"
}
run "$LABO" graph nosuchlab
expect_rc 4 "a lab not up and no such file" && {
	assert_contains "$ERR" "lab 'nosuchlab' is not up and there is no lab file 'nosuchlab'" "says both"
	assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "in one line"
}
run "$LABO" graph "$TMP/missing.yaml"
expect_rc 2 "a missing lab file" &&
	assert_contains "$ERR" "missing.yaml" "names the file"

finish
