#!/usr/bin/env bash
# Installs the Python test oracles (ONNX Runtime, onnx, numpy, pycocotools) for the tests.
# samq never imports Python at run time; only tests/oracles/*.py and a few tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 -c "import onnx, onnxruntime, numpy, pycocotools" 2>/dev/null; then exit 0; fi
# Debian's system Python refuses plain `pip install` (PEP 668); fall back to allowing it.
python3 -m pip install -q -r tests/oracles/requirements.txt 2>/dev/null ||
  python3 -m pip install -q --break-system-packages -r tests/oracles/requirements.txt
