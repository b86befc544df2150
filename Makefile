# elfemu: every target does its own set-up on a fresh machine.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
ELFEMU   := $(BIN)/elfemu
APT_PKGS := gcc musl-tools busybox-static bash-static strace gdb qemu-user binutils tmux chromium cmake patch
STAMP    := $(VENV)/.installed
VDSO     := emulator/image/vdso/vdso.so
VDSO_CFLAGS := -shared -nostdlib -fPIC -O2 -fno-asynchronous-unwind-tables -fno-stack-protector -Wall \
	-Wl,-T,emulator/image/vdso/vdso.lds -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 \
	-Wl,-z,max-page-size=4096 -Wl,--build-id=none

.PHONY: install deps build-deps libunicorn samples demo test fuzz bench stress-threads lint docs clean

# What building elfemu's libunicorn needs (installed only when missing): cmake, a C compiler, patch.
build-deps:
	@missing=""; \
	for t in cmake:cmake cc:gcc patch:patch; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing || \
	  echo "could not install$$missing: elfemu will run on the unicorn wheel's libunicorn"; \
	fi

# System tools the samples and the differential tests need (installed only when missing).
deps:
	@missing=""; \
	for t in gcc:gcc musl-gcc:musl-tools busybox:busybox-static bash-static:bash-static \
	         strace:strace gdb:gdb qemu-x86_64:qemu-user objcopy:binutils tmux:tmux chromium:chromium \
	         g++:g++ go:golang-go; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# Compiled bytecode, even where PYTHONDONTWRITEBYTECODE is set: without it every start of
# elfemu compiles its modules again (~40 ms of the ~60 ms start-up).
install: $(STAMP) $(VDSO) libunicorn
	@$(BIN)/python -m compileall -q emulator syscalls

# elfemu's own libunicorn (emulator/machine/libunicorn): the pinned sdist, elfemu's patches, x86 only.
# Cached under .venv/libunicorn/<hash of pin and patches>: a no-op unless a patch or the pin changed.
libunicorn: $(STAMP) build-deps
	@$(BIN)/python emulator/machine/libunicorn/build.py --venv $(VENV)

samples: deps $(VDSO)
	$(MAKE) -s -C samples

# The guests' vDSO (emulator/image/vdso): without gcc elfemu runs without one, as it did before.
$(VDSO): emulator/image/vdso/vdso.c emulator/image/vdso/vdso.lds
	@if command -v gcc >/dev/null 2>&1; then gcc $(VDSO_CFLAGS) -o $@ emulator/image/vdso/vdso.c; \
	else echo "no gcc: elfemu runs without a vDSO"; fi

demo: install samples
	@echo '$$ elfemu run samples/build/hello178'
	@$(ELFEMU) run samples/build/hello178
	@echo '$$ elfemu trace samples/build/hello178'
	@$(ELFEMU) trace samples/build/hello178

test: install samples
	$(BIN)/ruff check emulator syscalls tests
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

# docs/syscalls.md is generated from the table's rows (tests/test_syscalls_list.py keeps it in sync).
docs: install
	$(ELFEMU) syscalls --markdown > docs/syscalls.md
# Guest-argument fuzzing (tests/progs/argfuzz.c, tests/test_argfuzz.py): `make fuzz SEED=7`.
SEED  ?= 1
CALLS ?= 200000
fuzz: install
	ARGFUZZ_SEED=$(SEED) ARGFUZZ_CALLS=$(CALLS) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_argfuzz.py

bench: install samples
	$(BIN)/python -m tests.bench

# Minutes long: the full 8 x 1,000,000 thread counters and 50 runs in a row (tests/stress_threads.py).
stress-threads: install samples
	$(BIN)/python -m tests.stress_threads

lint: install
	$(BIN)/ruff check emulator syscalls tests

clean:
	rm -rf $(VENV) samples/build $(VDSO)
