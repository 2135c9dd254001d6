# dfx — build, examples and tests. The two commands a newcomer needs:
#   make quickstart   build the library and run the C quickstart against a local sandbox
#   make test         run every test: Rust, C (shared, static, valgrind), Python
CC      ?= cc
PROFILE ?= debug
LIBDIR  := target/$(PROFILE)
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror -pedantic -Iinclude -Itests/c
# What a static libdfx.a needs from the system (cargo rustc -- --print native-static-libs).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: quickstart test header lib clean

quickstart:
	scripts/quickstart.sh

test:
	scripts/test.sh

# Refresh the committed include/dfx.h after changing src/ffi.
header:
	DFX_WRITE_HEADER=1 cargo build -p dfx

lib:
	cargo build -p dfx -p dfx-sandbox

build:
	mkdir -p build

build/quickstart: examples/quickstart.c include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CC) $(CFLAGS) $< -o $@ -L$(LIBDIR) -ldfx

build/async_renews: examples/async_renews.c include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CC) $(CFLAGS) $< -o $@ -L$(LIBDIR) -ldfx -lpthread

build/%: tests/c/%.c tests/c/sandbox_ctl.h tests/c/check.h include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CC) $(CFLAGS) $< -o $@ -L$(LIBDIR) -ldfx -lpthread

build/%-asan: tests/c/%.c tests/c/sandbox_ctl.h tests/c/check.h include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CC) $(CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer $< -o $@ -L$(LIBDIR) -ldfx -lpthread

build/%-static: tests/c/%.c tests/c/sandbox_ctl.h tests/c/check.h include/dfx.h $(LIBDIR)/libdfx.a | build
	$(CC) $(CFLAGS) $< -o $@ $(LIBDIR)/libdfx.a $(STATIC_LIBS)

build/quickstart-cxx: examples/quickstart.c include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CXX) -x c++ -std=c++17 -g -Wall -Wextra -Werror -Iinclude $< -o $@ -L$(LIBDIR) -ldfx

clean:
	rm -rf build
	cargo clean
