// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: a data abort outside guest RAM becomes KVM_EXIT_MMIO.  The access
 * is decoded from the syndrome (Arm ARM D13.2.39, ISS encoding for a Data
 * Abort: ISV, SAS, SSE, SRT, SF, WnR); an abort without a valid syndrome
 * cannot be emulated and fails KVM_RUN with -ENOSYS, as in KVM.
 */
#include <linux/kvm.h>
#include <asm/esr.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>

/**
 * mkvm_handle_mmio() - turn a data abort into a KVM_EXIT_MMIO
 * @vcpu:	the vCPU
 * @ipa:	the faulting guest physical address
 * @esr:	ESR_EL2
 *
 * Return: 0 (exit to the VMM), 1 (an ioeventfd or coalesced write:
 * re-enter), or
 * -ENOSYS without a valid syndrome.
 */
int mkvm_handle_mmio(struct mkvm_vcpu *vcpu, u64 ipa, u64 esr)
{
	struct mkvm_mmio_pending *m = &vcpu->arch.mmio;
	struct kvm_run *run = vcpu->run;
	u64 data;

	if (!(esr & ESR_ELx_ISV))
		return -ENOSYS;

	*m = (struct mkvm_mmio_pending) {
		.active		= true,
		.is_write	= esr & ESR_ELx_WNR,
		.sign_extend	= esr & ESR_ELx_SSE,
		.sixty_four	= esr & ESR_ELx_SF,
		.len		= 1 << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT),
		.rt		= (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT,
	};
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = ipa;
	run->mmio.len = m->len;
	run->mmio.is_write = m->is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (m->is_write) {
		data = mkvm_get_gpr(vcpu, m->rt);
		/*
		 * A write an ioeventfd takes signals it; one into a coalesced
		 * zone is queued.  Either way the guest goes on.
		 */
		if (mkvm_ioeventfd_write(vcpu->vm, ipa, m->len, data) ||
		    mkvm_coalesced_write(vcpu->vm, ipa, m->len, &data)) {
			m->active = false;
			vcpu->stat.mmio_exit_kernel++;
			mkvm_skip_instr(vcpu);
			return 1;
		}
		memcpy(run->mmio.data, &data, m->len);	/* little endian */
	}
	vcpu->stat.mmio_exit_user++;
	return 0;
}

/**
 * mkvm_complete_mmio() - finish the access the VMM has just emulated
 * @vcpu:	the vCPU, on the KVM_RUN after a KVM_EXIT_MMIO
 *
 * A read takes its value from run->mmio.data, sign-extended if the load
 * was a signed one, into the destination register; then the guest moves
 * past the instruction.
 */
void mkvm_complete_mmio(struct mkvm_vcpu *vcpu)
{
	struct mkvm_mmio_pending *m = &vcpu->arch.mmio;
	u64 data = 0;

	if (!m->active)
		return;
	m->active = false;
	if (!m->is_write) {
		memcpy(&data, vcpu->run->mmio.data, m->len);
		if (m->sign_extend && m->len < 8) {
			unsigned int shift = 64 - 8 * m->len;

			data = (u64)((s64)(data << shift) >> shift);
		}
		if (!m->sixty_four)
			data &= 0xffffffffULL;
		mkvm_set_gpr(vcpu, m->rt, data);
	}
	mkvm_skip_instr(vcpu);
}
