PY := .venv/bin/python

.PHONY: setup demo demo-sar-ship test

# Create .venv with the pinned stack (idempotent; mmcv-lite, nothing compiled;
# IFKD_MMCV=full builds mmcv's ops once and caches the wheel).
setup:
	bash tools/setup_env.sh

# Main job: synthetic SAR-aircraft data -> teacher -> student baseline -> IFKD student -> mAP table.
demo: setup
	$(PY) tools/run_demo.py

# SAR ship classification: synthetic ships -> ResNet50 teacher -> ShipCNN student, KD, IFKD feature, KD+IFKD -> table.
demo-sar-ship: setup
	$(PY) tools/run_demo.py --system sar-ship

# The test suite (CPU).
test: setup
	$(PY) -m pytest tests -q -p no:cacheprovider
