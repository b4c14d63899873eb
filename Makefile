# labo: build, test, install, benchmark.
#   make            build ./labo (optimised)
#   make check      unit + integration tests, built with ASan and UBSan (as root)
#   make unit       unit tests only (no privilege needed)
#   make fuzz       fuzz the lab file and scenario readers (clang, libFuzzer), FUZZ_SECONDS each
#   make bench      benchmarks (as root), see docs/benchmarks.md
#   make man        the man pages, build/man/ (scdoc; `make` builds them when scdoc is there)
#   make install    PREFIX=/usr/local DESTDIR= (also BINDIR, DATADIR, MANDIR, DOCDIR, BASHCOMPDIR)
#   make uninstall  the same variables: removes what install put, and the directories it made

# Where `make install` puts things. labo finds its data (the image
# recipes) from where its binary is, BINDIR/../share/labo: nothing of these
# paths, nor of DESTDIR, is compiled in, so a binary may be installed
# anywhere, or staged under DESTDIR and moved.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
DOCDIR  ?= $(DATADIR)/doc/labo
# bash-completion's own directory, moved under DATADIR (so that a PREFIX in
# a temporary directory stays there), else the usual one
BASHCOMPDIR ?= $(or $(shell pkg-config --define-variable=prefix='$(PREFIX)' \
                 --define-variable=datadir='$(DATADIR)' --variable=completionsdir bash-completion \
                 2>/dev/null),$(DATADIR)/bash-completion/completions)
DESTDIR ?=
CC      ?= cc
# builds the man pages; without it, `make` says so and builds the rest
SCDOC   ?= $(shell command -v scdoc 2>/dev/null)
PKGS    := libnl-3.0 libnl-route-3.0 libmnl libnftnl libcap libcurl jansson yaml-0.1 libcrypto libgvc \
           libmicrohttpd libpcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libzookeeper-mt (the check's ZooKeeper client) ships no pkg-config file.
# Graphviz's dot layout and SVG renderer are linked in as its built-in
# plugins (graph-svg.c), from the directory libgvc6 keeps them in: no
# plugin configuration read at run time, and not Graphviz's pango plugin,
# which would bring cairo and fontconfig for nothing the SVG needs.
GV_PLUGIN_DIR := $(shell pkg-config --variable=libdir libgvc)/graphviz
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lzookeeper_mt -lm -pthread \
              -L$(GV_PLUGIN_DIR) -lgvplugin_dot_layout -lgvplugin_core -Wl,-rpath,$(GV_PLUGIN_DIR)

# Warnings are errors: the list follows bubblewrap's.
WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
        -Wformat=2 -Wformat-security -Wswitch-default -Wpointer-arith -Wundef \
        -Wcast-align -Wwrite-strings -Wnull-dereference -Wvla \
        -Wno-unused-parameter -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) -Iinclude $(PKG_CFLAGS) -D_GNU_SOURCE $(CFLAGS)

# The version (the file VERSION) and the commit (git's, "-dirty" with
# changes not committed, "unknown" outside a git checkout of labo). Only
# main.c is compiled with them, and it depends on build/version, rewritten
# only when either changes: a new commit recompiles one file and relinks.
LABO_VERSION := $(shell cat VERSION 2>/dev/null)
LABO_COMMIT  := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
                  c=$$(git rev-parse --short HEAD 2>/dev/null) && \
                  { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; } && echo "$$c")
LABO_COMMIT  := $(or $(LABO_COMMIT),unknown)
VERSION_STAMP := build/version
$(shell mkdir -p build && v='$(LABO_VERSION) $(LABO_COMMIT)' && \
        [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$$v" ] || echo "$$v" >$(VERSION_STAMP))
ifeq ($(LABO_VERSION),)
$(error the file VERSION is missing or empty: it holds labo's version, as 0.10.0)
endif

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(sort $(wildcard src/util/*.c src/model/*.c src/check/*.c src/runtime/*.c src/engine/*.c src/net/*.c src/host/*.c src/docker/*.c src/zk/*.c src/kind/*.c src/super/*.c \
                   src/web/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
ASM_SRC := src/model/seed.S src/web/embed.S
# labo web's files, embedded by embed.S
WEB_ASSETS := $(sort $(wildcard src/web/assets/*))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

B  := build/rel
BA := build/asan

LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o) $(ASM_SRC:%.S=$(B)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
LIB_OBJ_A := $(LIB_SRC:%.c=$(BA)/%.o) $(ASM_SRC:%.S=$(BA)/%.o)
CLI_OBJ_A := $(CLI_SRC:%.c=$(BA)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BA)/tests/%)
# Instruments the integration tests and benchmarks run inside the hosts.
TOOLS     := build/tools/netprobe

.PHONY: all check unit integration layers doc-check man man-skipped fuzz fuzz-ci bench bench-seed bench-sshd bench-kinds bench-reset \
        bench-supervise bench-deploy bench-copies bench-crash bench-link bench-gate bench-noports bench-validate bench-pause bench-capture bench-impair bench-clock bench-lin install uninstall \
        clean
all: labo $(if $(SCDOC),man,man-skipped)

labo: $(LIB_OBJ) $(CLI_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(B)/%.o: %.c $(wildcard include/labo/*/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BA)/%.o: %.c $(wildcard include/labo/*/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC+SAN  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<
$(B)/src/cli/main.o $(BA)/src/cli/main.o: $(VERSION_STAMP)
$(B)/src/cli/main.o $(BA)/src/cli/main.o: \
    ALL_CFLAGS += -DLABO_VERSION='"$(LABO_VERSION)"' -DLABO_COMMIT='"$(LABO_COMMIT)"'

# One rule per build directory: a two-target pattern rule would build only one.
$(B)/%.o: %.S netns/seed.yaml
	@mkdir -p $(dir $@)
	$(Q)$(CC) -DSEED_FILE='"netns/seed.yaml"' -c -o $@ $<
$(BA)/%.o: %.S netns/seed.yaml
	@mkdir -p $(dir $@)
	$(Q)$(CC) -DSEED_FILE='"netns/seed.yaml"' -c -o $@ $<

$(B)/src/web/embed.o $(BA)/src/web/embed.o: $(WEB_ASSETS)

# The sanitized CLI used by the integration tests.
$(BA)/labo: $(LIB_OBJ_A) $(CLI_OBJ_A)
	@$(if $(Q),echo "  LD+SAN  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

$(BA)/tests/%: tests/unit/%.c $(LIB_OBJ_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD+SAN  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# The verbs' table (help, did-you-mean, option errors) with the verbs
# themselves stubbed in the test.
$(BA)/tests/test_cli: tests/unit/test_cli.c $(BA)/src/cli/verbs.o $(LIB_OBJ_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD+SAN  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# The linearizability checker's benchmark: the checker and what it uses, optimised.
LINBENCH_OBJ := $(B)/src/check/wgl.o $(B)/src/util/util.o $(B)/src/util/rng.o
build/bench/linbench: bench/linbench.c $(LINBENCH_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ -lm

build/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g -o $@ $<

# The man pages, from scdoc's markup (docs/man/*.scd), dated by the last
# commit (the same pages for the same sources) and headed with the version.
MAN_SRC  := $(sort $(wildcard docs/man/*.scd))
MAN_OUT  := $(MAN_SRC:docs/man/%.scd=build/man/%)
MAN_DATE := $(shell git log -1 --format=%ct 2>/dev/null)

man: $(MAN_OUT)
build/man/%: docs/man/%.scd VERSION
	@mkdir -p $(dir $@)
	@$(if $(SCDOC),,echo "make: scdoc is not installed: it builds the man pages (apt-get install scdoc)"; exit 1)
	@$(if $(Q),echo "  SCDOC   $<")
	$(Q)sed 's/@VERSION@/$(LABO_VERSION)/g' $< | \
	    $(if $(MAN_DATE),SOURCE_DATE_EPOCH=$(MAN_DATE)) $(SCDOC) >$@.tmp && mv $@.tmp $@
man-skipped:
	@echo "make: scdoc is not installed: the man pages are not built (apt-get install scdoc)"

# The man pages say what the table of verbs says (every verb, each of its
# options), and man renders each without a warning. Needs scdoc and man-db.
# The tutorial's command blocks are well formed and the same in English and
# in French (running them is t-tutorial's, as root).
doc-check: $(BA)/labo man
	tests/doc/check-man.sh $(BA)/labo build/man
	@echo "== the tutorial's command blocks (t-tutorial.sh --list)"
	@tests/integration/t-tutorial.sh --list >build/tutorial-blocks.txt || \
	  { grep -v '^    ' build/tutorial-blocks.txt; exit 1; }
	@tail -n 1 build/tutorial-blocks.txt

# Builds may run in parallel (-j); the suites run one after the other.
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; LABO_TESTDATA=tests $$t; done

integration: $(BA)/labo labo $(TOOLS)
	LABO=$(CURDIR)/$(BA)/labo tests/integration/run.sh

# The layers of src/ (tests/layers.txt): no include climbs.
layers:
	@tests/layers.sh --planted
	@tests/layers.sh

check: $(UNIT_BIN) $(BA)/labo labo $(TOOLS) $(FUZZERS)
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory doc-check
	@$(MAKE) --no-print-directory fuzz-ci
	@$(MAKE) --no-print-directory integration

# Fuzzing: the readers of lab files and scenarios take files from anywhere
# and run as root. clang's libFuzzer with ASan and UBSan, on the readers'
# own sources only (they need nothing else), built apart in build/fuzz.
# Each harness starts from the files the tests and labs already have, plus
# tests/fuzz/corpus/ (seeds, and every input that once crashed); what it
# finds goes to build/fuzz/corpus-*, a crash to build/fuzz/crash-*.
# fuzz-ci (in `make check`) runs each harness FUZZ_CI_SECONDS.
FUZZ_CC         ?= clang
FUZZ_SECONDS    ?= 60
FUZZ_CI_SECONDS ?= 60
BF := build/fuzz
FUZZ_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_LIB_SRC := src/model/labfile.c src/model/labfile-yaml.c src/model/labfile-node.c src/model/validate.c src/model/scenario.c \
                src/model/lab.c src/model/limits.c src/model/names.c src/model/impair.c src/util/util.c \
                src/util/hmap.c src/util/ipv4.c src/util/error.c src/util/rng.c src/model/clock.c \
                src/model/state.c src/util/fs.c src/model/copy.c
FUZZ_OBJ := $(FUZZ_LIB_SRC:%.c=$(BF)/%.o) $(BF)/src/model/seed.o
FUZZERS  := $(BF)/fuzz_labfile $(BF)/fuzz_scenario
.SECONDARY: $(FUZZ_OBJ)
# -timeout: no input may take 10 s; -rss_limit_mb: nor 2 GB; -max_len: files
# of up to 16 KB, enough to reach every limit under the tight ones
FUZZ_RUN = -dict=tests/fuzz/labo.dict -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
           -print_final_stats=1 -artifact_prefix=$(BF)/
FUZZ_SEEDS_labfile  := tests/fuzz/corpus/labfile tests/labfiles/good tests/labfiles/bad netns
FUZZ_SEEDS_scenario := tests/fuzz/corpus/scenario tests/scenarios/bad netns/scenarios

$(BF)/%.o: %.c $(wildcard include/labo/*/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC+FUZZ $<")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<
$(BF)/%.o: %.S netns/seed.yaml
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -DSEED_FILE='"netns/seed.yaml"' -c -o $@ $<
$(BF)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJ)
	@$(if $(Q),echo "  LD+FUZZ $@")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) \
	    $(shell pkg-config --libs yaml-0.1)

# Runs harness $(1) for $(2) seconds; its output goes to a log, whose end
# is shown (all of it from the crash on, if it fails).
define run_fuzzer
	@mkdir -p $(BF)/corpus-$(1)
	@echo "== fuzz_$(1), $(2) s (log: $(BF)/fuzz_$(1).log)"
	@if $(BF)/fuzz_$(1) -max_total_time=$(2) $(FUZZ_RUN) $(BF)/corpus-$(1) $(FUZZ_SEEDS_$(1)) \
	    >$(BF)/fuzz_$(1).log 2>&1; then tail -n 14 $(BF)/fuzz_$(1).log; \
	  else grep -v '^#[0-9]' $(BF)/fuzz_$(1).log | tail -n 60; exit 1; fi
endef

fuzz: $(FUZZERS)
	$(call run_fuzzer,labfile,$(FUZZ_SECONDS))
	$(call run_fuzzer,scenario,$(FUZZ_SECONDS))

fuzz-ci: $(FUZZERS)
	$(call run_fuzzer,labfile,$(FUZZ_CI_SECONDS))
	$(call run_fuzzer,scenario,$(FUZZ_CI_SECONDS))

# All need root: the lab engine against ip -batch and Mininet, the seed,
# the supervisor, a dockerd's crash, the link emulator.
bench: labo
	bench/run.sh
	bench/seed.sh
	bench/supervise.sh
	bench/daemon-crash.sh
	bench/link.sh
	bench/gate.sh
	bench/noports.sh

bench-seed: labo
	bench/seed.sh

# N copies of the seed side by side (issue 14): make bench-copies [COPIES=15]
bench-copies: labo
	bench/copies.sh $(or $(COPIES),15)

bench-supervise: labo
	bench/supervise.sh

# labo deploy on a stand-in Swarm, its leader killed ROUNDS times (issue 15)
bench-deploy: labo
	bench/deploy.sh $(or $(ROUNDS),4)

bench-crash: labo
	bench/daemon-crash.sh

bench-link: labo $(TOOLS)
	bench/link.sh

bench-gate: labo $(TOOLS)
	bench/gate.sh

# the accuracy of every link setting over 10,000 datagrams, --verify, a
# seed's replay (issue 16): make bench-impair [ROUNDS=3]
bench-impair: labo $(TOOLS)
	flock /run/lock/labo-integration.lock bench/impair.sh $(or $(ROUNDS),3)

# labo capture's drops and cost (issue 16)
bench-capture: labo $(TOOLS)
	bench/capture.sh

bench-noports: labo
	bench/noports.sh

# labo pause / resume of a zk3 follower, both runtimes (issue 16):
# make bench-pause [ROUNDS=7]; under the integration tests' lock.
bench-pause: labo
	flock /run/lock/labo-integration.lock bench/pause.sh $(or $(ROUNDS),7)

# The seed's warm up before and after sshd (issue 12): BEFORE=path/to/a/labo
# built before it, e.g. of commit c1340f1 (bench/sshd.sh says how).
bench-sshd: labo
	@[ -n "$(BEFORE)" ] || { echo "make bench-sshd BEFORE=path/to/older/labo" >&2; exit 2; }
	bench/sshd.sh $(BEFORE) ./labo

# etcd3 beside zk3 (issue 13): up cold and warm, a leader kill to serving.
bench-kinds: labo
	bench/kinds.sh

# labo reset against labo down + labo up on the seed, both runtimes (issue 14).
bench-reset: labo
	bench/reset.sh

# No privilege needed. BEFORE=path/to/older/labo puts an older build beside.
bench-validate: labo
	bench/validate.sh

# clock skew per node (issue 16): make bench-clock [BEFORE=path/to/older/labo]
bench-clock: labo
	BEFORE=$(BEFORE) bench/clock.sh

# the linearizability checker (issue 17), no root: make bench-lin [SECONDS=10] [MIB=1024]
bench-lin: build/bench/linbench
	bench/lin.sh $(or $(SECONDS),10) $(or $(MIB),1024)

# scripts/install.sh says what goes where, and keeps a record of it for
# uninstall.
INSTALL_VARS = DESTDIR='$(DESTDIR)' BINDIR='$(BINDIR)' DATADIR='$(DATADIR)' MANDIR='$(MANDIR)' \
               DOCDIR='$(DOCDIR)' BASHCOMPDIR='$(BASHCOMPDIR)'
install: all
	@$(INSTALL_VARS) scripts/install.sh install

uninstall:
	@$(INSTALL_VARS) scripts/install.sh uninstall

clean:
	rm -rf build labo
