/* SPDX-License-Identifier: GPL-2.0 */
/* A vCPU: its fd, its shared struct kvm_run, and the thread that runs it. */
#ifndef MINIVMM_KVM_CPU_H
#define MINIVMM_KVM_CPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_run;

struct kvm_cpu {
	struct kvm *kvm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	atomic_bool thread_started;	/* read by the thread that stops the VM */
	uint64_t cpu_ns;		/* its thread's CPU time, at its end */
};

struct kvm_cpu *kvm_cpu__init(struct kvm *kvm, unsigned int id);
void kvm_cpu__exit(struct kvm_cpu *vcpu);
int kvm_cpu__set_entry(struct kvm_cpu *vcpu, uint64_t pc, uint64_t x0);
int kvm_cpu__mpidr(struct kvm_cpu *vcpu, uint64_t *mpidr);
int kvm_cpu__start(struct kvm_cpu *vcpu);
void kvm_cpu__run(struct kvm_cpu *vcpu);
void kvm_cpu__kick(struct kvm_cpu *vcpu);
int kvm_cpu__setup_signals(void);
void kvm_cpu__print_stats(struct kvm_cpu *vcpu);

#endif /* MINIVMM_KVM_CPU_H */
