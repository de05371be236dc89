#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the directory of the unpacked linux-source-6.12 (unpacked once, cached).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkvm_kernel_src
