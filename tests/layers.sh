#!/bin/bash
# tests/layers.sh: every #include in src/ and include/labo/ goes to its own
# layer or a lower one (tests/layers.txt; a public header is in the layer
# that owns it). Prints each include that climbs, with the file and
# line, and "N files, N includes checked, N climbing"; exit 1 if any climbs.
# No privilege, no build needed.
#
# tests/layers.sh --planted: the checker on a tree of two files, one of which
# climbs; it must say so and fail (a checker that cannot fail proves nothing).
set -u
cd "$(dirname "$0")/.." || exit 1
if [ "${1:-}" = --planted ]; then
	t=$(mktemp -d) || exit 1
	trap 'rm -rf "$t"' EXIT
	mkdir -p "$t/tests" "$t/src/util" "$t/src/model" "$t/include/labo"
	printf 'util src/util util\nmodel src/model lab\n' >"$t/tests/layers.txt"
	: >"$t/include/labo/util.h"
	: >"$t/include/labo/lab.h"
	printf '#include "labo/util.h"\n' >"$t/src/model/lab.c"
	printf '#include "labo/util.h"\n#include "labo/lab.h"\n' >"$t/src/util/util.c"
	cp "$0" "$t/tests/layers.sh"
	out=$(bash "$t/tests/layers.sh")
	if [ $? -ne 0 ] && grep -q 'src/util/util.c:2: util includes labo/lab.h, of model' <<<"$out"; then
		echo "layers: the checker catches a planted climbing include"
		exit 0
	fi
	echo "layers: the checker missed a planted climbing include:"
	printf '%s\n' "$out"
	exit 1
fi
declare -A rank=() header_layer=() folder_layer=()
r=0
while read -r layer folders headers; do
	case $layer in '' | '#'*) continue ;; esac
	rank[$layer]=$r
	r=$((r + 1))
	for f in ${folders//,/ }; do folder_layer[$f]=$layer; done
	for h in $headers; do [ "$h" = - ] || header_layer[$h]=$layer; done
done <tests/layers.txt

files=0 includes=0 climbing=0 unknown=0
for f in src/*/*.c src/*/*.h include/labo/*.h; do
	dir=${f%/*}
	if [ "$dir" = include/labo ]; then
		b=${f##*/}
		own=${header_layer[${b%.h}]:-}
		[ -n "$own" ] || continue # said below
	else
		own=${folder_layer[$dir]:-}
	fi
	if [ -z "$own" ]; then
		echo "layers: $dir is in no layer of tests/layers.txt"
		unknown=$((unknown + 1))
		continue
	fi
	files=$((files + 1))
	while IFS=: read -r line inc; do
		includes=$((includes + 1))
		h=${inc#*labo/}
		h=${h%%.h*}
		to=${header_layer[$h]:-}
		if [ -z "$to" ]; then
			echo "layers: $f:$line: labo/$h.h is in no layer of tests/layers.txt"
			unknown=$((unknown + 1))
		elif [ "${rank[$to]}" -gt "${rank[$own]}" ]; then
			echo "layers: $f:$line: $own includes labo/$h.h, of $to, a higher layer"
			climbing=$((climbing + 1))
		fi
	done < <(grep -n '^#include "labo/' "$f" | sed 's/^\([0-9]*\):#include "\(.*\)"/\1:\2/')
done
for h in include/labo/*.h; do
	b=$(basename "$h" .h)
	[ -n "${header_layer[$b]:-}" ] || { echo "layers: $h is in no layer of tests/layers.txt"; unknown=$((unknown + 1)); }
done
echo "layers: $files files, $includes includes checked, $climbing climbing, $unknown unplaced"
[ "$climbing" -eq 0 ] && [ "$unknown" -eq 0 ]
