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

# libdfx.so's SONAME is libdfx.so.MAJOR (build.rs): programs linked with
# -ldfx look for that name at run time. build.rs makes the link in target/;
# this remakes it should it have been removed since (cargo does not rerun
# build.rs for that). Every program here is built after `build`, hence the
# order-only hook.
DFX_MAJOR := $(shell sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -n 1)
$(LIBDIR)/libdfx.so.$(DFX_MAJOR):
	ln -sf libdfx.so $@
build: | $(LIBDIR)/libdfx.so.$(DFX_MAJOR)

build/quickstart: examples/quickstart.c include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CC) $(CFLAGS) $< -o $@ -L$(LIBDIR) -ldfx

build/measurement: examples/measurement.c include/dfx.h $(LIBDIR)/libdfx.so | build
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

# C++: the dfx.hpp example and tests, as strict as the C ones.
CXXFLAGS_STRICT := -std=c++17 -g -O1 -Wall -Wextra -Werror -pedantic -Iinclude

build/quickstart-cpp: examples/cpp/quickstart.cpp include/dfx.hpp include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CXX) $(CXXFLAGS_STRICT) $< -o $@ -L$(LIBDIR) -ldfx

build/test_dfx_hpp: tests/cpp/test_dfx_hpp.cpp include/dfx.hpp include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CXX) $(CXXFLAGS_STRICT) $< -o $@ -L$(LIBDIR) -ldfx

build/test_stream_hpp: tests/cpp/test_stream_hpp.cpp include/dfx.hpp include/dfx.h $(LIBDIR)/libdfx.so | build
	$(CXX) $(CXXFLAGS_STRICT) $< -o $@ -L$(LIBDIR) -ldfx -lpthread

# Install headers, libraries, dfx.pc and the CMake package into PREFIX
# (release build; see docs/install.md). DESTDIR stages for packagers.
PREFIX ?= /usr/local
INSTALL_PROFILE ?= release
install:
	scripts/install.sh --prefix "$(PREFIX)" --profile $(INSTALL_PROFILE) $(if $(LIBDIR_INSTALL),--libdir "$(LIBDIR_INSTALL)") \
	    $(if $(DESTDIR),--destdir "$(DESTDIR)")

# Kiosk and phone builds (see docs/cross-builds.md); not part of `make test`.
cross:
	scripts/cross-build.sh $(CROSS_TARGETS)

.PHONY: install cross

clean:
	rm -rf build
	cargo clean
