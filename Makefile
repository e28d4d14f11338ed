# Ember - plain Makefile in the LMDB tradition: pkg-config for every
# library, warnings always on, -Werror in CI (WERROR=1), PREFIX/DESTDIR.
#
#   make            build bin/emberd, bin/ember-cli, bin/ember-sim, bin/ember-bench
#   make run        install missing packages, build, start a dev node
#   make test       install missing packages, build, run every test
#   make bench      run the benchmarks (BENCH=name to pick one)
#   make asan       build and test with AddressSanitizer + UBSan
#   make fuzz       build the fuzz targets (libFuzzer with clang, else
#                   corpus replay drivers) and run them briefly
#   make install    PREFIX=/usr/local DESTDIR= (programs, library, headers,
#                   explorer, man pages, example config, systemd unit)
#   make uninstall  the same PREFIX and DESTDIR: removes what install put

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
O ?= build
BIN ?= bin

# CUDA (optional, never required).  With nvcc, gpu_proofs/*.cu build into
# $(O)/cuda/ and link into ember-prover ahead of the library, whose
# gpu_proofs/cuda_stub.c they replace; NVCC= builds without.  The toolkit
# is the one nvcc really belongs to (links resolved: /usr/local/cuda-X.Y,
# not the /usr/local/cuda link, and never a CUDA_HOME from the environment,
# which may name another toolkit than the one the kernels are compiled
# with; make CUDA_HOME=DIR overrides).  Its runtime libraries are taken
# from lib64/, lib/ or targets/ARCH-linux/lib/ there (Debian's packages:
# the multiarch directory) and recorded with an rpath unless the
# directory is a system one, so ember-prover, installed or not, loads the
# runtime it was linked with.
# CUDA_ARCH: machine code for Ampere (A100), Ada (RTX 4090) and Hopper
# (H100, H200), and Hopper PTX that newer GPUs compile when loading.
ifeq ($(origin NVCC),undefined)
NVCC := $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
endif
CUDA_SRCS := $(wildcard gpu_proofs/*.cu)
CUDA_OBJS :=
CUDA_LIBS :=
ifneq ($(strip $(NVCC)),)
ifneq ($(CUDA_SRCS),)
CUDA_HOME := $(patsubst %/bin/nvcc,%,$(realpath $(shell command -v $(NVCC) 2>/dev/null)))
CUDA_TARGET := $(patsubst aarch64,sbsa,$(shell uname -m))-linux
CUDA_LIBDIR := $(if $(CUDA_HOME),$(firstword $(foreach d,$(CUDA_HOME)/lib64 \
	$(CUDA_HOME)/lib $(CUDA_HOME)/targets/$(CUDA_TARGET)/lib \
	$(CUDA_HOME)/lib/$(shell $(CC) -print-multiarch 2>/dev/null),\
	$(if $(wildcard $(d)/libcudart.so),$(d)))))
CUDA_RPATH := $(if $(filter /lib/% /usr/lib/%,$(CUDA_LIBDIR)),,-Wl,-rpath,$(CUDA_LIBDIR))
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_89,code=sm_89 \
	-gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
NVCCFLAGS ?= -O3
NVCC_WARN := -Xcompiler -Wall,-Wextra,-Wshadow
ifeq ($(WERROR),1)
NVCC_WARN += -Werror all-warnings -Xcompiler -Werror
endif
NVCCFLAGS_ALL = -std=c++17 $(NVCCFLAGS) $(CUDA_ARCH) $(NVCC_WARN) -Iinclude
# nvcc without the runtime libraries beside it (a partial toolkit) builds
# without CUDA rather than failing to link
ifneq ($(and $(CUDA_LIBDIR),$(wildcard $(CUDA_LIBDIR)/libcublasLt.so*)),)
CUDA_OBJS := $(CUDA_SRCS:gpu_proofs/%.cu=$(O)/cuda/%.o)
CUDA_LIBS := -L$(CUDA_LIBDIR) $(CUDA_RPATH) -lcublasLt -lcudart -lstdc++
endif
endif
endif

PKGS := libsecp256k1 libsodium lmdb libevent libevent_openssl libevent_pthreads openssl jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -pthread $(PKG_CFLAGS) $(EXTRA_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -pthread $(EXTRA_LDFLAGS) $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lm

MODULES := chain tokenomics gpu_proofs mempool consensus p2p rpc wallet node sim
# ember-cli's own command files (wallet/cli_*.c) link into it, not the library
CLI_SRCS := $(filter-out %_main.c,$(wildcard wallet/cli_*.c))
LIB_SRCS := $(filter-out %_main.c $(CLI_SRCS),$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB := $(O)/libember.a

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BIN)/tests/%)
TEST_DS := $(BIN)/tests/emberd-doublesign
BENCH_SRCS := $(wildcard bench/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

PROGS := $(BIN)/emberd $(BIN)/ember-cli $(BIN)/ember-sim $(BIN)/ember-prover
ifneq ($(BENCH_SRCS),)
PROGS += $(BIN)/ember-bench
endif

.PHONY: all deps run test unit bench asan fuzz cuda install uninstall clean
all: $(PROGS) $(TEST_BINS) $(TEST_DS)

deps:
	@sh scripts/deps.sh

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/emberd: $(O)/node/emberd_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BIN)/ember-cli: $(O)/wallet/cli_main.o $(CLI_SRCS:%.c=$(O)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# ember-prover: the CUDA back end (gpu_proofs/*.cu) links in when nvcc is
# found (CUDA_OBJS/CUDA_LIBS, set by the cuda rules); otherwise the stub in
# the library answers EMBER_PROOF_NO_CUDA.
$(BIN)/ember-prover: $(O)/gpu_proofs/ember_prover_main.o $(CUDA_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $(CUDA_LIBS)

$(BIN)/ember-sim: $(O)/sim/ember_sim_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# ember-bench measures the CUDA prover too, so it links it like ember-prover.
$(BIN)/ember-bench: $(BENCH_SRCS:%.c=$(O)/%.o) $(CUDA_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $(CUDA_LIBS)

$(BIN)/tests/%: $(O)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $(CMOCKA_LIBS)

# A test-only emberd whose validator signs a second, conflicting prevote
# beside each real one, past its signing guard (node/node_bft.c,
# EMBER_TEST_DOUBLE_SIGN): what tests/integration/bft_evidence.sh runs as
# the faulty validator.  Built only here, never installed.  Its node_bft
# object comes before the library, so the library's is not linked.
$(O)/tests/node_bft_doublesign.o: node/node_bft.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DEMBER_TEST_DOUBLE_SIGN -MMD -MP -c $< -o $@

$(TEST_DS): $(O)/node/emberd_main.o $(O)/tests/node_bft_doublesign.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

run: deps
	$(MAKE) $(PROGS)
	$(BIN)/emberd --dev --datadir ./data

test: deps
	$(MAKE) all
	BIN=$(BIN) sh tests/run.sh

unit: all
	BIN=$(BIN) sh tests/run.sh unit

bench: deps
	$(MAKE) $(BIN)/ember-bench $(BIN)/emberd
	$(BIN)/ember-bench $(BENCH)

asan: deps
	$(MAKE) O=build/asan BIN=build/asan/bin OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	@# walkthrough.sh runs the README's CPU prover for the h100 class against
	@# a 10 s challenge deadline; ASan makes its int8 GEMM ~40x slower (37 s
	@# here), past any deadline the README uses.  Every code path it drives
	@# runs under ASan in market.sh and proofs.sh.
	BIN=build/asan/bin ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  NOT_RUN="walkthrough.sh" \
	  NOT_RUN_WHY="the CPU prover under ASan is ~40x slower than the README's challenge deadline allows" \
	  sh tests/run.sh

fuzz: deps
	sh tests/fuzz/run.sh

$(O)/cuda/%.o: gpu_proofs/%.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS_ALL) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

cuda: $(CUDA_OBJS)
ifeq ($(CUDA_OBJS),)
	@echo "cuda: no nvcc or no .cu sources; skipped"
endif

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs as built in
# $(BIN) and the library in $(O) (built first only when missing or out of
# date, so "make O=X BIN=Y ...; make install O=X BIN=Y" installs what was
# built and tested), headers, the explorer, man pages, an example config
# and the systemd unit:
#
#   BINDIR      emberd, ember-cli, ember-prover, ember-sim
#   LIBDIR      libember.a          INCLUDEDIR/ember   the public headers
#   DATADIR/explorer                index.html, app.js, style.css
#   MANDIR/man1 one page a program  DOCDIR             ember.conf.example
#   SYSTEMD_UNITDIR/emberd.service  ExecStart=BINDIR/emberd
#
# emberd finds the explorer at BINDIR/../share/explorer (rpc/explorer.c),
# so BINDIR and DATADIR move together ($EMBER_SHARE_DIR names another
# place).  The unit goes to PREFIX/lib/systemd/system when PREFIX is /usr
# or /usr/local, both on systemd's unit path; under any other PREFIX
# (/opt/ember) systemd would not see it there, so it goes to DOCDIR, an
# example to copy to /etc/systemd/system.  Each directory can be given on
# the command line.  make uninstall removes what make install put there.
INSTALL ?= install
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
DATADIR = $(PREFIX)/share
MANDIR = $(DATADIR)/man
DOCDIR = $(DATADIR)/doc/ember
ifneq ($(filter /usr /usr/ /usr/local /usr/local/,$(PREFIX)),)
SYSTEMD_UNITDIR = $(PREFIX)/lib/systemd/system
else
SYSTEMD_UNITDIR = $(DOCDIR)
endif
INSTALL_PROGS := emberd ember-cli ember-prover ember-sim
INSTALL_HDRS := $(notdir $(wildcard include/ember/*.h))
INSTALL_EXPLORER := $(notdir $(wildcard share/explorer/*))
INSTALL_MAN1 := $(INSTALL_PROGS:%=%.1)

install: $(INSTALL_PROGS:%=$(BIN)/%) $(LIB)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(INCLUDEDIR)/ember $(DESTDIR)$(DATADIR)/explorer \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSTEMD_UNITDIR)
	$(INSTALL) -m 0755 $(INSTALL_PROGS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0644 $(INSTALL_HDRS:%=include/ember/%) $(DESTDIR)$(INCLUDEDIR)/ember/
	$(INSTALL) -m 0644 $(INSTALL_EXPLORER:%=share/explorer/%) $(DESTDIR)$(DATADIR)/explorer/
	$(INSTALL) -m 0644 $(INSTALL_MAN1:%=docs/man/%) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 docs/ember.conf.example $(DESTDIR)$(DOCDIR)/
	sed 's|@bindir@|$(BINDIR)|g' contrib/emberd.service > $(DESTDIR)$(SYSTEMD_UNITDIR)/emberd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/emberd.service

# Only files (and the directories that are Ember's alone, when empty):
# bin/, lib/, share/man/man1/ ... are shared with everything else.
uninstall:
	rm -f $(INSTALL_PROGS:%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(LIBDIR)/libember.a \
	  $(INSTALL_HDRS:%=$(DESTDIR)$(INCLUDEDIR)/ember/%) \
	  $(INSTALL_EXPLORER:%=$(DESTDIR)$(DATADIR)/explorer/%) \
	  $(INSTALL_MAN1:%=$(DESTDIR)$(MANDIR)/man1/%) \
	  $(DESTDIR)$(DOCDIR)/ember.conf.example $(DESTDIR)$(SYSTEMD_UNITDIR)/emberd.service
	rmdir $(DESTDIR)$(INCLUDEDIR)/ember $(DESTDIR)$(DATADIR)/explorer \
	  $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build bin

-include $(shell find $(O) -name '*.d' 2>/dev/null)
