// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a guest driving virtio_net, packets arriving from the
 * network meanwhile (see fuzz-vm.c for the input).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm *kvm = fuzz_vm__create(FUZZ_NET);

	fuzz_vm__run(kvm, data, size);
	fuzz_vm__destroy(kvm);
	return 0;
}
