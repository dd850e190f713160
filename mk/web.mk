# Web chat + in-store kiosk (docs/web.md). Included by the main Makefile.
#   make web-assets    npm ci in web/ and copy the browser libraries to web/static/vendor (make run needs them)
#   make web-install   web-assets + Debian's chromium for the browser tests (apt-get, when missing)
#   make browser-test  the browser end-to-end tests + the pages' unit tests
#   make screenshots   the same browser tests, saving docs/img/*.png
WEB_DIR        := web
WEB_VENDOR     := $(WEB_DIR)/static/vendor
WEB_LOCK_HASH  := $(shell cat $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
WEB_STAMP      := $(WEB_DIR)/node_modules/.shopguide-installed-$(WEB_LOCK_HASH)
WEB_VENDOR_FILES := $(WEB_VENDOR)/socket.io.min.js $(WEB_VENDOR)/socket.io.min.js.map $(WEB_VENDOR)/qrcode.js
CHROMIUM       ?= /usr/bin/chromium
CHROMIUM_PKGS  := chromium chromium-driver
APT_INSTALL    := env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
SUDO           := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: web-assets web-install chromium browser-test screenshots

web-assets: $(WEB_STAMP) $(WEB_VENDOR_FILES)

# npm ci only when package.json / package-lock.json changed (the stamp lives in node_modules,
# so deleting node_modules reinstalls)
$(WEB_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js >= 18 (e.g. apt-get install nodejs npm)" >&2; exit 1; }
	@echo ">> npm ci (web/: socket.io-client, qrcode-generator; for tests playwright-core, jsqr, axe-core)"
	@cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_VENDOR)/socket.io.min.js $(WEB_VENDOR)/socket.io.min.js.map: $(WEB_STAMP)
	@mkdir -p $(WEB_VENDOR)
	@cp $(WEB_DIR)/node_modules/socket.io-client/dist/$(@F) $@

$(WEB_VENDOR)/qrcode.js: $(WEB_STAMP)
	@mkdir -p $(WEB_VENDOR)
	@cp $(WEB_DIR)/node_modules/qrcode-generator/dist/qrcode.js $@

# Debian's chromium (+ chromedriver) for the browser tests; apt-get update only if the install fails
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo ">> installing Debian's $(CHROMIUM_PKGS) (browser tests)"; \
		$(SUDO) $(APT_INSTALL) $(CHROMIUM_PKGS) \
		|| { $(SUDO) apt-get update && $(SUDO) $(APT_INSTALL) $(CHROMIUM_PKGS); }; \
	fi

web-install: web-assets chromium

browser-test: setup web-install
	$(PY) -m pytest tests/unit/web tests/browser

screenshots: setup web-install
	@mkdir -p docs/img
	SHOPGUIDE_SCREENSHOTS_DIR=$(CURDIR)/docs/img $(PY) -m pytest tests/browser

# `make run` serves the pages, so it needs the browser libraries (not chromium)
run: web-assets

TEST_STEPS += web-install
