# Shell completion for labo: bash (installed where bash-completion loads
# it on the first `labo <TAB>`, or sourced), and zsh through bashcompinit
# (autoload -U bashcompinit && bashcompinit && source labo.bash).
#
# Everything comes from the labo being completed (the command word as
# typed: ./labo completes with the checkout's own), so it cannot go stale:
#   - the verbs:              labo __names verbs
#   - a verb's options:       labo VERB --help, its lines "  -l, --lab LAB  ..."
#                             (an option followed by a word in capitals takes a value)
#   - labs that are up:       labo __names labs
#   - a lab's hosts, nodes, segments: labo __names KIND [LAB], LAB from -l
#     (else labo takes $LABO_LAB, or the only lab up)
# and lab files (*.yaml, *.yml) where a verb takes FILE. `labo __names`
# runs as whoever pressed TAB: without the right to read labo's state
# (/run/labo is root's), it offers nothing, and says nothing.

# _labo_add < LINES: each line a candidate.
_labo_add() {
	local line
	while IFS= read -r line; do
		[ -n "$line" ] && COMPREPLY+=("$line")
	done
}

# _labo_words "WORDS": those that start with the word being completed.
_labo_words() {
	_labo_add < <(compgen -W "$1" -- "$_labo_cur")
}

# _labo_names KIND: names from the labo being completed, of the lab named
# with -l if any.
_labo_names() {
	_labo_words "$("$_labo_cmd" __names "$1" ${_labo_lab:+"$_labo_lab"} 2>/dev/null)"
}

# _labo_files: lab files and scenarios, and directories to find them in.
_labo_files() {
	_labo_add < <(
		compgen -f -X '!*.yaml' -- "$_labo_cur"
		compgen -f -X '!*.yml' -- "$_labo_cur"
		compgen -d -- "$_labo_cur"
	)
	# bash: a '/' after a directory, names quoted as the shell needs
	type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
	return 0
}

# _labo_options VERB: the verb's options in _labo_opts, and those that take
# a value in _labo_valopts (" -l --lab --runtime "), from its help.
_labo_options() {
	local line col w group
	_labo_opts="--help" _labo_valopts=" "
	while IFS= read -r line; do
		case $line in
		"  -"* | "      -"*) ;;
		*) continue ;;
		esac
		# the option column ends at two spaces: "-l, --lab LAB", "--down, --up"
		col=${line#"${line%%[! ]*}"}
		col=${col%%"  "*}
		group=""
		for w in ${col//,/ }; do
			case $w in
			-*)
				_labo_opts="$_labo_opts $w"
				group="$group $w"
				;;
			*) _labo_valopts="$_labo_valopts${group# } " ;;
			esac
		done
	done < <("$_labo_cmd" "$1" --help 2>/dev/null)
}

# _labo_value OPTION: the values an option takes, where they are known.
_labo_value() {
	case $1 in
	-l | --lab)
		_labo_names labs
		_labo_files
		;;
	--runtime) _labo_words "docker process auto" ;;
	--until) _labo_words "network daemons swarm overlay containers services" ;;
	--mechanism) _labo_words "auto netem emulator" ;;
	--format)
		# (verb: _labo's, seen through bash's dynamic scope)
		if [ "${verb-}" = export ]; then
			_labo_words "stack"
		else
			_labo_words "dot svg mermaid json"
		fi
		;;
	--images) _labo_add < <(compgen -d -- "$_labo_cur") ;;
	--tls-ca | --tls-cert | --tls-key) _labo_add < <(compgen -f -- "$_labo_cur") ;;
	--on | --place | --timeout | --name) return 0 ;;
	--listen)
		# bash splits ADDR:PORT at ':' (COMP_WORDBREAKS): whole words only
		_labo_words "127.0.0.1:7474 0.0.0.0:7474"
		;;
	-o | --output | -w | --write) _labo_add < <(compgen -f -- "$_labo_cur") ;;
	-s | --signal) [ "${verb-}" = capture ] || _labo_words "KILL TERM INT HUP QUIT STOP CONT USR1 USR2" ;;
	--drift) _labo_words "+1000ppm -1000ppm 1.001" ;;
	-i | --isolate)
		_labo_names hosts
		;;
	esac
	return 0
}

_labo() {
	# zsh's bashcompinit: arrays from 0 and words split as bash does
	[ -n "${ZSH_VERSION-}" ] && emulate -L ksh
	local _labo_cur _labo_cmd _labo_lab="" _labo_opts _labo_valopts
	local cword=$COMP_CWORD prev verb="" i w n=0 pos0="" ti=0
	_labo_cur=${COMP_WORDS[cword]}
	prev=${COMP_WORDS[cword - 1]}
	_labo_cmd=${COMP_WORDS[0]}
	case $_labo_cmd in "~/"*) _labo_cmd=$HOME/${_labo_cmd#"~/"} ;; esac
	COMPREPLY=()

	# The verb: the first word after labo's own options. bash splits
	# "NAME=N" into three words ('=' is in COMP_WORDBREAKS).
	i=1
	while [ "$i" -lt "$cword" ]; do
		w=${COMP_WORDS[i]}
		case $w in
		--limit)
			i=$((i + 2))
			while [ "${COMP_WORDS[i]-}" = "=" ]; do i=$((i + 2)); done
			continue
			;;
		-*)
			i=$((i + 1))
			continue
			;;
		esac
		verb=$w
		break
	done
	if [ -z "$verb" ]; then
		case $prev in
		--limit)
			_labo_words "file-size= yaml-depth= yaml-nodes= yaml-aliased= hosts= links= nodes= steps= arg-size="
			type compopt >/dev/null 2>&1 && compopt -o nospace 2>/dev/null
			;;
		*)
			case $_labo_cur in
			-*) _labo_words "--limit --help --version" ;;
			*) _labo_names verbs ;;
			esac
			;;
		esac
		return 0
	fi

	# The verb's words so far: -l's value, and the arguments.
	_labo_options "$verb"
	i=$((i + 1))
	while [ "$i" -lt "$cword" ]; do
		w=${COMP_WORDS[i]}
		case $w in
		-l | --lab)
			if [ "${COMP_WORDS[i + 1]-}" = "=" ]; then
				_labo_lab=${COMP_WORDS[i + 2]-}
				i=$((i + 3))
			else
				_labo_lab=${COMP_WORDS[i + 1]-}
				i=$((i + 2))
			fi
			continue
			;;
		-l?*) _labo_lab=${w#-l} ;;
		-*)
			if [ "${COMP_WORDS[i + 1]-}" = "=" ]; then
				i=$((i + 2))
			elif [[ $_labo_valopts == *" $w "* ]]; then
				i=$((i + 1))
			fi
			;;
		*)
			[ "$n" -eq 0 ] && pos0=$w ti=$i
			n=$((n + 1))
			# exec: what follows its target is the command
			[ "$verb" = exec ] && break
			;;
		esac
		i=$((i + 1))
	done

	# An option's value: "--lab LAB", or "--lab=LAB" (bash: "--lab" "=" "LAB")
	if [ "$prev" = "=" ] && [ "$cword" -ge 2 ]; then
		_labo_value "${COMP_WORDS[cword - 2]}"
		return 0
	fi
	if [[ $_labo_valopts == *" $prev "* ]]; then
		_labo_value "$prev"
		return 0
	fi
	if [ "$verb" = exec ] && [ "$n" -ge 1 ]; then
		# the command run in the host or node ("--" first, or not), then
		# its arguments
		if [ "$cword" -eq $((ti + 1)) ]; then
			_labo_words "--"
			_labo_add < <(compgen -c -- "$_labo_cur")
		elif [ "$cword" -eq $((ti + 2)) ] && [ "$prev" = "--" ]; then
			_labo_add < <(compgen -c -- "$_labo_cur")
		else
			_labo_add < <(compgen -f -- "$_labo_cur")
		fi
		return 0
	fi
	case $_labo_cur in
	-*)
		_labo_words "$_labo_opts"
		return 0
		;;
	esac

	# The arguments, as each verb's usage line names them.
	case $verb in
	up | validate | chaos) [ "$n" -eq 0 ] && _labo_files ;;
	down | reset | status | events | check | destroy | inspect | graph | export | deploy)
		if [ "$n" -eq 0 ]; then
			_labo_names labs
			_labo_files
		fi
		;;
	exec | logs | restart) [ "$n" -eq 0 ] && _labo_names targets ;;
	stop | start) [ "$n" -eq 0 ] && _labo_names hosts ;;
	kill) [ "$n" -eq 0 ] && _labo_names nodes ;;
	pause | resume)
		if [ "$n" -eq 0 ]; then
			_labo_words "leader follower"
			_labo_names targets
		fi
		;;
	partition | heal) [ "$n" -le 1 ] && _labo_names hosts ;;
	link)
		case $n:$pos0 in
		0:*)
			_labo_words "show reset"
			_labo_names hosts
			;;
		1:show)
			_labo_names labs
			_labo_files
			;;
		1:reset) _labo_names hosts ;;
		1:* | 2:reset) _labo_names segments ;;
		esac
		;;
	capture)
		# the host, then where on it (a link's segment or peer, any); the
		# filter after that is the user's
		if [ "$n" -eq 0 ]; then
			_labo_names hosts
		elif [ "$n" -eq 1 ]; then
			_labo_words "$("$_labo_cmd" __names links "${_labo_lab-}" "$pos0" 2>/dev/null)"
		fi
		;;
	clock)
		case $n in
		0)
			_labo_words "leader follower"
			_labo_names nodes
			;;
		1) _labo_words "reset +30s -5s 0" ;;
		esac
		;;
	help) [ "$n" -eq 0 ] && _labo_names verbs ;;
	ls | version | web) ;;
	*) _labo_files ;;
	esac
	return 0
}

complete -F _labo labo
