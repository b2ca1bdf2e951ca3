# rjh: reverse SSH jumphost. `make` builds everything into build/.
# See README.md for the targets; `make help` lists them.

CC      ?= cc
PREFIX  ?= /usr
DESTDIR ?=
SYSCONFDIR ?= /etc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBDIR  ?= /lib/$(MULTIARCH)
PAMDIR  ?= $(LIBDIR)/security
LIBEXECDIR ?= $(PREFIX)/libexec/rjh
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

B := build
# V=1 shows the commands.
Q := $(if $(V),,@)
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wcast-qual -Wwrite-strings -Wnull-dereference
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -fPIC $(WARN)
override CPPFLAGS += -D_GNU_SOURCE -Ilib -I$(B)/gen
LDHARDEN := -Wl,-z,relro -Wl,-z,now
LIBS := -lsqlite3 -lcrypto -laudit
ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(wildcard lib/*.c)
SQL     := $(sort $(wildcard sql/[0-9][0-9][0-9]-*.sql))
ADMIN_SRC := $(wildcard rjh-admin/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/migrations.o
ALIB_OBJ := $(LIB_SRC:%.c=$(B)/asan/%.o) $(B)/asan/gen/migrations.o
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
AUNITS   := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)

PROGRAMS := $(B)/rjh-admin

.PHONY: all deps check unit unit-asan cli bench install format help clean
all: $(PROGRAMS) $(TOOLS)

help:
	@echo "make            build everything into build/"
	@echo "make deps       install missing Debian packages (idempotent, needs root)"
	@echo "make check      all tests: unit, unit under ASan+UBSan, CLI, audit"
	@echo "make bench      benchmarks, printed as a table"
	@echo "make install    DESTDIR=... PREFIX=/usr: the Debian layout"
	@echo "make format     apply .clang-format"

deps:
	@tests/deps.sh

# The migrations are compiled in, so a binary always knows its own schema.
$(B)/gen/migrations.c: $(SQL) tests/gen-migrations.sh
	@mkdir -p $(@D)
	$(Q)tests/gen-migrations.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -c $< -o $@
$(B)/asan/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -c $< -o $@

$(B)/obj/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -MMD -c $< -o $@
$(B)/asan/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -c $< -o $@

$(B)/librjh.a: $(LIB_OBJ)
	$(Q)$(AR) rcs $@ $^
$(B)/asan/librjh.a: $(ALIB_OBJ)
	$(Q)$(AR) rcs $@ $^

$(B)/rjh-admin: $(ADMIN_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS) -ljansson

$(B)/tools/%: tests/tools/%.c $(B)/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka
$(B)/asan/tests/%: tests/unit/%.c $(B)/asan/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -o $@ $^ $(LIBS) -lcmocka

unit: $(UNITS)
	@tests/run-units.sh $(UNITS)
unit-asan: $(AUNITS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-units.sh $(AUNITS)
cli: all
	@tests/cli/run.sh

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit unit-asan cli

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

install: all
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/rjh
	install -m 0755 $(B)/rjh-admin $(DESTDIR)$(SBINDIR)/rjh-admin
	install -m 0644 doc/rjh-admin.8 $(DESTDIR)$(MANDIR)/man8/rjh-admin.8
	install -m 0644 doc/rjh.conf $(DESTDIR)$(SYSCONFDIR)/rjh/rjh.conf.sample
	test -e $(DESTDIR)$(SYSCONFDIR)/rjh/rjh.conf || \
		install -m 0644 doc/rjh.conf $(DESTDIR)$(SYSCONFDIR)/rjh/rjh.conf

format:
	clang-format -i $(wildcard lib/*.[ch] rjh-admin/*.[ch] tests/unit/*.c tests/tools/*.c)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
