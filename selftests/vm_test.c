// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU ioctls: memslots, KVM_ARM_VCPU_INIT, registers, and the
 * exact errno of each bad argument, as the kernel's KVM (oracle boot)
 * gives it, so that minikvm answers a VMM the same way.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

FIXTURE(vm) {
	struct mkvm_vm *vm;
	struct mkvm_vcpu *vcpu;
};

FIXTURE_SETUP(vm)
{
	self->vm = NULL;
	self->vcpu = NULL;
	ASSERT_EQ(0, mkvm_load_if_owner());
	self->vm = vm_create(NULL, NULL);
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vcpu)
		vcpu_free(self->vcpu);
	if (self->vm)
		vm_free(self->vm);
}

enum which_fd { SYS_FD, VM_FD, VCPU_FD };

static int fd_of(FIXTURE_DATA(vm) *self, enum which_fd which)
{
	return which == SYS_FD ? self->vm->kvm_fd :
	       which == VM_FD ? self->vm->fd : self->vcpu->fd;
}

struct ioctl_case {
	const char *name;
	enum which_fd fd;
	unsigned long req;
	void *arg;
};

static int check_extension(struct mkvm_vm *vm, long cap)
{
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);
}

/* KVM_CREATE_VM's type is the IPA size (0: 40 bits), nothing else. */
TEST_F(vm, create_vm_ipa_size)
{
	int max = check_extension(self->vm, KVM_CAP_ARM_VM_IPA_SIZE);
	const struct {
		unsigned long type;
		int err;
	} cases[] = {
		{ 0, 0 },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(32), 0 },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(40), 0 },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(max), 0 },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(max + 1), -EINVAL },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(31), -EINVAL },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(12), -EINVAL },
		{ KVM_VM_TYPE_ARM_IPA_SIZE(0xff), -EINVAL },
		{ 0x100 | KVM_VM_TYPE_ARM_IPA_SIZE(40), -EINVAL },
		{ 1ul << 40, -EINVAL },
	};
	struct mkvm_vm *vm = NULL;
	unsigned int i;

	ASSERT_LE(40, max);
	ASSERT_GE(52, max);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = _vm_create_type(&vm, cases[i].type);

		EXPECT_EQ(cases[i].err, ret) TH_LOG("type %#lx", cases[i].type);
		if (!ret)
			vm_free(vm);
	}
}

/* A VM's IPA size bounds its memslots (KVM: EFAULT past the end). */
TEST_F(vm, memslot_within_ipa_size)
{
	struct mkvm_vm *vm = NULL;
	void *buf = mkvm_alloc(0x10000);

	ASSERT_EQ(0, _vm_create_type(&vm, KVM_VM_TYPE_ARM_IPA_SIZE(32)));
	EXPECT_EQ(0, _vm_set_memory(vm, 0, 0, (1ull << 32) - 0x20000, 0x10000,
				    (uintptr_t)buf));
	EXPECT_EQ(-EFAULT, _vm_set_memory(vm, 1, 0, 1ull << 32, 0x10000,
					  (uintptr_t)buf));
	EXPECT_EQ(-EFAULT, _vm_set_memory(vm, 1, 0, (1ull << 32) - 0x1000,
					  0x2000, (uintptr_t)buf));
	vm_free(vm);
	munmap(buf, 0x10000);
}

#define SLOT_ID_NR	~0u	/* stands for KVM_CAP_NR_MEMSLOTS */

/* Against slot 0: RAM at MKVM_RAM_IPA, MKVM_RAM_SIZE bytes. */
static const struct memslot_case {
	const char *name;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr_offset;	/* into a fresh, page-aligned buffer */
	int err;
} memslot_cases[] = {
	{ "gpa unaligned", 1, 0, 0xc0000800, 0x10000, 0, -EINVAL },
	{ "size unaligned", 1, 0, 0xc0000000, 0x10800, 0, -EINVAL },
	{ "uaddr unaligned", 1, 0, 0xc0000000, 0x10000, 0x10, -EINVAL },
	{ "gpa wraps", 1, 0, ~0ull - 0xfffff, 0x200000, 0, -EINVAL },
	{ "size huge", 1, 0, 0, 1ull << 52, 0, -EINVAL },
	{ "size all ones", 1, 0, 0, ~0ull & ~0xfffull, 0, -EINVAL },
	{ "slot id too big", SLOT_ID_NR, 0, 0xc0000000, 0x10000, 0, -EINVAL },
	{ "slot id 0xffff", 0xffff, 0, 0xc0000000, 0x10000, 0, -EINVAL },
	{ "address space 1", (1 << 16) | 1, 0, 0xc0000000, 0x10000, 0, -EINVAL },
	{ "flags bit 3", 1, 1 << 3, 0xc0000000, 0x10000, 0, -EINVAL },
	{ "flags bit 31", 1, 1u << 31, 0xc0000000, 0x10000, 0, -EINVAL },
	{ "guest_memfd flag", 1, KVM_MEM_GUEST_MEMFD, 0xc0000000, 0x10000, 0,
	  -EINVAL },
	{ "delete a slot that is not there", 5, 0, 0xc0000000, 0, 0, -EINVAL },
	{ "overlap: same range", 1, 0, MKVM_RAM_IPA, MKVM_RAM_SIZE, 0, -EEXIST },
	{ "overlap: start", 1, 0, MKVM_RAM_IPA - 0x1000, 0x2000, 0, -EEXIST },
	{ "overlap: end", 1, 0, MKVM_RAM_IPA + MKVM_RAM_SIZE - 0x1000, 0x2000,
	  0, -EEXIST },
	{ "overlap: inside", 1, 0, MKVM_RAM_IPA + 0x1000, 0x1000, 0, -EEXIST },
	{ "overlap: around", 1, 0, MKVM_RAM_IPA - 0x200000, 0x800000, 0,
	  -EEXIST },
	{ "slot 0: resize", 0, 0, MKVM_RAM_IPA, 2 * MKVM_RAM_SIZE, 0, -EINVAL },
	{ "slot 0: new uaddr", 0, 0, MKVM_RAM_IPA, MKVM_RAM_SIZE, 0, -EINVAL },
	{ "slot 0: make read-only", 0, KVM_MEM_READONLY, MKVM_RAM_IPA,
	  MKVM_RAM_SIZE, 0, -EINVAL },
	{ "adjacent below", 1, 0, MKVM_RAM_IPA - 0x10000, 0x10000, 0, 0 },
	{ "adjacent above", 1, 0, MKVM_RAM_IPA + MKVM_RAM_SIZE, 0x10000, 0, 0 },
	{ "read-only", 1, KVM_MEM_READONLY, 0xc0000000, 0x10000, 0, 0 },
	{ "slot id NR - 1", SLOT_ID_NR - 1, 0, 0xc0000000, 0x10000, 0, 0 },
};

TEST_F(vm, memslot_arguments)
{
	int nr = check_extension(self->vm, KVM_CAP_NR_MEMSLOTS);
	char *buf = mkvm_alloc(4 * MKVM_RAM_SIZE);
	unsigned int i;

	ASSERT_LT(1, nr);
	for (i = 0; i < ARRAY_SIZE(memslot_cases); i++) {
		const struct memslot_case *c = &memslot_cases[i];
		uint32_t slot = c->slot;
		int ret;

		if (slot == SLOT_ID_NR)
			slot = nr;
		else if (slot == SLOT_ID_NR - 1)
			slot = nr - 1;
		ret = _vm_set_memory(self->vm, slot, c->flags, c->gpa, c->size,
				     (uintptr_t)buf + c->uaddr_offset);
		EXPECT_EQ(c->err, ret) TH_LOG("%s", c->name);
		/* Undo a slot that was made, so the next case starts clean. */
		if (!ret)
			EXPECT_EQ(0, _vm_set_memory(self->vm, slot, c->flags,
						    c->gpa, 0, 0))
				TH_LOG("%s: delete", c->name);
	}
	munmap(buf, 4 * MKVM_RAM_SIZE);
}

/* A slot can be deleted, re-made elsewhere and moved; the guest follows. */
MKVM_GUEST(guest_read_c0,
	"movz	x6, #0xc000, lsl #16\n"
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	G_DONE);

TEST_F(vm, memslot_delete_and_move)
{
	uint64_t *mem = mkvm_alloc(0x10000);
	struct kvm_run *run;

	vm_load_code(self->vm, MKVM_CODE_IPA, guest_read_c0, guest_read_c0_end);
	mem[0] = 0x600dc0de;
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, 0xd0000000, 0x10000,
				    (uintptr_t)mem));
	/* Moved: same uaddr and size, new IPA. */
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, 0xc0000000, 0x10000,
				    (uintptr_t)mem));
	self->vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(0x600dc0de, vcpu_report(self->vcpu));
	vcpu_done(self->vcpu);

	/* Deleted: the same load is now an MMIO exit. */
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, 0xc0000000, 0, 0));
	vcpu_set_pc(self->vcpu, MKVM_CODE_IPA);
	run = vcpu_run_expect(self->vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(0xc0000000, run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.is_write);
	munmap(mem, 0x10000);
}

TEST_F(vm, create_vcpu_ids)
{
	int max_id = check_extension(self->vm, KVM_CAP_MAX_VCPU_ID);
	struct mkvm_vcpu *vcpu = NULL;

	ASSERT_LE(4, max_id);
	ASSERT_EQ(0, _vm_vcpu_create(self->vm, 0, &self->vcpu));
	EXPECT_EQ(-EEXIST, _vm_vcpu_create(self->vm, 0, &vcpu));
	EXPECT_EQ(-EINVAL, _vm_vcpu_create(self->vm, max_id, &vcpu));
	EXPECT_EQ(-EINVAL, _vm_vcpu_create(self->vm, 0x7fffffff, &vcpu));
	EXPECT_EQ(-EINVAL, _vm_vcpu_create(self->vm, ~0u, &vcpu));
	ASSERT_EQ(0, _vm_vcpu_create(self->vm, max_id - 1, &vcpu));
	vcpu_free(vcpu);
}

/* Before KVM_ARM_VCPU_INIT a vCPU neither runs nor has registers. */
TEST_F(vm, vcpu_uninitialised)
{
	uint64_t val;

	ASSERT_EQ(0, _vm_vcpu_create(self->vm, 0, &self->vcpu));
	EXPECT_EQ(-ENOEXEC, _vcpu_run(self->vcpu));
	EXPECT_EQ(-ENOEXEC, _vcpu_get_reg(self->vcpu, MKVM_PC, &val));
	EXPECT_EQ(-ENOEXEC, _vcpu_set_reg(self->vcpu, MKVM_PC, 0));
}

TEST_F(vm, vcpu_init_arguments)
{
	struct kvm_vcpu_init pref, init;

	ASSERT_EQ(0, _vm_vcpu_create(self->vm, 0, &self->vcpu));
	ASSERT_EQ(0, mkvm_ioctl(self->vm->fd, KVM_ARM_PREFERRED_TARGET, &pref));

	/* A feature bit KVM does not know. */
	init = pref;
	init.features[0] = 1u << 31;
	EXPECT_EQ(-ENOENT, mkvm_ioctl(self->vcpu->fd, KVM_ARM_VCPU_INIT, &init));
	init = pref;
	init.features[1] = 1;
	EXPECT_EQ(-ENOENT, mkvm_ioctl(self->vcpu->fd, KVM_ARM_VCPU_INIT, &init));
	/* A target that is neither the preferred one nor generic. */
	init = pref;
	init.target = 0xdead;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu->fd, KVM_ARM_VCPU_INIT, &init));

	ASSERT_EQ(0, _vcpu_init(self->vcpu, 0));
	/* Again with the same features: allowed (it resets the vCPU)... */
	vcpu_set_reg(self->vcpu, MKVM_XREG(3), 0x1234);
	ASSERT_EQ(0, _vcpu_init(self->vcpu, 0));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, MKVM_XREG(3)));
	/* POWER_OFF is per vCPU and per call, not part of the feature set... */
	EXPECT_EQ(0, _vcpu_init(self->vcpu, 1u << KVM_ARM_VCPU_POWER_OFF));
	/* ... which cannot change once set (here: PSCI 0.2 dropped). */
	init = pref;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu->fd, KVM_ARM_VCPU_INIT, &init));
}

/* The state KVM_ARM_VCPU_INIT leaves: EL1h, DAIF masked, MMU off. */
TEST_F(vm, vcpu_reset_state)
{
	uint64_t pstate, sctlr;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	pstate = vcpu_get_reg(self->vcpu, MKVM_PSTATE);
	EXPECT_EQ(PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_D_BIT,
		  pstate);
	sctlr = vcpu_get_reg(self->vcpu, MKVM_SCTLR_EL1);
	EXPECT_EQ(0, sctlr & 5) TH_LOG("SCTLR_EL1 %#llx", (unsigned long long)sctlr);
}

/* Core registers (struct kvm_regs) read back what was written. */
TEST_F(vm, one_reg_core_round_trip)
{
	struct { uint64_t id; uint64_t val; } regs[34];
	__uint128_t v, got;
	struct kvm_one_reg reg;
	unsigned int i, n = 0;
	uint32_t w;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < 31; i++)
		regs[n++] = (typeof(regs[0])){ MKVM_XREG(i),
			0x0101010101010101ull * (i + 1) ^ 0x8000000000000000ull };
	regs[n++] = (typeof(regs[0])){ MKVM_SP_EL0, 0xffff800012345670ull };
	regs[n++] = (typeof(regs[0])){ MKVM_PC, 0xffff800087654320ull };
	regs[n++] = (typeof(regs[0])){ MKVM_PSTATE, 0xf0000000 | PSR_MODE_EL1t };

	for (i = 0; i < n; i++)
		vcpu_set_reg(self->vcpu, regs[i].id, regs[i].val);
	for (i = 0; i < n; i++)
		EXPECT_EQ(regs[i].val, vcpu_get_reg(self->vcpu, regs[i].id))
			TH_LOG("reg %u", i);

	/* FP/SIMD: 128-bit vregs and 32-bit fpsr/fpcr. */
	for (i = 0; i < 32; i++) {
		v = ((__uint128_t)(0xa5a5000000000000ull + i) << 64) | (~0ull - i);
		reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |
			 KVM_REG_ARM_CORE_REG(fp_regs.vregs[i]);
		reg.addr = (uintptr_t)&v;
		EXPECT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_SET_ONE_REG, &reg));
		got = 0;
		reg.addr = (uintptr_t)&got;
		EXPECT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_GET_ONE_REG, &reg));
		EXPECT_TRUE(v == got) TH_LOG("v%u", i);
	}
	w = 0x08000000;	/* FPSR.QC */
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |
		 KVM_REG_ARM_CORE_REG(fp_regs.fpsr);
	reg.addr = (uintptr_t)&w;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_SET_ONE_REG, &reg));
	w = 0;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(0x08000000, w);
}

/* EL1 state a VMM sets up before the first KVM_RUN. */
TEST_F(vm, one_reg_sysreg_round_trip)
{
	static const struct {
		const char *name;
		uint64_t id;
		uint64_t val;
	} regs[] = {
		{ "SCTLR_EL1", MKVM_SCTLR_EL1, 0x0000000034d5d91dull },
		{ "TCR_EL1", MKVM_TCR_EL1, 0x00000034b5193519ull },
		{ "MAIR_EL1", MKVM_MAIR_EL1, 0x000000000044ff04ull },
		{ "TTBR0_EL1", MKVM_TTBR0_EL1, 0x0000000081234000ull },
		{ "TTBR1_EL1", MKVM_TTBR1_EL1, 0x0001000081235000ull },
		{ "VBAR_EL1", MKVM_VBAR_EL1, 0xffff800080010800ull },
		{ "CPACR_EL1", MKVM_CPACR_EL1, 0x300000 },
		{ "TPIDR_EL0", MKVM_TPIDR_EL0, 0x0123456789abcdefull },
		{ "TPIDR_EL1", MKVM_TPIDR_EL1, 0xfedcba9876543210ull },
		{ "TPIDRRO_EL0", MKVM_TPIDRRO_EL0, 0x1122334455667788ull },
		{ "SP_EL1", MKVM_SP_EL1, 0xffff800011110000ull },
		{ "ELR_EL1", MKVM_ELR_EL1, 0xffff800022220004ull },
		{ "SPSR_EL1", MKVM_SPSR_EL1, 0x600003c5 },
		{ "CNTV_CVAL", KVM_REG_ARM_TIMER_CVAL, 0x00ffffffffffffffull },
		{ "CNTV_CTL", KVM_REG_ARM_TIMER_CTL, 3 },	/* ENABLE|IMASK */
	};
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		const char *name = regs[i].name;

		EXPECT_EQ(0, _vcpu_set_reg(self->vcpu, regs[i].id, regs[i].val))
			TH_LOG("%s", name);
	}
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		const char *name = regs[i].name;

		EXPECT_EQ(regs[i].val, vcpu_get_reg(self->vcpu, regs[i].id))
			TH_LOG("%s", name);
	}
}

/*
 * MPIDR_EL1 follows the vCPU id (Aff0 = id[3:0], Aff1 = id[11:4]) with
 * bit 31 RES1, and the guest reads the same value.
 */
MKVM_GUEST(guest_mpidr,
	"mrs	x0, mpidr_el1\n"
	G_REPORT("x0")
	G_DONE);

TEST_F(vm, mpidr)
{
	static const struct { unsigned int id; uint64_t mpidr; } cases[] = {
		{ 0, 0x80000000 }, { 1, 0x80000001 }, { 17, 0x80000101 },
	};
	unsigned int i;

	vm_load_code(self->vm, MKVM_CODE_IPA, guest_mpidr, guest_mpidr_end);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mkvm_vcpu *vcpu = vm_vcpu_add(self->vm, cases[i].id);

		EXPECT_EQ(cases[i].mpidr, vcpu_get_reg(vcpu, MKVM_MPIDR_EL1))
			TH_LOG("vcpu %u", cases[i].id);
		EXPECT_EQ(cases[i].mpidr, vcpu_report(vcpu))
			TH_LOG("vcpu %u", cases[i].id);
		vcpu_free(vcpu);
	}
}

TEST_F(vm, one_reg_bad_ids)
{
	static const struct {
		const char *name;
		uint64_t id;
		int err;
	} cases[] = {
		{ "core x0 as u32", KVM_REG_ARM64 | KVM_REG_SIZE_U32 |
		  KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[0]),
		  -EINVAL },
		{ "core x0 as u128", KVM_REG_ARM64 | KVM_REG_SIZE_U128 |
		  KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[0]),
		  -EINVAL },
		{ "core, misaligned", MKVM_XREG(0) + 1, -EINVAL },
		{ "core, past kvm_regs", KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
		  KVM_REG_ARM_CORE | (sizeof(struct kvm_regs) / 4), -ENOENT },
		{ "unknown sysreg", ARM64_SYS_REG(3, 7, 15, 15, 7), -ENOENT },
		{ "sysreg as u32", (ARM64_SYS_REG(3, 0, 1, 0, 0) &
		  ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32, -ENOENT },
		{ "not arm64", KVM_REG_X86 | KVM_REG_SIZE_U64 | 1, -EINVAL },
		{ "unknown coprocessor", KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
		  (0x7fffull << KVM_REG_ARM_COPROC_SHIFT), -ENOENT },
	};
	unsigned int i;
	uint64_t buf[2];

	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct kvm_one_reg reg = { cases[i].id, (uintptr_t)buf };

		EXPECT_EQ(cases[i].err,
			  mkvm_ioctl(self->vcpu->fd, KVM_GET_ONE_REG, &reg))
			TH_LOG("get %s", cases[i].name);
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(cases[i].err,
			  mkvm_ioctl(self->vcpu->fd, KVM_SET_ONE_REG, &reg))
			TH_LOG("set %s", cases[i].name);
	}
}

/* PSTATE must name a mode the vCPU has: AArch64 EL0/EL1 here (no NV). */
TEST_F(vm, pstate_bad_mode)
{
	static const uint64_t bad[] = {
		PSR_MODE_EL2h, PSR_MODE_EL2t, PSR_MODE_EL3h, 0x2,
		PSR_MODE32_BIT | 0x13,	/* AArch32 SVC: EL1 is AArch64 */
		PSR_MODE32_BIT | 0x1a,	/* AArch32 HYP */
	};
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long long pstate = bad[i];

		EXPECT_EQ(-EINVAL, _vcpu_set_reg(self->vcpu, MKVM_PSTATE, pstate))
			TH_LOG("pstate %#llx", pstate);
	}
	EXPECT_EQ(0, _vcpu_set_reg(self->vcpu, MKVM_PSTATE, PSR_MODE_EL0t));
	EXPECT_EQ(PSR_MODE_EL0t, vcpu_get_reg(self->vcpu, MKVM_PSTATE));
}

static bool reg_list_has(const struct kvm_reg_list *list, uint64_t id)
{
	uint64_t i;

	for (i = 0; i < list->n; i++)
		if (list->reg[i] == id)
			return true;
	return false;
}

TEST_F(vm, get_reg_list)
{
	static const uint64_t must[] = {
		MKVM_SP_EL0, MKVM_PC, MKVM_PSTATE, MKVM_SP_EL1, MKVM_ELR_EL1,
		MKVM_SPSR_EL1, MKVM_SCTLR_EL1, MKVM_TCR_EL1, MKVM_MAIR_EL1,
		MKVM_TTBR0_EL1, MKVM_TTBR1_EL1, MKVM_VBAR_EL1, MKVM_CPACR_EL1,
		MKVM_TPIDR_EL0, MKVM_TPIDR_EL1, MKVM_TPIDRRO_EL0,
		MKVM_MPIDR_EL1, KVM_REG_ARM_TIMER_CTL, KVM_REG_ARM_TIMER_CVAL,
	};
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint64_t n, i;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(-E2BIG, mkvm_ioctl(self->vcpu->fd, KVM_GET_REG_LIST, &probe));
	n = probe.n;
	ASSERT_LT(34, n);
	ASSERT_GT(10000, n);

	/* One short is still too small, and says so again. */
	list = calloc(1, sizeof(*list) + (n + 1) * sizeof(list->reg[0]));
	ASSERT_NE(NULL, list);
	list->n = n - 1;
	EXPECT_EQ(-E2BIG, mkvm_ioctl(self->vcpu->fd, KVM_GET_REG_LIST, list));
	EXPECT_EQ(n, list->n);

	list->n = n + 1;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_GET_REG_LIST, list));
	EXPECT_EQ(n, list->n);
	for (i = 0; i < 31; i++)
		EXPECT_TRUE(reg_list_has(list, MKVM_XREG(i)))
			TH_LOG("x%llu", (unsigned long long)i);
	for (i = 0; i < ARRAY_SIZE(must); i++)
		EXPECT_TRUE(reg_list_has(list, must[i]))
			TH_LOG("%#llx", (unsigned long long)must[i]);
	/* Every listed register can be read. */
	for (i = 0; i < list->n; i++) {
		uint8_t buf[256];
		struct kvm_one_reg reg = { list->reg[i], (uintptr_t)buf };

		if (KVM_REG_SIZE(list->reg[i]) > sizeof(buf))
			continue;
		EXPECT_EQ(0, mkvm_ioctl(self->vcpu->fd, KVM_GET_ONE_REG, &reg))
			TH_LOG("%#llx", (unsigned long long)list->reg[i]);
	}
	free(list);
}

/* Pointer arguments the kernel cannot read or write: EFAULT. */
TEST_F(vm, bad_pointers)
{
	struct kvm_one_reg reg = { MKVM_PC, 0 };
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct ioctl_case cases[] = {
		{ "SET_USER_MEMORY_REGION NULL", VM_FD,
		  KVM_SET_USER_MEMORY_REGION, NULL },
		{ "SET_USER_MEMORY_REGION unmapped", VM_FD,
		  KVM_SET_USER_MEMORY_REGION, unmapped },
		{ "ARM_PREFERRED_TARGET NULL", VM_FD,
		  KVM_ARM_PREFERRED_TARGET, NULL },
		{ "ARM_VCPU_INIT NULL", VCPU_FD, KVM_ARM_VCPU_INIT, NULL },
		{ "GET_ONE_REG NULL", VCPU_FD, KVM_GET_ONE_REG, NULL },
		{ "SET_ONE_REG NULL", VCPU_FD, KVM_SET_ONE_REG, NULL },
		{ "GET_ONE_REG addr NULL", VCPU_FD, KVM_GET_ONE_REG, &reg },
		{ "SET_ONE_REG addr NULL", VCPU_FD, KVM_SET_ONE_REG, &reg },
		{ "GET_REG_LIST NULL", VCPU_FD, KVM_GET_REG_LIST, NULL },
		{ "GET_REG_LIST unmapped", VCPU_FD, KVM_GET_REG_LIST,
		  unmapped },
	};
	unsigned int i;

	ASSERT_NE(MAP_FAILED, unmapped);
	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ioctl_case *c = &cases[i];

		EXPECT_EQ(-EFAULT, mkvm_ioctl(fd_of(self, c->fd), c->req, c->arg))
			TH_LOG("%s", c->name);
	}
	munmap(unmapped, 4096);
}

/* Each fd answers its own ioctls only; KVM says EINVAL to the others. */
TEST_F(vm, ioctl_on_wrong_fd)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_vcpu_init init = { 0 };
	const struct ioctl_case cases[] = {
		{ "RUN on vm fd", VM_FD, KVM_RUN, NULL },
		{ "ARM_VCPU_INIT on vm fd", VM_FD, KVM_ARM_VCPU_INIT, &init },
		{ "CREATE_VM on vm fd", VM_FD, KVM_CREATE_VM, NULL },
		{ "CREATE_VCPU on system fd", SYS_FD, KVM_CREATE_VCPU,
		  (void *)1 },
		{ "SET_USER_MEMORY_REGION on system fd", SYS_FD,
		  KVM_SET_USER_MEMORY_REGION, &region },
		{ "RUN on system fd", SYS_FD, KVM_RUN, NULL },
		{ "CREATE_VCPU on vcpu fd", VCPU_FD, KVM_CREATE_VCPU,
		  (void *)1 },
		{ "SET_USER_MEMORY_REGION on vcpu fd", VCPU_FD,
		  KVM_SET_USER_MEMORY_REGION, &region },
		{ "CREATE_VM on vcpu fd", VCPU_FD, KVM_CREATE_VM, NULL },
		{ "ARM_PREFERRED_TARGET on vcpu fd", VCPU_FD,
		  KVM_ARM_PREFERRED_TARGET, &init },
	};
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ioctl_case *c = &cases[i];

		EXPECT_EQ(-EINVAL, mkvm_ioctl(fd_of(self, c->fd), c->req, c->arg))
			TH_LOG("%s", c->name);
	}
}

/*
 * A vCPU fd holds its VM: with the VM and system fds closed, the vCPU
 * still runs its guest out of the VM's memory.
 */
MKVM_GUEST(guest_sum,
	"add	x2, x0, x1\n"
	G_REPORT("x2")
	G_DONE);

TEST_F(vm, vcpu_outlives_vm_fd)
{
	vm_load_code(self->vm, MKVM_CODE_IPA, guest_sum, guest_sum_end);
	self->vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(self->vcpu, MKVM_XREG(0), 40);
	vcpu_set_reg(self->vcpu, MKVM_XREG(1), 2);
	ASSERT_EQ(0, close(self->vm->fd));
	ASSERT_EQ(0, close(self->vm->kvm_fd));
	self->vm->fd = -1;
	self->vm->kvm_fd = -1;
	EXPECT_EQ(42, vcpu_report(self->vcpu));
	vcpu_done(self->vcpu);
	EXPECT_EQ(MKVM_RAM_IPA, vcpu_get_reg(self->vcpu, MKVM_VBAR_EL1));
}

TEST_HARNESS_MAIN
