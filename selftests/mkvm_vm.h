/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs, vCPUs and guest code for minikvm's selftests, through the KVM API of
 * <linux/kvm.h> on mkvm_dev_path() (so the same test runs on /dev/minikvm
 * and, on the oracle boot, on the kernel's own /dev/kvm).
 *
 * Conventions, as in the KVM selftests:
 *  - foo() succeeds or ends the test as failed (it may run on any thread:
 *    it prints why and _exit()s, which the harness reports as a failure);
 *  - _foo() returns 0 or -errno, for tests that expect an error.
 *
 * Guest memory map (IPA):
 *   MKVM_UCALL_IPA   unbacked: the guest reports to the host by storing
 *                    here (an MMIO exit), see G_REPORT() and G_DONE
 *   MKVM_MMIO_IPA    unbacked: free for tests of MMIO exits
 *   MKVM_RAM_IPA     slot 0, MKVM_RAM_SIZE: exception vectors at its start
 *                    (every exception is reported to the host), guest
 *                    code at MKVM_CODE_IPA
 *
 * Guests run at EL1h with the MMU off (so only position-independent code,
 * and every data access is Device memory: naturally aligned only), and with
 * DAIF masked as KVM_ARM_VCPU_INIT leaves them.
 */
#ifndef MKVM_VM_H
#define MKVM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <asm/kvm.h>
#include <linux/psci.h>
#include "kselftest.h"
#include "mkvm_util.h"

#define MKVM_UCALL_IPA		0x10000000ull
#define MKVM_MMIO_IPA		0x20000000ull
#define MKVM_RAM_IPA		0x80000000ull
#define MKVM_RAM_SIZE		0x200000ull
#define MKVM_CODE_IPA		(MKVM_RAM_IPA + 0x1000)
#define MKVM_MAX_SLOTS		8

/* What the guest stored, by offset from MKVM_UCALL_IPA. */
enum mkvm_ucall {
	UCALL_REPORT	= 0x00,	/* a value for the host; guest goes on */
	UCALL_DONE	= 0x08,	/* the guest has finished */
	UCALL_EXCEPTION	= 0x10,	/* the guest took an exception: ESR_EL1 */
};

/*
 * Guest-side ucalls, as assembler text for MKVM_GUEST() bodies.  They
 * clobber x27 only.  The movz below must load MKVM_UCALL_IPA.
 */
#define G_UCALL_ADDR	"movz	x27, #0x1000, lsl #16\n"
#define G_REPORT(reg)	G_UCALL_ADDR "str	" reg ", [x27, #0x00]\n"
#define G_DONE		G_UCALL_ADDR "str	xzr, [x27, #0x08]\n" "b	.\n"
_Static_assert(MKVM_UCALL_IPA == 0x1000ull << 16, "G_UCALL_ADDR is stale");

/*
 * One entry of a guest vector table (".rept 16" of it at VBAR_EL1) that
 * notes an exception and steps over the instruction that took it: x24 = 1,
 * x26 = ESR_EL1 (x25 is scratch).  For guests that try many accesses,
 * each of which may UNDEF.
 */
#define G_SKIP_VECTOR							\
	".balign 0x80\n"						\
	"mrs	x26, esr_el1\n"						\
	"mrs	x25, elr_el1\n"						\
	"add	x25, x25, #4\n"						\
	"msr	elr_el1, x25\n"						\
	"mov	x24, #1\n"						\
	"eret\n"

/* Guest: x0 = SMCCC/PSCI function id, x1..x3 its arguments; result in x0. */
#define G_HVC		"hvc	#0\n"
#define G_SMC		"smc	#0\n"

/*
 * Guest code: @body (assembler text) between the labels @name and
 * @name_end, in the test's rodata; vm_load_code() copies it into guest RAM.
 * 2 KiB aligned, which a vector table needs and any code can have.  Global
 * and hidden, so that C reaches them PC-relative: through the GOT, a local
 * label and its _end would share the section's one entry.
 */
#define MKVM_GUEST(name, body)						\
	extern const char name[] __attribute__((visibility("hidden")));	\
	extern const char name##_end[]					\
		__attribute__((visibility("hidden")));			\
	asm(".pushsection .rodata." #name ", \"a\"\n"			\
	    ".balign 0x800\n"						\
	    ".globl " #name ", " #name "_end\n"			\
	    ".hidden " #name ", " #name "_end\n"			\
	    #name ":\n" body "\n"					\
	    #name "_end:\n"						\
	    ".popsection\n")

/*
 * The vector table at MKVM_RAM_IPA: each of the 16 entries reports
 * ESR_EL1 as UCALL_EXCEPTION and stops, so that a guest that faults
 * shows the host why instead of looping on an unmapped vector.
 */
#define G_VECTOR_ENTRY							\
	".balign 0x80\n"						\
	"mrs	x26, esr_el1\n"						\
	G_UCALL_ADDR							\
	"str	x26, [x27, #0x10]\n"					\
	"b	.\n"
MKVM_GUEST(mkvm_guest_vectors,
	   ".rept 16\n" G_VECTOR_ENTRY ".endr\n");

/* Register ids for KVM_{GET,SET}_ONE_REG. */
#define MKVM_CORE_REG(name)						\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |		\
	 KVM_REG_ARM_CORE_REG(name))
#define MKVM_XREG(n)		MKVM_CORE_REG(regs.regs[n])
#define MKVM_PC			MKVM_CORE_REG(regs.pc)
#define MKVM_PSTATE		MKVM_CORE_REG(regs.pstate)
#define MKVM_SP_EL0		MKVM_CORE_REG(regs.sp)
#define MKVM_SP_EL1		MKVM_CORE_REG(sp_el1)
#define MKVM_ELR_EL1		MKVM_CORE_REG(elr_el1)
#define MKVM_SPSR_EL1		MKVM_CORE_REG(spsr[KVM_SPSR_EL1])

#define MKVM_SCTLR_EL1		ARM64_SYS_REG(3, 0, 1, 0, 0)
#define MKVM_CPACR_EL1		ARM64_SYS_REG(3, 0, 1, 0, 2)
#define MKVM_TTBR0_EL1		ARM64_SYS_REG(3, 0, 2, 0, 0)
#define MKVM_TTBR1_EL1		ARM64_SYS_REG(3, 0, 2, 0, 1)
#define MKVM_TCR_EL1		ARM64_SYS_REG(3, 0, 2, 0, 2)
#define MKVM_MAIR_EL1		ARM64_SYS_REG(3, 0, 10, 2, 0)
#define MKVM_VBAR_EL1		ARM64_SYS_REG(3, 0, 12, 0, 0)
#define MKVM_TPIDR_EL1		ARM64_SYS_REG(3, 0, 13, 0, 4)
#define MKVM_TPIDR_EL0		ARM64_SYS_REG(3, 3, 13, 0, 2)
#define MKVM_TPIDRRO_EL0	ARM64_SYS_REG(3, 3, 13, 0, 3)
#define MKVM_MPIDR_EL1		ARM64_SYS_REG(3, 0, 0, 0, 5)

/* PSCI and SMCCC return values, as the guest sees them in x0. */
#define MKVM_SMCCC_NOT_SUPPORTED	0xffffffffffffffffull
#define MKVM_PSCI_RET(r)		((uint64_t)(int64_t)(r))

struct mkvm_slot {
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct mkvm_vm {
	int kvm_fd;		/* the system fd */
	int fd;
	int nr_slots;
	struct mkvm_slot slots[MKVM_MAX_SLOTS];
};

struct mkvm_vcpu {
	struct mkvm_vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

#define MKVM_FAIL(fmt, ...) do {					\
	ksft_print_msg("%s:%d: " fmt "\n", __FILE__, __LINE__,		\
		       ##__VA_ARGS__);					\
	fflush(stdout);							\
	_exit(KSFT_FAIL);						\
} while (0)

#define MKVM_CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		MKVM_FAIL("%s: " fmt, #cond, ##__VA_ARGS__);		\
} while (0)

/* ioctl() as 0 or -errno. */
static inline int mkvm_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static inline int mkvm_open(void)
{
	int fd = open(mkvm_dev_path(), O_RDWR | O_CLOEXEC);

	MKVM_CHECK(fd >= 0, "open %s: %s", mkvm_dev_path(), strerror(errno));
	return fd;
}

/* A VM of @type without memory; 0 or -errno. */
static inline int _vm_create_type(struct mkvm_vm **out, unsigned long type)
{
	struct mkvm_vm *vm = calloc(1, sizeof(*vm));

	MKVM_CHECK(vm, "out of memory");
	vm->kvm_fd = mkvm_open();
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	if (vm->fd < 0) {
		int err = -errno;

		close(vm->kvm_fd);
		free(vm);
		return err;
	}
	*out = vm;
	return 0;
}

/* A VM with the default IPA size and no memory. */
static inline struct mkvm_vm *vm_create_bare(void)
{
	struct mkvm_vm *vm = NULL;
	int ret = _vm_create_type(&vm, 0);

	MKVM_CHECK(!ret, "KVM_CREATE_VM: %s", strerror(-ret));
	return vm;
}

/* Anonymous memory, page aligned, for a memslot. */
static inline void *mkvm_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	MKVM_CHECK(p != MAP_FAILED, "mmap %#llx bytes: %s",
		   (unsigned long long)size, strerror(errno));
	return p;
}

static inline int _vm_set_memory(struct mkvm_vm *vm, uint32_t slot,
				 uint32_t flags, uint64_t gpa, uint64_t size,
				 uint64_t uaddr)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
	};

	return mkvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
}

/* Back [@gpa, @gpa + @size) with fresh zeroed memory as @slot; its address. */
static inline void *vm_add_memory(struct mkvm_vm *vm, uint32_t slot,
				  uint32_t flags, uint64_t gpa, uint64_t size)
{
	void *hva = mkvm_alloc(size);
	int ret;

	MKVM_CHECK(vm->nr_slots < MKVM_MAX_SLOTS, "too many slots");
	ret = _vm_set_memory(vm, slot, flags, gpa, size, (uintptr_t)hva);
	MKVM_CHECK(!ret, "slot %u at %#llx: %s", slot,
		   (unsigned long long)gpa, strerror(-ret));
	vm->slots[vm->nr_slots++] = (struct mkvm_slot){ gpa, size, hva };
	return hva;
}

/* The host address of guest RAM at @gpa (which must be in a slot). */
static inline void *vm_gpa_to_hva(struct mkvm_vm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nr_slots; i++) {
		struct mkvm_slot *s = &vm->slots[i];

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	MKVM_FAIL("no slot holds IPA %#llx", (unsigned long long)gpa);
}

/* Copy guest code [@start, @end) to @gpa. */
static inline void vm_load_code(struct mkvm_vm *vm, uint64_t gpa,
				const char *start, const char *end)
{
	MKVM_CHECK(gpa + (end - start) <= MKVM_RAM_IPA + MKVM_RAM_SIZE,
		   "guest code too big");
	memcpy(vm_gpa_to_hva(vm, gpa), start, end - start);
}

/*
 * A VM with slot 0 as RAM, the exception vectors at its start, and the
 * guest code [@start, @end) at MKVM_CODE_IPA (none if @start is NULL).
 */
static inline struct mkvm_vm *vm_create(const char *start, const char *end)
{
	struct mkvm_vm *vm = vm_create_bare();

	vm_add_memory(vm, 0, 0, MKVM_RAM_IPA, MKVM_RAM_SIZE);
	vm_load_code(vm, MKVM_RAM_IPA, mkvm_guest_vectors,
		     mkvm_guest_vectors_end);
	if (start)
		vm_load_code(vm, MKVM_CODE_IPA, start, end);
	return vm;
}

static inline void vm_free(struct mkvm_vm *vm)
{
	int i;

	close(vm->fd);
	close(vm->kvm_fd);
	for (i = 0; i < vm->nr_slots; i++)
		munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

/*
 * The fixture most tests share: one VM, freed after the test if the test
 * left it in self->vm; minikvm loaded where it owns EL2.  Needs
 * kselftest_harness.h first.
 */
#define MKVM_VM_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct mkvm_vm *vm;					\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		self->vm = NULL;					\
		ASSERT_EQ(0, mkvm_load_if_owner());			\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		if (self->vm)						\
			vm_free(self->vm);				\
	}

static inline int _vcpu_get_reg(struct mkvm_vcpu *vcpu, uint64_t id,
				uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg);
}

static inline int _vcpu_set_reg(struct mkvm_vcpu *vcpu, uint64_t id,
				uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return mkvm_ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg);
}

static inline uint64_t vcpu_get_reg(struct mkvm_vcpu *vcpu, uint64_t id)
{
	uint64_t val = 0;
	int ret = _vcpu_get_reg(vcpu, id, &val);

	MKVM_CHECK(!ret, "vcpu %u: GET_ONE_REG %#llx: %s", vcpu->id,
		   (unsigned long long)id, strerror(-ret));
	return val;
}

static inline void vcpu_set_reg(struct mkvm_vcpu *vcpu, uint64_t id,
				uint64_t val)
{
	int ret = _vcpu_set_reg(vcpu, id, val);

	MKVM_CHECK(!ret, "vcpu %u: SET_ONE_REG %#llx: %s", vcpu->id,
		   (unsigned long long)id, strerror(-ret));
}

static inline void vcpu_set_pc(struct mkvm_vcpu *vcpu, uint64_t pc)
{
	vcpu_set_reg(vcpu, MKVM_PC, pc);
}

/* KVM_CREATE_VCPU and the kvm_run mapping, without KVM_ARM_VCPU_INIT. */
static inline int _vm_vcpu_create(struct mkvm_vm *vm, unsigned int id,
				  struct mkvm_vcpu **out)
{
	struct mkvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int size;

	MKVM_CHECK(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		int err = -errno;

		free(vcpu);
		return err;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	MKVM_CHECK(size >= (int)sizeof(struct kvm_run),
		   "KVM_GET_VCPU_MMAP_SIZE: %d", size);
	vcpu->run_size = size;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	MKVM_CHECK(vcpu->run != MAP_FAILED, "mmap vcpu %u: %s", id,
		   strerror(errno));
	*out = vcpu;
	return 0;
}

/* KVM_ARM_VCPU_INIT, preferred target, PSCI 0.2 plus @features. */
static inline int _vcpu_init(struct mkvm_vcpu *vcpu, uint32_t features)
{
	struct kvm_vcpu_init init;
	int ret;

	memset(&init, 0, sizeof(init));
	ret = mkvm_ioctl(vcpu->vm->fd, KVM_ARM_PREFERRED_TARGET, &init);
	MKVM_CHECK(!ret, "KVM_ARM_PREFERRED_TARGET: %s", strerror(-ret));
	init.features[0] |= (1u << KVM_ARM_VCPU_PSCI_0_2) | features;
	return mkvm_ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init);
}

/*
 * vCPU @id, initialised with PSCI 0.2 and @features (KVM_ARM_VCPU_*
 * bits), its exceptions reported to the host, starting at @pc.
 */
static inline struct mkvm_vcpu *vm_vcpu_add_features(struct mkvm_vm *vm,
						     unsigned int id,
						     uint32_t features,
						     uint64_t pc)
{
	struct mkvm_vcpu *vcpu = NULL;
	int ret;

	ret = _vm_vcpu_create(vm, id, &vcpu);
	MKVM_CHECK(!ret, "KVM_CREATE_VCPU %u: %s", id, strerror(-ret));
	ret = _vcpu_init(vcpu, features);
	MKVM_CHECK(!ret, "vcpu %u: KVM_ARM_VCPU_INIT: %s", id,
		   strerror(-ret));
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_RAM_IPA);
	vcpu_set_pc(vcpu, pc);
	return vcpu;
}

/* vCPU @id running the VM's guest code from MKVM_CODE_IPA. */
static inline struct mkvm_vcpu *vm_vcpu_add(struct mkvm_vm *vm,
					    unsigned int id)
{
	return vm_vcpu_add_features(vm, id, 0, MKVM_CODE_IPA);
}

static inline void vcpu_free(struct mkvm_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

/* KVM_RUN: 0 or -errno (for tests that expect it to fail). */
static inline int _vcpu_run(struct mkvm_vcpu *vcpu)
{
	return mkvm_ioctl(vcpu->fd, KVM_RUN, NULL);
}

/* KVM_RUN, which must succeed; run->exit_reason says why it returned. */
static inline void vcpu_run(struct mkvm_vcpu *vcpu)
{
	int ret = _vcpu_run(vcpu);

	MKVM_CHECK(!ret, "vcpu %u: KVM_RUN: %s", vcpu->id, strerror(-ret));
}

static inline const char *mkvm_exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "UNKNOWN";
	case KVM_EXIT_MMIO:		return "MMIO";
	case KVM_EXIT_INTR:		return "INTR";
	case KVM_EXIT_SYSTEM_EVENT:	return "SYSTEM_EVENT";
	case KVM_EXIT_FAIL_ENTRY:	return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:	return "INTERNAL_ERROR";
	case KVM_EXIT_ARM_NISV:		return "ARM_NISV";
	case KVM_EXIT_HYPERCALL:	return "HYPERCALL";
	default:			return "?";
	}
}

/* Run until an exit of @reason, which must be the next exit. */
static inline struct kvm_run *vcpu_run_expect(struct mkvm_vcpu *vcpu,
					      uint32_t reason)
{
	vcpu_run(vcpu);
	MKVM_CHECK(vcpu->run->exit_reason == reason,
		   "vcpu %u: exit %u (%s), expected %u (%s), pc %#llx",
		   vcpu->id, vcpu->run->exit_reason,
		   mkvm_exit_name(vcpu->run->exit_reason), reason,
		   mkvm_exit_name(reason),
		   (unsigned long long)vcpu_get_reg(vcpu, MKVM_PC));
	return vcpu->run;
}

/* Little-endian bytes of an MMIO exit (what a guest str wrote). */
static inline uint64_t mkvm_mmio_data(const struct kvm_run *run)
{
	uint64_t val = 0;

	memcpy(&val, run->mmio.data, run->mmio.len > 8 ? 8 : run->mmio.len);
	return val;
}

/*
 * Run to the next ucall; returns its kind (enum mkvm_ucall) and the value
 * stored in *@val.  Anything else (another exit, a guest exception) fails
 * the test, with what the guest was doing.
 */
static inline int vcpu_ucall(struct mkvm_vcpu *vcpu, uint64_t *val)
{
	struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	uint64_t off = run->mmio.phys_addr - MKVM_UCALL_IPA;

	MKVM_CHECK(run->mmio.is_write && run->mmio.len == 8 &&
		   off <= UCALL_EXCEPTION && !(off & 7),
		   "vcpu %u: not a ucall: %s of %u at %#llx",
		   vcpu->id, run->mmio.is_write ? "write" : "read",
		   run->mmio.len, (unsigned long long)run->mmio.phys_addr);
	if (off == UCALL_EXCEPTION)
		MKVM_FAIL("vcpu %u: guest exception ESR_EL1 %#llx ELR_EL1 %#llx",
			  vcpu->id, (unsigned long long)mkvm_mmio_data(run),
			  (unsigned long long)vcpu_get_reg(vcpu, MKVM_ELR_EL1));
	if (val)
		*val = mkvm_mmio_data(run);
	return off;
}

/* Run to the guest's next G_REPORT(); returns the value reported. */
static inline uint64_t vcpu_report(struct mkvm_vcpu *vcpu)
{
	uint64_t val;
	int kind = vcpu_ucall(vcpu, &val);

	MKVM_CHECK(kind == UCALL_REPORT, "vcpu %u: ucall %d, expected REPORT",
		   vcpu->id, kind);
	return val;
}

/* Run to the guest's G_DONE. */
static inline void vcpu_done(struct mkvm_vcpu *vcpu)
{
	int kind = vcpu_ucall(vcpu, NULL);

	MKVM_CHECK(kind == UCALL_DONE, "vcpu %u: ucall %d, expected DONE",
		   vcpu->id, kind);
}

static inline void mkvm_kick_handler(int sig)
{
	(void)sig;
}

/*
 * A no-op handler for @sig without SA_RESTART, so that the signal makes a
 * blocking KVM_RUN return -EINTR rather than kill the test or be restarted.
 */
static inline void mkvm_install_kick_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mkvm_kick_handler;
	sigemptyset(&sa.sa_mask);
	MKVM_CHECK(!sigaction(sig, &sa, NULL), "sigaction: %s",
		   strerror(errno));
}

/*
 * vcpu_report(), but a guest that has not reported within @secs seconds (a
 * timer that never fires, a WFI never woken) fails the test with its PC and
 * the timer registers @ctl, @cval and @cnt (KVM_REG_ARM_TIMER_* or
 * KVM_REG_ARM_PTIMER_*) instead of hanging until the harness's timeout.
 */
static inline uint64_t vcpu_report_within(struct mkvm_vcpu *vcpu,
					  unsigned int secs, uint64_t ctl,
					  uint64_t cval, uint64_t cnt)
{
	int ret;

	mkvm_install_kick_handler(SIGALRM);
	alarm(secs);
	ret = _vcpu_run(vcpu);
	alarm(0);
	if (ret == -EINTR)
		MKVM_FAIL("vcpu %u: no report within %u s: pc %#llx timer CTL %#llx CVAL %#llx CNT %#llx",
			  vcpu->id, secs,
			  (unsigned long long)vcpu_get_reg(vcpu, MKVM_PC),
			  (unsigned long long)vcpu_get_reg(vcpu, ctl),
			  (unsigned long long)vcpu_get_reg(vcpu, cval),
			  (unsigned long long)vcpu_get_reg(vcpu, cnt));
	MKVM_CHECK(!ret, "vcpu %u: KVM_RUN: %s", vcpu->id, strerror(-ret));
	MKVM_CHECK(vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		   vcpu->run->mmio.is_write &&
		   vcpu->run->mmio.phys_addr == MKVM_UCALL_IPA + UCALL_REPORT,
		   "vcpu %u: exit %u (%s) at %#llx, expected a report",
		   vcpu->id, vcpu->run->exit_reason,
		   mkvm_exit_name(vcpu->run->exit_reason),
		   (unsigned long long)vcpu->run->mmio.phys_addr);
	return mkvm_mmio_data(vcpu->run);
}

/* KVM_SET_MP_STATE: 0 or -errno. */
static inline int vcpu_set_mp_state(struct mkvm_vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return mkvm_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp);
}

/* KVM_GET_MP_STATE, failing the test if the ioctl fails. */
static inline uint32_t vcpu_get_mp_state(struct mkvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = ~0u };

	MKVM_CHECK(!mkvm_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp),
		   "vcpu %u: KVM_GET_MP_STATE: %s", vcpu->id, strerror(errno));
	return mp.mp_state;
}

#endif /* MKVM_VM_H */
