# Verbatim. Two commands on a fresh Debian/Ubuntu machine:
#   make run    install what is needed, build, and open the app on the bundled demo model
#   make test   run every test (starts its own PulseAudio and Xvfb; nothing is skipped)
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO      ?= go
BIN     := bin/verbatim
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# native: ggml compiled for this CPU (fastest here); VERBATIM_MARCH=x86-64-v3 for portable packages.
export VERBATIM_MARCH ?= native
BUILDENV = eval "$$(tools/buildenv.sh)"
# GPU backends (lib/ollama) link their own copy of ggml-base; exporting the binary's ggml symbols makes them
# use the one inside the binary instead, so objects made by one are freed by the same code (without it,
# freeing a llama context crashed on CUDA).
EXTLD := -extldflags=-Wl,--export-dynamic
LDFLAGS := -X github.com/verbatim-app/verbatim/app/cli.Version=$(VERSION) $(EXTLD)
TEST_TIMEOUT ?= 60m
# A count, not a duration: Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when a -fuzztime duration ends mid-call (go.dev/issue/75804, fixed in 1.27); a count has no
# deadline to race. 20000 runs take 5-15 s per target here.
FUZZTIME ?= 20000x

DEBS := gcc g++ pkg-config python3 libmpg123-dev git ca-certificates libgl1-mesa-dev xorg-dev libglx-mesa0 libgl1-mesa-dri \
	nlohmann-json3-dev libstb-dev pulseaudio pulseaudio-utils espeak-ng sox libsox-fmt-mp3 flac lame \
	xvfb xauth xdotool xterm imagemagick tesseract-ocr tesseract-ocr-eng locales fonts-dejavu-core \
	fonts-wqy-microhei fonts-lohit-deva

.PHONY: deps build run test test-go fuzz-short fuzz bench clean

# deps installs the Debian packages the build and the tests need (sudo when not root); it does nothing
# when they are all there.
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		echo "installing:$$missing"; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go 1.26 or newer is needed: https://go.dev/dl/"; exit 1; }

build: deps
	$(BUILDENV) && $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/verbatim
	@echo "built $(BIN) (ggml for $(VERBATIM_MARCH))"

$(BIN): build

run: build
	LANG=$${LANG:-en_US.UTF-8} ./$(BIN)

# Packages whose tests play sound into the shared virtual microphone run one at a time, or one test's
# speech would be heard by another's.
AUDIO_PKGS := github.com/verbatim-app/verbatim/capture/miniaudio github.com/verbatim-app/verbatim/app/live \
	github.com/verbatim-app/verbatim/app/cli github.com/verbatim-app/verbatim/cmd/verbatim

# test runs every Go test with the services they need. VERBATIM_NO_SKIP=1 turns every "cannot run here"
# (a missing tool, display, sound server or device) into a failure, and tools/testreport counts skips as
# failures: the closing line "N passed, N failed, N skipped" must end with 0 failed and 0 skipped.
test: build
	@set -euo pipefail; \
	tools/testenv/freshclone.sh; \
	eval "$$(tools/testenv/pulse.sh start)"; \
	trap 'tools/testenv/pulse.sh stop >/dev/null 2>&1 || true' EXIT; \
	$(BUILDENV); \
	export VERBATIM_NO_SKIP=1 VERBATIM_BIN=$(CURDIR)/$(BIN) LANG=en_US.UTF-8; \
	$(GO) vet ./...; \
	$(MAKE) --no-print-directory fuzz-short; \
	$(GO) build -o .build/testreport ./tools/testreport; \
	{ $(GO) test -json -timeout $(TEST_TIMEOUT) -count=1 $$($(GO) list ./... | grep -v -x -F -f <(printf '%s\n' $(AUDIO_PKGS))) || true; \
	  $(GO) test -json -timeout $(TEST_TIMEOUT) -count=1 -p 1 $(AUDIO_PKGS) || true; } 2>&1 | .build/testreport

# Every fuzz target for a short while (make test); `make fuzz FUZZTIME=10m` runs them long. Crashers
# land in the package's testdata/fuzz and stay there as regression tests.
FUZZ_TARGETS = $(shell grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
fuzz-short:
	@$(BUILDENV); for d in $(FUZZ_TARGETS); do \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go | cut -c6-); do \
			echo "fuzz $$d $$f ($(FUZZTIME))"; \
			log=$$(mktemp); ok=; \
			for try in 1 2; do \
				before=$$(ls $$d/testdata/fuzz/$$f 2>/dev/null | wc -l); \
				if $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$d >$$log 2>&1; then ok=1; break; fi; \
				cat $$log; \
				if [ "$$(ls $$d/testdata/fuzz/$$f 2>/dev/null | wc -l)" != "$$before" ]; then \
					echo "fuzz $$f found a failing input: it is saved in $$d/testdata/fuzz/$$f"; break; fi; \
				echo "fuzz $$f stopped without a failing input (the engine itself); trying once more"; \
			done; \
			rm -f $$log; [ -n "$$ok" ] || exit 1; \
		done; done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=$${FUZZTIME:-10m}

# bench measures speed and memory: Go benchmarks side by side with the native C loop, then the summary of
# tools/bench (`go run ./tools/bench --json` prints it as JSON).
bench: build
	@$(BUILDENV); $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./inference/... ./app/... 
	@# The app's own paths against native C loops, batch and live end to end, drafting (about 10 minutes).
	@$(BUILDENV); $(GO) run -ldflags "$(EXTLD)" ./tools/bench --bin $(BIN)
	@# Peak RSS of `transcribe` on an 8 h recording beside a 5 s one (about 7 minutes, 460 MB of disk).
	@$(BUILDENV); $(GO) run ./tools/rssbench -bin $(BIN) -hours 8
	@$(BUILDENV); $(GO) run ./tools/soak # 2 h of a call through the live pipeline at 50× real time (~2.5 min, 440 MB of disk): peak RSS stays flat

clean:
	rm -rf bin .build dist

include tools/demomodel/demomodel.mk
include ui/package.mk

# GPU backends: ggml's CUDA or Vulkan backend built with CMake from the pinned ollama module's sources and
# installed into lib/ollama beside bin/, where the llama package loads it at start. No flags needed after.
OLLAMA_SRC = $(shell $(GO) list -m -f '{{.Dir}}' github.com/ollama/ollama)
CUDA_ARCH ?= native
.PHONY: cuda vulkan
cuda:
	command -v nvcc >/dev/null || { echo "make cuda needs the CUDA toolkit (nvcc)"; exit 1; }
	tools/gpu/build-backend.sh "$(OLLAMA_SRC)" cuda "-DCMAKE_CUDA_ARCHITECTURES=$(CUDA_ARCH)"
vulkan:
	@SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; missing=""; \
	for p in libvulkan-dev glslc mesa-vulkan-drivers vulkan-tools cmake; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	[ -z "$$missing" ] || { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; }
	tools/gpu/build-backend.sh "$(OLLAMA_SRC)" vulkan ""

# test-gpu: the GPU path for real on this machine: Mesa's lavapipe is a Vulkan device on the CPU.
.PHONY: test-gpu
test-gpu: vulkan
	@SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || $$SUDO apt-get install -y -qq mesa-vulkan-drivers
	$(BUILDENV) && OLLAMA_LIBRARY_PATH=$(CURDIR)/lib/ollama GGML_VK_VISIBLE_DEVICES=0 \
		$(GO) test -tags gpu -ldflags "$(EXTLD)" -count=1 -v -run 'GPU' ./inference/

# gpu-check-prep: what tools/gpu-check.sh needs on a GPU machine without Go: portable (x86-64-v3) builds of
# the command line (no window: such machines lack display libraries), of tools/bench, tools/gemma4big and the GPU tests, and
# the staged ggml sources. Carry .build/gpu-carry.tar.xz there (tools/gpu-check.sh unpacks it).
.PHONY: gpu-check-prep
gpu-check-prep:
	mkdir -p .build/gpu-carry/bin
	export VERBATIM_MARCH=x86-64-v3 && $(BUILDENV) && $(GO) build -ldflags "-s -w $(EXTLD)" -o .build/gpu-carry/bin/verbatim ./tools/gpu/cli && \
		$(GO) build -ldflags "-s -w $(EXTLD)" -o .build/gpu-carry/bin/bench ./tools/bench && \
		$(GO) build -ldflags "-s -w $(EXTLD)" -o .build/gpu-carry/bin/gemma4big ./tools/gemma4big && \
		$(GO) test -tags gpu -ldflags "-s -w $(EXTLD)" -c -o .build/gpu-carry/bin/inference.test ./inference && \
		$(GO) test -tags gpu -ldflags "-s -w $(EXTLD)" -c -o .build/gpu-carry/bin/gemma4.test ./inference/gemma4
	STAGE_ONLY=1 tools/gpu/build-backend.sh "$(OLLAMA_SRC)" cuda
	rm -rf .build/gpu-carry/ollama-src && cp -r .build/ollama-src .build/gpu-carry/ollama-src
	# The folder is over 100 MB and a device run carries at most 64 MiB: it travels as one xz archive.
	tar -C .build -cf - gpu-carry | xz -T0 -6 >.build/gpu-carry.tar.xz
	@ls -l .build/gpu-carry.tar.xz
