# Verbatim's bundled demo model (issue 4). Included by the main Makefile.
#   make demo-model    installs what it needs, synthesises speech with espeak-ng, trains the log-mel, raw-frame
#                      and drafter models, fine-tunes the Gemma-4-architecture model (demo-gemma4) from the
#                      log-mel one, evaluates them on held-out speech and the development set, converts
#                      them to GGUF (Go) and writes assets/models/ (47 minutes on the 2-core development machine
#                      before issue 14; every training schedule has a wall-clock cap, so a busier machine still
#                      finishes within 75), then builds bin/verbatim and scores the development and test sets
#                      through the CLI for the model card (tools/demomodel/testset; SCORE_TESTSET=0 skips it).
#   make demo-model-gpu  the shipped models' recipe: the same pipeline with the training on one CUDA GPU
#                      (tools/demomodel/gpu.sh, 9 minutes on an H200; `python3` must have PyTorch with CUDA),
#                      then here the Gemma 4 fine-tune (45 minutes on 2 CPU cores), evaluation, export, scoring
#                      and the card as above. On a GPU machine that cannot
#                      install packages, run gpu.sh there with the espeak-ng bundle (gpu-bundle.sh) instead.
DEMO_MODEL_DIR    ?= tools/demomodel
DEMO_MODEL_ASSETS ?= assets/models
DEMO_MODEL_DEBS   := python3-torch python3-numpy libopenblas0-openmp espeak-ng sox

.PHONY: demo-model demo-model-gpu demo-model-deps demo-model-clean

demo-model-deps:
	@missing=""; for p in $(DEMO_MODEL_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		echo "installing:$$missing"; \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi

demo-model: demo-model-deps
	$(DEMO_MODEL_DIR)/run.sh $(DEMO_MODEL_ASSETS)

demo-model-gpu: demo-model-deps
	cd $(DEMO_MODEL_DIR) && /usr/bin/python3 synth.py --out $(CURDIR)/.gpu/data --train 30000 --heldout 90 --text_only
	MINUTES=9 $(DEMO_MODEL_DIR)/gpu.sh
	CKPT=$(CURDIR)/.gpu/out $(DEMO_MODEL_DIR)/run.sh $(DEMO_MODEL_ASSETS)

demo-model-clean:
	rm -rf $(DEMO_MODEL_DIR)/work
