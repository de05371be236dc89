/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared by the EL2 objects only. */
#ifndef __MKVM_HYP_INTERNAL_H
#define __MKVM_HYP_INTERNAL_H

#include <linux/types.h>
#include <mkvm/hyp.h>

/* Vector tables and entry code (host.S, guest.S). */
extern char host_vectors[], guest_vectors[];
u64 __guest_enter(struct mkvm_cpu_ctxt *guest);

u64 handle_host_hcall(u64 id, u64 a1, u64 a2, u64 a3);

/* switch.c */
u64 vcpu_run(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu);
void flush_vmid(u64 vttbr, u64 range);
void hyp_panic_restore_host(struct mkvm_hyp_cpu *cpu);

/* fault.c */
void fault_capture(struct mkvm_vcpu_hyp *vcpu, u64 exit);

/* debug-sr.c */
void debug_switch_to_guest(struct mkvm_hyp_cpu *cpu,
			   struct mkvm_vcpu_hyp *vcpu);
void debug_switch_to_host(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu);

/* tlb.c */
void tlb_prepare(struct mkvm_vcpu_hyp *vcpu);
void tlb_flush_guest(u64 range);

/* vgic-v3-sr.c */
void vgic_restore(struct mkvm_vgic_hyp *v);
void vgic_save(struct mkvm_vgic_hyp *v);
u64 read_ich_vtr(void);

/* sysreg-sr.c */
void sysregs_save(struct mkvm_cpu_ctxt *ctxt);
void sysregs_restore(struct mkvm_cpu_ctxt *ctxt);
void host_sysregs_save(struct mkvm_cpu_ctxt *ctxt);
void host_sysregs_restore(struct mkvm_cpu_ctxt *ctxt);
void timer_save(struct mkvm_cpu_ctxt *ctxt);
void timer_restore(struct mkvm_cpu_ctxt *ctxt);
void timer_put(void);

#endif
