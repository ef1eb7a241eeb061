# `make package`: a Linux desktop package of Verbatim (binary, .desktop entry, icon) built by
# `fyne package` from FyneApp.toml. Included by the main Makefile, which builds $(VERBATIM_BIN) with
# the project's cgo flags; the result is dist/verbatim-linux-<arch>.tar.xz, which unpacks to
# verbatim/ holding usr/local/{bin,share/applications,share/pixmaps} and a Makefile whose
# `make install` (root) or `make user-install` puts them in place.
#
# fyne.io/tools v1.7.4 builds and runs with Go 1.26 (checked). `fyne package` insists on Go code
# beside FyneApp.toml even when given --exe, and the repository root has none, so it runs in a
# staging folder holding FyneApp.toml, the icon and a stub main.go (under .build/, which `./...`
# skips); the binary it packages is the real one.

FYNE ?= go run fyne.io/tools/cmd/fyne@v1.7.4
VERBATIM_BIN ?= bin/verbatim
PACKAGE_STAGE := .build/package
PACKAGE_ARCH := $(shell go env GOARCH)

.PHONY: package
package: $(VERBATIM_BIN)
	rm -rf $(PACKAGE_STAGE)
	mkdir -p $(PACKAGE_STAGE)/assets dist
	cp FyneApp.toml $(PACKAGE_STAGE)/
	cp assets/icon.png $(PACKAGE_STAGE)/assets/
	printf 'package main\n\nfunc main() {}\n' > $(PACKAGE_STAGE)/main.go
	cp $(VERBATIM_BIN) $(PACKAGE_STAGE)/verbatim
	cd $(PACKAGE_STAGE) && $(FYNE) package --os linux --exe verbatim --release
	mv $(PACKAGE_STAGE)/Verbatim.tar.xz dist/verbatim-linux-$(PACKAGE_ARCH).tar.xz
	@echo "dist/verbatim-linux-$(PACKAGE_ARCH).tar.xz"
