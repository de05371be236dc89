# SPDX-License-Identifier: GPL-2.0
#
#   make                 module + minivmm + selftests
#   make module          minikvm.ko only (make -C $KDIR M=$PWD works too)
#   make demo            boot QEMU, run the demo on minikvm (a Linux guest)
#   make shell           a Linux guest's shell on minikvm, on this terminal
#   make bench           Linux guest boot time, minikvm beside the kernel's KVM
#   make check           every test, in QEMU (TESTS=, BOOTS=, DEBUG=1: see README)
#   make fuzz            minivmm's device-model fuzzers on this host, FUZZ_TIME
#                        seconds each (default 60)
#   make mutants         break the module on purpose, check the tests notice (slow)
#   make modules_install / clean
#
# KDIR defaults to the running kernel's build tree on an arm64 host, and to
# the project's cached test kernel (built on first use) when cross-building.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

ROOT := $(CURDIR)
ifeq ($(shell uname -m),aarch64)
KDIR ?= /lib/modules/$(shell uname -r)/build
CROSS_COMPILE ?=
else
CROSS_COMPILE ?= aarch64-linux-gnu-
KDIR ?= $(shell $(ROOT)/scripts/test-kernel.sh $(if $(DEBUG),--debug))
endif
export CROSS_COMPILE

KMAKE = $(MAKE) -C $(KDIR) M=$(ROOT) ARCH=arm64 CROSS_COMPILE=$(CROSS_COMPILE) \
	$(if $(or $(CI),$(WERROR)),MKVM_WERROR=y)

.PHONY: all module minivmm selftests modules_install clean check demo shell bench deps \
	fuzz mutants

all: module minivmm selftests

deps:
	@$(ROOT)/scripts/deps.sh

module:
	@grep -q '^CONFIG_ARM64_4K_PAGES=y' $(KDIR)/.config || \
		{ echo "minikvm needs CONFIG_ARM64_4K_PAGES"; exit 1; }
	@! grep -q '^CONFIG_ARM64_VA_BITS_52=y' $(KDIR)/.config || \
		{ echo "minikvm needs at most 48-bit VAs"; exit 1; }
	$(KMAKE) modules

modules_install:
	$(KMAKE) modules_install

minivmm:
	$(MAKE) -C tools/minivmm CROSS_COMPILE=$(CROSS_COMPILE)

selftests:
	$(MAKE) -C selftests CROSS_COMPILE=$(CROSS_COMPILE) KSRC=$(KDIR)/source

clean:
	-$(KMAKE) clean 2>/dev/null
	$(MAKE) -C tools/minivmm clean
	$(MAKE) -C tools/bench clean
	$(MAKE) -C selftests clean

check:
	@$(ROOT)/scripts/check.sh

# Native build (clang, ASan, UBSan, libFuzzer): no cross compiler, no KVM.
fuzz:
	@$(ROOT)/scripts/deps.sh
	$(MAKE) -C tools/minivmm/fuzz run FUZZ_TIME=$(or $(FUZZ_TIME),60)
mutants:
	@$(ROOT)/scripts/mutants.sh

demo:
	@$(ROOT)/scripts/demo.sh

shell:
	@$(ROOT)/scripts/shell.sh

bench:
	@$(ROOT)/scripts/bench.sh

endif
