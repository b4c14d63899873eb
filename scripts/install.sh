#!/bin/sh
# scripts/install.sh install|uninstall: what `make install` and `make
# uninstall` do, with the Makefile's DESTDIR, BINDIR, DATADIR, MANDIR,
# DOCDIR and BASHCOMPDIR in the environment.
#
# install copies what plan() lists, and records in $DATADIR/labo/installed
# each file it put there and each directory it had to make ("f PATH", "d
# PATH", without DESTDIR: the record is true once a staged tree is moved
# into place). uninstall removes exactly the files recorded, then the
# directories recorded that are empty, deepest first: a directory that was
# there before (/usr/share/man/man1) is never recorded, so never removed.
# A second install over the first adds to the record. Without a record (a
# labo installed before there was one), uninstall removes plan()'s files.
#
# labo finds its image recipes from where its binary is (BINDIR/../share/
# labo, see src/docker/image.c), so DATADIR must be BINDIR/../share.
set -eu
cd "$(dirname "$0")/.."

: "${DESTDIR=}" "${BINDIR:?}" "${DATADIR:?}" "${MANDIR:?}" "${DOCDIR:?}" "${BASHCOMPDIR:?}"
RECORD=$DATADIR/labo/installed

# What goes where: "SOURCE DEST MODE" lines (no name here has a space).
plan() {
	echo "labo $BINDIR/labo 0755"
	for f in images/*/*; do
		if [ -x "$f" ]; then m=0755; else m=0644; fi
		echo "$f $DATADIR/labo/$f $m"
	done
	for f in netns/*.yaml netns/scenarios/*.yaml; do
		echo "$f $DATADIR/labo/$f 0644"
	done
	# README.md links to docs/*.md and docs/fr/*.md, and they to docs/img/:
	# the same tree
	for f in README.md docs/*.md docs/fr/*.md docs/img/*.png; do
		[ -f "$f" ] && echo "$f $DOCDIR/$f 0644"
	done
	for f in build/man/*.1; do
		[ -f "$f" ] && echo "$f $MANDIR/man1/${f##*/} 0644"
	done
	for f in build/man/*.5; do
		[ -f "$f" ] && echo "$f $MANDIR/man5/${f##*/} 0644"
	done
	echo "completion/labo.bash $BASHCOMPDIR/labo 0644"
}

# Paths install may have put something at: uninstall removes nothing else,
# whatever a record says.
ours() {
	case $1 in
	"$BINDIR"/labo | "$DATADIR"/labo | "$DATADIR"/labo/* | "$DOCDIR" | "$DOCDIR"/* | \
		"$MANDIR"/man[15]/labo*.[15] | "$BASHCOMPDIR"/labo) return 0 ;;
	esac
	return 1
}

# makedirs DIR: DIR and those above it that are missing, each one made
# recorded in $NEW.
makedirs() {
	[ "$1" != / ] && [ ! -d "$DESTDIR$1" ] || return 0
	makedirs "$(dirname "$1")"
	mkdir -m 0755 "$DESTDIR$1"
	echo "d $1" >>"$NEW"
}

absolute() {
	case $1 in
	/*) ;;
	*) echo "install.sh: $2 must be an absolute path, not '$1'" >&2; exit 2 ;;
	esac
}

do_install() {
	for v in BINDIR DATADIR MANDIR DOCDIR BASHCOMPDIR; do
		eval "absolute \"\$$v\" $v"
	done
	if [ "$(realpath -m -s "$BINDIR/../share")" != "$(realpath -m -s "$DATADIR")" ]; then
		echo "install.sh: labo finds its data in BINDIR/../share/labo, and DATADIR ($DATADIR) is not BINDIR/../share ($BINDIR/../share)" >&2
		exit 2
	fi
	[ -x labo ] || { echo "install.sh: no ./labo: build it first (make)" >&2; exit 1; }
	[ -f build/man/labo.1 ] ||
		echo "install.sh: the man pages are not built (scdoc is not installed): not installed"
	[ -z "$DESTDIR" ] || mkdir -p "$DESTDIR"
	NEW=$(mktemp)
	trap 'rm -f "$NEW"' EXIT
	plan | while read -r src dest mode; do
		makedirs "$(dirname "$dest")"
		install -m "$mode" "$src" "$DESTDIR$dest"
		echo "f $dest" >>"$NEW"
		echo "  INSTALL $DESTDIR$dest"
	done
	makedirs "$(dirname "$RECORD")"
	# an earlier install's record first: its directories were made before
	{ cat "$DESTDIR$RECORD" 2>/dev/null || true; cat "$NEW"; } | awk '!seen[$0]++' >"$DESTDIR$RECORD.tmp"
	chmod 0644 "$DESTDIR$RECORD.tmp"
	mv "$DESTDIR$RECORD.tmp" "$DESTDIR$RECORD"
	echo "  RECORD  $DESTDIR$RECORD (for make uninstall)"
}

do_uninstall() {
	if [ -f "$DESTDIR$RECORD" ]; then
		files=$(sed -n 's/^f //p' "$DESTDIR$RECORD")
		dirs=$(sed -n 's/^d //p' "$DESTDIR$RECORD")
	else
		echo "uninstall: no record $DESTDIR$RECORD: removing the files labo installs"
		files=$(plan | awk '{ print $2 }')
		# labo's own directories only: the others may have been there before
		dirs=$(plan | awk '{ print $2 }' | while read -r f; do
			d=$(dirname "$f")
			while ours "$d"; do
				echo "$d"
				d=$(dirname "$d")
			done
		done | sort -u)
	fi
	printf '%s\n' "$files" | while read -r f; do
		[ -n "$f" ] || continue
		if ! ours "$f"; then
			echo "uninstall: $f is not where labo installs: left alone" >&2
			continue
		fi
		if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
			rm -f "$DESTDIR$f"
			echo "  RM      $DESTDIR$f"
		fi
	done
	rm -f "$DESTDIR$RECORD"
	# deepest first; a directory with anything left in it stays
	printf '%s\n' "$dirs" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2- |
		while read -r d; do
			[ -n "$d" ] && [ -d "$DESTDIR$d" ] || continue
			rmdir "$DESTDIR$d" 2>/dev/null && echo "  RMDIR   $DESTDIR$d" || true
		done
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
*)
	echo "usage: $0 install|uninstall (run by make install, make uninstall)" >&2
	exit 2
	;;
esac
