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

# The version every program prints (--version): the top entry of
# debian/changelog when there is one, else 0.1.0; built from a git checkout,
# +git<hash> and .dirty for uncommitted changes are appended, so two
# different builds never say the same. Packaging gives it whole:
# make RJH_VERSION=$(DEB_VERSION) (or in the environment), and then nothing
# is appended.
ifeq ($(filter command line environment,$(origin RJH_VERSION)),)
RJH_VERSION := $(or $(shell test -f debian/changelog && \
	dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null),0.1.0)
GIT_HASH := $(shell git rev-parse --short HEAD 2>/dev/null)
ifneq ($(GIT_HASH),)
RJH_VERSION := $(RJH_VERSION)+git$(GIT_HASH)$(if $(shell git status --porcelain 2>/dev/null),.dirty)
endif
endif
# V=1 shows the commands.
Q := $(if $(V),,@)
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wcast-qual -Wwrite-strings -Wnull-dereference
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -fPIC $(WARN)
override CPPFLAGS += -D_GNU_SOURCE -Ilib -I$(B)/gen -I/usr/include/postgresql
LDHARDEN := -Wl,-z,relro -Wl,-z,now
LIBS := -lsqlite3 -lcrypto -laudit
ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(wildcard lib/*.c)
SQL     := $(sort $(wildcard sql/[0-9][0-9][0-9]-*.sql))
ADMIN_SRC := $(wildcard rjh-admin/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

PG_SQL  := $(sort $(wildcard sql/pg/[0-9][0-9][0-9]-*.sql))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/migrations.o $(B)/obj/gen/pg_migrations.o
ALIB_OBJ := $(LIB_SRC:%.c=$(B)/asan/%.o) $(B)/asan/gen/migrations.o $(B)/asan/gen/pg_migrations.o
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
AUNITS   := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_SECONDS ?= 10

PROGRAMS := $(B)/rjh-admin $(B)/libnss_rjh.so.2 $(B)/rjh-authorized-keys $(B)/pam_rjh.so \
	$(B)/rjh-connect $(B)/rjh-sync
AKC_SRC := $(wildcard rjh-authorized-keys/*.c)
PAM_SRC := $(wildcard pam_rjh/*.c)
CONNECT_SRC := $(wildcard rjh-connect/*.c)
SYNC_SRC := $(wildcard rjh-sync/*.c)

# RJH_VERSION reaches sub-makes (make check) as it was decided here.
export RJH_VERSION

.PHONY: FORCE all programs deps check clang-check analyze unit unit-bins unit-asan cli fault e2e cluster cluster-harness demo-cluster deb deb-check fuzz selinux bench demo install format format-check help clean
all: $(PROGRAMS) $(TOOLS) $(B)/tools/libfault.so $(B)/sshd-rjh.conf $(B)/rjh-host
# What is installed (make install, the Debian packages), without the test tools.
programs: $(PROGRAMS) $(B)/sshd-rjh.conf $(B)/rjh-host

help:
	@echo "make            build everything into build/"
	@echo "make deps       install missing Debian packages (idempotent, needs root)"
	@echo "make check      every check and test (README: format-check, clang, analyzer first)"
	@echo "make clang-check  build everything with clang -Werror into build/clang"
	@echo "make analyze    gcc -fanalyzer over lib/ and the programs, -Werror"
	@echo "make fault      fault injection alone (tests/cli/t_fault.sh, also part of make cli)"
	@echo "make fuzz       the libFuzzer harnesses, FUZZ_SECONDS (10) each"
	@echo "make e2e        the end-to-end tests against a real sshd"
	@echo "make cluster    several jumphosts: Patroni, etcd, failovers, partitions"
	@echo "make selinux    build selinux/rjh.pp, check it in a temporary policy store"
	@echo "make demo       a jumphost, three hosts behind NAT, reached by name"
	@echo "make demo-cluster  three jumphosts on PostgreSQL under Patroni; one dies, the leader dies"
	@echo "make bench      benchmarks, printed as a table"
	@echo "make install    DESTDIR=... PREFIX=/usr: the Debian layout"
	@echo "make deb        the Debian packages into build/deb/pkgs, checked by lintian"
	@echo "make deb-check  lintian, piuparts, install/reboot/upgrade/remove/purge, booted"
	@echo "make format     apply .clang-format to every C directory"
	@echo "make format-check  fail, naming the files, where make format would change something"

deps:
	@tests/deps.sh

# The migrations are compiled in, so a binary always knows its own schema.
$(B)/gen/migrations.c: $(SQL) build-aux/gen-migrations.sh
	@mkdir -p $(@D)
	$(Q)build-aux/gen-migrations.sh $(SQL) > $@.tmp && mv $@.tmp $@

# PostgreSQL's (store = postgresql), applied by rjh-admin migrate.
$(B)/gen/pg_migrations.c: $(PG_SQL) build-aux/gen-migrations.sh
	@mkdir -p $(@D)
	$(Q)build-aux/gen-migrations.sh -p pg $(PG_SQL) > $@.tmp && mv $@.tmp $@

# The schema number alone, for the programs that do not link SQLite.
$(B)/gen/schema.h: $(SQL) build-aux/gen-migrations.sh
	@mkdir -p $(@D)
	$(Q)build-aux/gen-migrations.sh -H $(SQL) > $@.tmp && mv $@.tmp $@

# Rewritten only when the version changes, so that only then are the
# objects that print it rebuilt.
$(B)/gen/version.h: FORCE
	@mkdir -p $(@D)
	$(Q)printf '#define RJH_VERSION "%s"\n' '$(subst ','\'',$(RJH_VERSION))' > $@.tmp && \
		if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
VERSIONED := rjh-admin/main rjh-authorized-keys/main rjh-connect/main rjh-sync/main
$(VERSIONED:%=$(B)/obj/%.o): $(B)/gen/version.h $(B)/gen/schema.h
FORCE:

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -c $< -o $@
$(B)/asan/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -c $< -o $@

# Every object depends on the Makefile, so a change of flags (compile or
# link) rebuilds the objects and relinks everything made from them.
$(B)/obj/%.o: %.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) -MMD -c $< -o $@
$(B)/asan/%.o: %.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -c $< -o $@

$(B)/librjh.a: $(LIB_OBJ)
	$(Q)$(AR) rcs $@ $^
$(B)/asan/librjh.a: $(ALIB_OBJ)
	$(Q)$(AR) rcs $@ $^

# rjh-admin names the installed paths (sshd-config, doctor): the ones make install uses.
$(B)/obj/rjh-admin/%.o: override CPPFLAGS += -DRJH_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DRJH_LIBDIR='"$(LIBDIR)"' -DRJH_PAMDIR='"$(PAMDIR)"'

$(B)/rjh-admin: $(ADMIN_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS) -ljansson -lpq

# The sshd drop-in for the default configuration (a config file that does not
# exist means every default), shipped as /etc/ssh/sshd_config.d/rjh.conf.
$(B)/sshd-rjh.conf: $(B)/rjh-admin
	$(Q)$(B)/rjh-admin -c $(SYSCONFDIR)/rjh/.rjh-defaults sshd-config > $@.tmp && mv $@.tmp $@

# The version the build decided (version.h changes with it), not asked of a binary.
$(B)/rjh-host: rjh-host/rjh-host $(B)/gen/version.h
	$(Q)sed 's|@VERSION@|$(subst |,,$(subst ','\'',$(RJH_VERSION)))|' $< > $@.tmp && \
		chmod 0755 $@.tmp && mv $@.tmp $@

# The key helper links libc only (it reads the login snapshot): it runs twice per login.
$(B)/rjh-authorized-keys: $(AKC_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -Wl,--as-needed -o $@ $^

# rjh-connect is installed setuid root (rjh-connect(8)); it links no crypto.
$(B)/rjh-connect: $(CONNECT_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -Wl,--as-needed -o $@ $^ -laudit

# The jumphost's daemon for store = postgresql: the only program besides rjh-admin with libpq.
$(B)/rjh-sync: $(SYNC_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -Wl,--as-needed -o $@ $^ $(LIBS) -lpq

# The PAM module: only pam_sm_* is exported (pam_rjh/pam_rjh.map); libcrypto
# fingerprints the certificates it checks (sshd links it anyway). NODELETE:
# pam_end's dlclose leaves it and libsqlite3 mapped until the process exits.
# sshd's monitor exits right after pam_end; unmapping both first cost about
# 3.5 ms of CPU per login with 200 logins at once (pam-run, perf stat), and a
# long-lived PAM user never unloads libsqlite3's global state mid-run.
$(B)/pam_rjh.so: $(PAM_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a pam_rjh/pam_rjh.map
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -shared -Wl,--version-script=pam_rjh/pam_rjh.map \
		-Wl,-z,nodelete -Wl,--no-undefined -o $@ $(PAM_SRC:%.c=$(B)/obj/%.o) $(B)/librjh.a \
		-lsqlite3 -lcrypto -laudit -lpam

# The NSS module: only _nss_rjh_* is exported (nss_rjh/nss_rjh.map).
$(B)/libnss_rjh.so.2: $(B)/obj/nss_rjh/nss_rjh.o $(B)/librjh.a nss_rjh/nss_rjh.map
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -shared -Wl,-soname,libnss_rjh.so.2 \
		-Wl,--version-script=nss_rjh/nss_rjh.map -Wl,--no-undefined -o $@ \
		$(B)/obj/nss_rjh/nss_rjh.o $(B)/librjh.a -lpthread

$(B)/tools/%: tests/tools/%.c $(B)/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS)

# Drives a PAM service through real libpam, as sshd would (tests/cli/t_pam.sh).
$(B)/tools/pam-run: tests/tools/pam-run.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(LDHARDEN) -o $@ $< -lpam

# The fault injection shim (tests/cli/t_fault.sh), LD_PRELOADed into the
# real programs. No _FORTIFY_SOURCE: it defines open() itself.
$(B)/tools/libfault.so: tests/fault/fault.c Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -U_FORTIFY_SOURCE $(LDHARDEN) -shared -o $@ $< -ldl

# The tests' /dev/log (tests/e2e/lib.sh, tests/devlog.sh) needs libc only.
$(B)/tools/syslog-sink: tests/tools/syslog-sink.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(LDHARDEN) -o $@ $<

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(B)/librjh.a $(LIBS) -lcmocka
$(B)/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/asan/librjh.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(ASAN) -o $@ $< $(B)/asan/librjh.a $(LIBS) -lcmocka

unit-bins: $(UNITS)
unit: $(UNITS)
	@tests/run-units.sh $(UNITS)
unit-asan: $(AUNITS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-units.sh $(AUNITS)
cli: all
	@tests/cli/run.sh
# One failed malloc/open/mmap/SQLite call at a time on every login path.
fault: all
	@bash tests/cli/t_fault.sh

# The end-to-end harness: real sshd, hosts in network namespaces (tests/e2e/).
e2e: all
	@tests/e2e/run.sh

# A jumphost on loopback, three hosts behind NAT, reached by name.
demo: deps
	@$(MAKE) --no-print-directory all
	@tests/e2e/demo.sh

# Three jumphosts on one registry in PostgreSQL under Patroni, hosts behind
# NAT with a tunnel to each, a client; a jumphost and the database leader die.
demo-cluster: deps
	@$(MAKE) --no-print-directory all
	@tests/cluster/demo.sh

# A second compiler: everything, unit tests included, built by clang with the
# same -Werror flags into $(B)/clang (make check builds it after gcc's).
clang-check:
	@$(MAKE) --no-print-directory B=$(B)/clang CC=clang all unit-bins

# gcc -fanalyzer over lib/ and every program and module, -Werror, one stamp
# per file in $(B)/analyze. About 32 s on 2 cores (make -j2), 50 s on one, so
# make check runs it. Five files turn off one analyzer warning each, a false
# positive of gcc 12's analyzer (re-check these when gcc changes):
#  lib/name.c, rjh-admin/cmd_client.c, rjh-sync/main.c (malloc-leak): a strdup
#    stored into an array that was realloc'ed (held_now in rjh-sync); the
#    analyzer loses the store and calls it a leak.
#  lib/spool_drain.c (null-argument): collect_file passes &buf to util_buf_put
#    (const void *), and the analyzer assumes buf may come back NULL.
#  rjh-admin/common.c (null-dereference): admin_find_cmd(a->cmd) cannot fail
#    in admin_usage/admin_help, since main() sets a->cmd to a name it found.
ANALYZE_CC ?= gcc
ANALYZE_SRC := $(LIB_SRC) $(ADMIN_SRC) $(PAM_SRC) nss_rjh/nss_rjh.c $(AKC_SRC) $(CONNECT_SRC) \
	$(SYNC_SRC)
$(B)/analyze/lib/name.ok $(B)/analyze/rjh-admin/cmd_client.ok $(B)/analyze/rjh-sync/main.ok: \
	ANALYZE_OFF := -Wno-analyzer-malloc-leak
$(B)/analyze/lib/spool_drain.ok: ANALYZE_OFF := -Wno-analyzer-null-argument
$(B)/analyze/rjh-admin/common.ok: ANALYZE_OFF := -Wno-analyzer-null-dereference
$(B)/analyze/%.ok: %.c $(wildcard lib/*.h) Makefile | $(B)/gen/version.h $(B)/gen/schema.h
	@mkdir -p $(@D)
	$(Q)$(ANALYZE_CC) $(CPPFLAGS) $(CFLAGS) -fanalyzer $(ANALYZE_OFF) -c $< -o /dev/null && touch $@
$(B)/analyze/rjh-admin/%.ok: override CPPFLAGS += -DRJH_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DRJH_LIBDIR='"$(LIBDIR)"' -DRJH_PAMDIR='"$(PAMDIR)"'
analyze: $(ANALYZE_SRC:%.c=$(B)/analyze/%.ok)

# libFuzzer (clang) over every parser of outside input, FUZZ_SECONDS each
# (seeds in tests/fuzz/corpus/NAME). lib/ is compiled once for all of them
# into $(B)/fuzz/librjh.a. A parser that lives in a program or module is in a
# file of its own, without main(), linked in here.
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined
FLIB_OBJ := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/gen/migrations.o
$(B)/fuzz/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(@D)
	$(Q)clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(B)/fuzz/obj/%.o: %.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(@D)
	$(Q)clang $(CPPFLAGS) -I. $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(B)/fuzz/librjh.a: $(FLIB_OBJ)
	$(Q)$(AR) rcs $@ $^
$(B)/fuzz/fuzz_authinfo: $(B)/fuzz/obj/pam_rjh/auth_info.o
$(B)/fuzz/fuzz_pamargs: $(B)/fuzz/obj/pam_rjh/args.o
$(B)/fuzz/fuzz_connect: $(B)/fuzz/obj/rjh-connect/host.o
$(B)/fuzz/fuzz_claim: $(B)/fuzz/obj/rjh-connect/peer.o
$(B)/fuzz/fuzz_import: $(B)/fuzz/obj/rjh-admin/import_line.o
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/librjh.a
	@mkdir -p $(@D)
	$(Q)clang $(CPPFLAGS) -I. $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(filter %.o,$^) $(B)/fuzz/librjh.a $(LIBS)
fuzz: $(FUZZERS)
	@tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZERS)

# The SELinux policy module (selinux/): build/selinux/rjh.pp, installed into a
# temporary policy store and checked with sesearch and against make install.
selinux: all
	@$(MAKE) --no-print-directory -s -C selinux
	@tests/selinux/run.sh

# Several jumphosts on one PostgreSQL: a 3-node Patroni cluster on etcd
# (tests/cluster/lib.sh) with a real sshd jumphost (t_cluster.sh), and with
# three jumphosts, each in its own namespaces (tests/cluster/jumphosts.sh),
# serving 20 hosts (t_jumphosts.sh); cluster-harness checks the harness
# itself (its faults do what they say).
cluster: all
	@rc=0; bash tests/cluster/t_cluster.sh || rc=1; bash tests/cluster/t_jumphosts.sh || rc=1; exit $$rc
cluster-harness: all
	@bash tests/cluster/t_harness.sh

check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory all clang-check analyze
	@$(MAKE) --no-print-directory unit unit-asan cli e2e cluster fuzz selinux deb-check

# The Debian packages (debian/), built in a copy of the tree into build/deb/pkgs
# and checked by lintian.
deb:
	@pkgs=$$(tests/deb/build.sh) && lintian --fail-on error,warning $$pkgs/*.changes && \
		ls $$pkgs/*.deb
# The packages' tests: lintian, piuparts, and install, reboot, upgrade from the
# previous release, remove and purge on booted Debian 12 containers.
deb-check:
	@tests/deb/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@rc=0; bench/run.sh || rc=1; bash bench/nss.sh || rc=1; bash bench/login.sh || rc=1; \
		bash bench/storm.sh || rc=1; bash bench/relay.sh || rc=1; bash bench/cluster.sh || rc=1; \
		bash bench/capacity.sh || rc=1; exit $$rc

# Files under $(SYSCONFDIR) that exist are left alone: they are the operator's.
SYSTEMDUNITDIR ?= /lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
install: programs
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/rjh $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(PREFIX)/share/pam-configs
	install -m 0755 $(B)/rjh-admin $(DESTDIR)$(SBINDIR)/rjh-admin
	install -m 0755 $(B)/rjh-sync $(DESTDIR)$(SBINDIR)/rjh-sync
	install -m 0755 $(B)/rjh-host $(DESTDIR)$(SBINDIR)/rjh-host
	install -m 0644 doc/rjh-admin.8 $(DESTDIR)$(MANDIR)/man8/rjh-admin.8
	install -m 0644 doc/rjh-host.8 $(DESTDIR)$(MANDIR)/man8/rjh-host.8
	install -m 0644 doc/rjh-sync.8 $(DESTDIR)$(MANDIR)/man8/rjh-sync.8
	install -m 0644 doc/nss_rjh.8 $(DESTDIR)$(MANDIR)/man8/nss_rjh.8
	install -m 0644 doc/pam_rjh.8 $(DESTDIR)$(MANDIR)/man8/pam_rjh.8
	install -m 0644 doc/rjh.conf.5 $(DESTDIR)$(MANDIR)/man5/rjh.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/rjh/rjh.conf || \
		install -m 0644 doc/rjh.conf $(DESTDIR)$(SYSCONFDIR)/rjh/rjh.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/rjh.conf || \
		install -m 0644 $(B)/sshd-rjh.conf $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/rjh.conf
	install -m 0644 systemd/rjh-runtime.service systemd/rjh-prune.service \
		systemd/rjh-prune.timer systemd/rjh-tunnel.service systemd/rjh-tunnel@.service \
		systemd/rjh-sync.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/rjh.tmpfiles $(DESTDIR)$(TMPFILESDIR)/rjh.conf
	install -m 0644 pam_rjh/pam-config $(DESTDIR)$(PREFIX)/share/pam-configs/rjh
	if [ -e $(B)/libnss_rjh.so.2 ]; then \
		install -d -m 0755 $(DESTDIR)$(LIBDIR) && \
		install -m 0644 $(B)/libnss_rjh.so.2 $(DESTDIR)$(LIBDIR)/libnss_rjh.so.2; fi
	if [ -e $(B)/pam_rjh.so ]; then \
		install -d -m 0755 $(DESTDIR)$(PAMDIR) && \
		install -m 0644 $(B)/pam_rjh.so $(DESTDIR)$(PAMDIR)/pam_rjh.so; fi
	if [ -e $(B)/rjh-authorized-keys ]; then \
		install -d -m 0755 $(DESTDIR)$(LIBEXECDIR) && \
		install -m 0755 $(B)/rjh-authorized-keys $(DESTDIR)$(LIBEXECDIR)/rjh-authorized-keys; fi
	if [ -e $(B)/rjh-connect ]; then \
		install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 && \
		install -m 4755 $(B)/rjh-connect $(DESTDIR)$(BINDIR)/rjh-connect && \
		install -m 0644 doc/rjh-connect.1 $(DESTDIR)$(MANDIR)/man1/rjh-connect.1; fi

# Every directory of C: make format applies .clang-format to all of it and
# make format-check (the first step of make check) fails naming each file
# that differs from what make format would write.
FORMAT_DIRS := lib rjh-admin pam_rjh nss_rjh rjh-authorized-keys rjh-connect rjh-sync tests/unit \
	tests/tools tests/fuzz tests/fault
FORMAT_SRC = $(wildcard $(addsuffix /*.[ch],$(FORMAT_DIRS)))
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@command -v clang-format >/dev/null || { echo "format-check: no clang-format (make deps)" >&2; exit 1; }
	@out=$$(clang-format --dry-run -Werror $(FORMAT_SRC) 2>&1); rc=$$?; \
	bad=$$(printf '%s\n' "$$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | \
		sort -u); \
	if [ -n "$$bad" ]; then \
		echo "format-check: not clang-formatted (make format fixes them):" >&2; \
		printf '  %s\n' $$bad >&2; exit 1; \
	elif [ $$rc != 0 ]; then printf '%s\n' "$$out" >&2; exit 1; fi

clean:
	rm -rf $(B)

-include $(shell find $(B) -path $(B)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
