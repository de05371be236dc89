#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the directory of the arm64 6.12 UAPI headers (installed once, cached).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkvm_kernel_headers
