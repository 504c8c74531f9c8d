# OAS Twin — one non-recursive Makefile.
#   make            build build/oastwin
#   make demo       run the default scenario (scenarios/default.yaml) -> build/demo.h5
#   make check      build and run every test (Check suites, scenario tests, bad-input corpus)
#   make bench      run the benchmarks and print their figures (not a test)
#   make SAN=address,undefined check   the same tests under sanitizers (objects in build-san/)
#   make fuzz       run every libFuzzer target FUZZ_SECONDS (docs/fuzzing.md); make valgrind: memcheck
# Missing Debian packages are installed by tools/deps.sh before anything is compiled.

ifeq ($(filter clean distclean help,$(MAKECMDGOALS)),)
  DEPS_STATUS := $(shell sh tools/deps.sh 1>&2 && echo ok)
  ifneq ($(DEPS_STATUS),ok)
    $(error dependencies missing and could not be installed; see the message above)
  endif
endif

ifneq ($(FUZZ),)
  BUILD ?= build-fuzz
  CC := clang
  SAN := address,undefined
else ifeq ($(SAN),)
  BUILD ?= build
else
  BUILD ?= build-san
endif

CC      ?= cc
PKGS    := simgrid gsl yaml-0.1 hdf5 check
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs simgrid gsl yaml-0.1 hdf5 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wwrite-strings -Wno-format-nonliteral
OPT     ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -I. -Isim -Imodels $(PKG_CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lm
ifneq ($(WERROR),)
  CFLAGS_ALL += -Werror
endif
ifneq ($(SAN),)
  CFLAGS_ALL += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS_ALL += -fsanitize=$(SAN)
endif
ifneq ($(FUZZ),)
  CFLAGS_ALL += -fsanitize=fuzzer-no-link
endif
CFLAGS_ALL += $(CFLAGS)
LDFLAGS_ALL += $(LDFLAGS)

LIB_SRC  := $(sort $(wildcard sim/*.c models/*/*.c fuzz/fuzz_*.c))
LIB_SRC  := $(filter-out sim/main.c sim/sweep_mpi.c,$(LIB_SRC))
# The SVG charts are shared by oastwin-report and `oastwin scorecard --html`: they live in the library.
LIB_SRC  += analysis/svg.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/sim/main.o
TEST_SRC := $(sort $(wildcard tests/check_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
REPORT_BIN := $(BUILD)/oastwin-report
REPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out analysis/svg.c,$(sort $(wildcard analysis/*.c))))
# The MPI sweep driver links OpenMPI and never SimGrid (libsimgrid exports MPI_* too): docs/sweeps.md.
MPI_BIN    := $(BUILD)/oastwin-mpi
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)

.PHONY: all demo check unit-tests scenario-tests bench clean distclean help docs fuzz fuzz-run scorecard valgrind
all: $(BUILD)/oastwin $(REPORT_BIN) $(MPI_BIN)

# Rebuild everything when the flags change.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW := $(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(LDLIBS_ALL)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(FLAGS_NOW)' ]; then printf '%s' '$(FLAGS_NOW)' > $@; fi
FORCE:
.SECONDARY:

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/liboastwin.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/oastwin: $(MAIN_OBJ) $(BUILD)/liboastwin.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(REPORT_BIN): $(REPORT_OBJ) $(BUILD)/liboastwin.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/sim/sweep_mpi.o: sim/sweep_mpi.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -MMD -MP -c $< -o $@

$(MPI_BIN): $(BUILD)/sim/sweep_mpi.o $(BUILD)/sim/sweep_exec.o $(BUILD)/sim/diag.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MPI_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/liboastwin.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL) $(CHECK_LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/liboastwin.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

demo: $(BUILD)/oastwin $(REPORT_BIN)
	$(BUILD)/oastwin run scenarios/default.yaml -o $(BUILD)/demo.h5 --quiet
	$(REPORT_BIN) $(BUILD)/demo.h5

# Under sanitizers SimGrid must use thread contexts (its own stack switching confuses ASan).
ifneq ($(SAN),)
  export OASTWIN_SIMGRID_CFG := contexts/factory:thread
  export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp
endif

check: unit-tests scenario-tests

unit-tests: $(TEST_BIN) $(BUILD)/oastwin
	@fail=0; for t in $(TEST_BIN); do \
	  OASTWIN_ROOT=$(CURDIR) OASTWIN=$(abspath $(BUILD))/oastwin $$t || fail=1; \
	done; exit $$fail

scenario-tests: $(BUILD)/oastwin $(REPORT_BIN) $(MPI_BIN)
	@OASTWIN=$(BUILD)/oastwin REPORT=$(REPORT_BIN) BUILD=$(BUILD) sh tests/scenario_tests.sh

bench: $(BUILD)/oastwin $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/run.sh

# The OAS scorecard of every design in scenarios/designs/ (docs/scorecard.md).
SCORECARD_JOBS ?= 2
scorecard: $(BUILD)/oastwin
	$(BUILD)/oastwin scorecard scenarios/designs/*.yaml -j $(SCORECARD_JOBS) -o $(BUILD)/scorecard.h5 \
	  --html $(BUILD)/scorecard.html

docs: $(BUILD)/oastwin
	$(BUILD)/oastwin schema --markdown > docs/scenario-reference.md

# Fuzzing (clang libFuzzer + ASan/UBSan, objects in build-fuzz/): every target runs for
# FUZZ_SECONDS (default 60; the hardening runs use 600), seeded from fuzz/corpus/<target>/; new
# inputs go to build-fuzz/corpus/<target>/, crashes to build-fuzz/crashes/<target>/. A crash
# found is copied into fuzz/regressions/<target>/, which `make check` replays.
FUZZ_TARGETS := $(filter-out %_common,$(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/corpus/$$t $(BUILD)/crashes/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  OASTWIN_PRESETS=$(CURDIR)/scenarios/presets $(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/crashes/$$t/ $(BUILD)/corpus/$$t fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1; \
	  rc=$$?; grep -E '^Done|^stat::(number_of_executed_units|new_units_added)' $(BUILD)/fuzz/$$t.log; \
	  if [ $$rc -ne 0 ]; then tail -n 30 $(BUILD)/fuzz/$$t.log; \
	    echo "fuzz: $$t failed (exit $$rc): the input is in $(BUILD)/crashes/$$t/; copy it to fuzz/regressions/$$t/"; \
	    exit 1; fi; \
	done

$(BUILD)/fuzz/fuzz-%: fuzz/driver.c $(BUILD)/liboastwin.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -DFUZZ_TARGET=fuzz_one_$* -o $@ $< $(BUILD)/liboastwin.a $(LDLIBS_ALL)

# Valgrind memcheck of the demo and of one small scenario per workload family (flow dp_allreduce,
# training, inference): any memory error or leak fails. About 80 s of CPU, 2 min of wall time on a
# loaded 2-core machine (the demo is most of it); not part of `make check`. Needs the plain build
# (not SAN). The one reachable block it shows is ours: the interned file names, kept by design.
VALGRIND_SCENARIOS := scenarios/default.yaml scenarios/tests/small.yaml scenarios/tests/training-small.yaml \
                      tests/data/inference-tiny.yaml
valgrind: $(BUILD)/oastwin
	@for s in $(VALGRIND_SCENARIOS); do \
	  echo "valgrind: $$s"; \
	  valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=all \
	    --errors-for-leak-kinds=definite,indirect,possible --suppressions=tests/valgrind.supp \
	    $(BUILD)/oastwin run $$s -o $(BUILD)/valgrind.h5 -q || exit 1; \
	done; rm -f $(BUILD)/valgrind.h5

clean:
	rm -rf build build-san build-fuzz

distclean: clean

help:
	@sed -n '2,8p' Makefile

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
