PY := .venv/bin/python

.PHONY: setup demo demo-sar-ship demo-eo-sar demo-cloudy-scene demo-disoptnet test

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

# EO -> SAR vehicle classification: synthetic EO/SAR pairs -> EO teacher -> SAR student, distilled, fine-tuned, TTA, cluster voting, OOD -> table.
demo-eo-sar: setup
	$(PY) tools/run_demo.py --system eo-sar

# Cloudy scenes: synthetic SEN12MS-CR -> optical source -> auxiliaries -> regulated optical+SAR target -> table.
demo-cloudy-scene: setup
	$(PY) tools/run_demo.py --system cloudy-scene

# DisOptNet: synthetic SpaceNet 6 tiles -> optical teacher -> SAR student (SAR-only, DisOptNet, IFKD) -> Dice / F1 table.
demo-disoptnet: setup
	$(PY) tools/run_demo.py --system disoptnet

# The test suite (CPU).
test: setup
	$(PY) -m pytest tests -q -p no:cacheprovider
