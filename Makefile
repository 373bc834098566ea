# pi-mesos build, test, run, bench, install.
PREFIX  ?= /usr/local
DESTDIR ?=
NPM     ?= npm

# Install layout (see README.md, "Run on your Pi"). The unit goes to $(PREFIX)/lib/systemd/system,
# which systemd searches for /usr/local and /usr, so /etc/systemd/system stays the admin's for
# drop-ins and overrides. The node binary is fixed at install time: the service's PATH is not
# a login shell's (nvm and friends are not on it).
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib/pi-mesos
UNITDIR    ?= $(PREFIX)/lib/systemd/system
NODE       ?= $(shell command -v node)

.PHONY: all build test run bench install uninstall clean

all: build

node_modules: package.json package-lock.json
	$(NPM) ci
	@touch node_modules

build: node_modules
	$(NPM) run build

test: node_modules
	$(NPM) test

run: build
	node dist/src/daemon/main.js --master local --display terminal

bench: build
	node dist/test/bench/run.js

# No build here: `sudo make install` must not run npm or tsc as root in the checkout.
install:
	@test -f dist/src/daemon/main.js || { echo "make install: nothing built; run 'make' first" >&2; exit 1; }
	@test -n "$(NODE)" || { echo "make install: node not found; pass NODE=/path/to/node" >&2; exit 1; }
	@case '$(LIBDIR)' in */pi-mesos) ;; *) echo "make install: LIBDIR must end in /pi-mesos (it is replaced as a whole)" >&2; exit 1;; esac
	rm -rf '$(DESTDIR)$(LIBDIR)'
	install -d '$(DESTDIR)$(LIBDIR)/dist' '$(DESTDIR)$(LIBDIR)/node_modules' '$(DESTDIR)$(BINDIR)' \
		'$(DESTDIR)$(UNITDIR)' '$(DESTDIR)$(SYSCONFDIR)/default'
	cp -R dist/src '$(DESTDIR)$(LIBDIR)/dist/src'
	cp -R fonts proto '$(DESTDIR)$(LIBDIR)/'
	install -m 0644 package.json README.md '$(DESTDIR)$(LIBDIR)/'
	@# Production node_modules only, as listed by package-lock.json (no npm, no network).
	$(NODE) systemd/list-prod-modules.js . > '$(DESTDIR)$(LIBDIR)/.modules'
	while read -r m; do mkdir -p "$(DESTDIR)$(LIBDIR)/$$(dirname "$$m")" && cp -R "$$m" "$(DESTDIR)$(LIBDIR)/$$m" || exit 1; done < '$(DESTDIR)$(LIBDIR)/.modules'
	rm -f '$(DESTDIR)$(LIBDIR)/.modules'
	@# Readable by the service's dynamic user whatever root's umask was.
	chmod -R u=rwX,go=rX '$(DESTDIR)$(LIBDIR)'
	printf '#!/bin/sh\n# pi-mesos daemon (installed by make install)\nexec %s %s "$$@"\n' '$(NODE)' '$(LIBDIR)/dist/src/daemon/main.js' > '$(DESTDIR)$(BINDIR)/pi-mesos'
	printf '#!/bin/sh\n# pi-mesos executor (installed by make install)\nexec %s %s "$$@"\n' '$(NODE)' '$(LIBDIR)/dist/src/executor/main.js' > '$(DESTDIR)$(BINDIR)/pi-mesos-executor'
	chmod 0755 '$(DESTDIR)$(BINDIR)/pi-mesos' '$(DESTDIR)$(BINDIR)/pi-mesos-executor'
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/lib/pi-mesos/|$(LIBDIR)/|g' \
		-e 's|/etc/default/pi-mesos|$(SYSCONFDIR)/default/pi-mesos|g' \
		systemd/pi-mesos.service > '$(DESTDIR)$(UNITDIR)/pi-mesos.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/pi-mesos.service'
	@# The settings file is the admin's: never overwrite it.
	if [ -e '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos' ]; then \
		install -m 0644 systemd/pi-mesos.default '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos.dist'; \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/default/pi-mesos; the shipped version is pi-mesos.dist next to it"; \
	else \
		install -m 0644 systemd/pi-mesos.default '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos'; \
	fi
	@echo "installed; now: sudo systemctl daemon-reload && sudo systemctl enable --now pi-mesos"

# Leaves $(SYSCONFDIR)/default/pi-mesos (settings) and /var/lib/pi-mesos (state) alone.
uninstall:
	@case '$(LIBDIR)' in */pi-mesos) ;; *) echo "make uninstall: LIBDIR must end in /pi-mesos" >&2; exit 1;; esac
	rm -rf '$(DESTDIR)$(LIBDIR)'
	rm -f '$(DESTDIR)$(BINDIR)/pi-mesos' '$(DESTDIR)$(BINDIR)/pi-mesos-executor' '$(DESTDIR)$(UNITDIR)/pi-mesos.service' \
		'$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos.dist'
	@echo "removed; kept $(DESTDIR)$(SYSCONFDIR)/default/pi-mesos and the state in /var/lib/pi-mesos (sudo systemctl daemon-reload)"

clean:
	rm -rf dist
