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
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
O ?= build
BIN ?= bin
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)

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

MODULES := chain tokenomics gpu_proofs consensus p2p rpc wallet node sim
# ember-cli's own command files (wallet/cli_*.c) link into it, not the library
CLI_SRCS := $(filter-out %_main.c,$(wildcard wallet/cli_*.c))
LIB_SRCS := $(filter-out %_main.c $(CLI_SRCS),$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB := $(O)/libember.a

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BIN)/tests/%)
BENCH_SRCS := $(wildcard bench/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

PROGS := $(BIN)/emberd $(BIN)/ember-cli $(BIN)/ember-sim
ifneq ($(BENCH_SRCS),)
PROGS += $(BIN)/ember-bench
endif

.PHONY: all deps run test unit bench asan fuzz cuda install clean
all: $(PROGS) $(TEST_BINS)

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

$(BIN)/ember-sim: $(O)/sim/ember_sim_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BIN)/ember-bench: $(BENCH_SRCS:%.c=$(O)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BIN)/tests/%: $(O)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $(CMOCKA_LIBS)

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
	BIN=build/asan/bin ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh

fuzz: deps
	sh tests/fuzz/run.sh

cuda:
	@if [ -n "$(NVCC)" ] && ls gpu_proofs/*.cu >/dev/null 2>&1; then \
	  mkdir -p $(O)/cuda && for f in gpu_proofs/*.cu; do \
	    $(NVCC) -std=c++17 -Iinclude -arch=sm_90 -c $$f -o $(O)/cuda/$$(basename $$f .cu).o || exit 1; done; \
	else echo "cuda: no nvcc or no .cu sources; skipped"; fi

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/emberd $(BIN)/ember-cli $(BIN)/ember-sim $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/include/ember
	install -m 0644 include/ember/*.h $(DESTDIR)$(PREFIX)/include/ember/

clean:
	rm -rf build bin

-include $(shell find $(O) -name '*.d' 2>/dev/null)
