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
	mkdir -p "$t/tests" "$t/src/util" "$t/src/model" "$t/include/labo/util" "$t/include/labo/model"
	printf 'util src/util\nmodel src/model\n' >"$t/tests/layers.txt"
	: >"$t/include/labo/util/util.h"
	: >"$t/include/labo/model/lab.h"
	printf '#include "labo/util/util.h"\n' >"$t/src/model/lab.c"
	printf '#include "labo/util/util.h"\n#include "labo/model/lab.h"\n' >"$t/src/util/util.c"
	cp "$0" "$t/tests/layers.sh"
	out=$(bash "$t/tests/layers.sh")
	if [ $? -ne 0 ] && grep -q 'src/util/util.c:2: util includes labo/model/lab.h, of model' <<<"$out"; then
		echo "layers: the checker catches a planted climbing include"
		exit 0
	fi
	echo "layers: the checker missed a planted climbing include:"
	printf '%s\n' "$out"
	exit 1
fi
declare -A rank=() folder_layer=()
r=0
while read -r layer folders; do
	case $layer in '' | '#'*) continue ;; esac
	rank[$layer]=$r
	r=$((r + 1))
	for f in ${folders//,/ }; do folder_layer[$f]=$layer; done
done <tests/layers.txt
# a header's layer: its folder's (include/labo/FOLDER/NAME.h is src/FOLDER's)
header_layer_of() { echo "${folder_layer[src/${1%%/*}]:-}"; }

files=0 includes=0 climbing=0 unknown=0
for f in src/*/*.c src/*/*.h include/labo/*/*.h; do
	dir=${f%/*}
	case $dir in
	include/labo/*) own=$(header_layer_of "${dir#include/labo/}/x") ;;
	*) own=${folder_layer[$dir]:-} ;;
	esac
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
		to=$(header_layer_of "$h")
		if [ -z "$to" ] || [ "${h%/*}" = "$h" ]; then
			echo "layers: $f:$line: labo/$h.h is in no layer of tests/layers.txt (include/labo/FOLDER/NAME.h)"
			unknown=$((unknown + 1))
		elif [ "${rank[$to]}" -gt "${rank[$own]}" ]; then
			echo "layers: $f:$line: $own includes labo/$h.h, of $to, a higher layer"
			climbing=$((climbing + 1))
		fi
	done < <(grep -n '^#include "labo/' "$f" | sed 's/^\([0-9]*\):#include "\(.*\)"/\1:\2/')
done
for h in include/labo/*.h include/labo/*/*.h; do
	[ -e "$h" ] || continue
	d=${h#include/labo/}
	[ "${d%/*}" != "$d" ] && [ -n "$(header_layer_of "$d")" ] ||
		{ echo "layers: $h is in no folder of a layer (include/labo/FOLDER/NAME.h)"; unknown=$((unknown + 1)); }
done
echo "layers: $files files, $includes includes checked, $climbing climbing, $unknown unplaced"
[ "$climbing" -eq 0 ] && [ "$unknown" -eq 0 ]
