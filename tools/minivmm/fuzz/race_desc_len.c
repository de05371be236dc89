// SPDX-License-Identifier: GPL-2.0
/*
 * The double fetch of issue 13: one guest vCPU keeps kicking a virtio-blk
 * read request while another flips the length of its status descriptor,
 * the last byte of guest RAM, between 1 and 2.  A device that checks one
 * read of the length and uses another writes the status byte just past
 * guest RAM, where the address sanitizer stops this program.  A device that uses one copy either serves the request or
 * finds the chain outside RAM and needs a reset; both are counted.
 *
 *   race_desc_len [SECONDS]	default 3
 *
 * Exit status 0 when the time is up without a crash; the output says how
 * often each outcome happened.
 *
 * Two threads only race when the host gives them two CPUs at once, which a
 * loaded machine rarely does.  So first comes a deterministic round (x86
 * hosts): the page of the rings is made inaccessible, and every access to
 * it - each fetch of a descriptor - faults; the SIGSEGV handler flips the
 * length, lets that one instruction run (the trap flag) and protects the
 * page again.  Any two fetches of the same length then see different
 * values, on every kick, without relying on timing.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "../virtio-mmio.h"
#include "fuzz.h"

#define HDR	(FUZZ_RAM_BASE + 0x8000)
#define DATA	(FUZZ_RAM_BASE + 0x9000)
/* The last byte of RAM: one byte more is the sanitizer's red zone. */
#define STATUS	(FUZZ_RAM_BASE + FUZZ_RAM_SIZE - 1)
#define BAD_LEN	2

static volatile int done;

#ifdef __x86_64__
#define X86_EFLAGS_TF	0x100
static uint8_t *trap_page;
static unsigned long trap_faults;
static volatile uint32_t *trap_len;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint8_t *addr = si->si_addr;

	if (addr < trap_page || addr >= trap_page + 4096) {
		/* A real fault: the device went outside guest RAM.  Die of it. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	mprotect(trap_page, 4096, PROT_READ | PROT_WRITE);
	*trap_len = *trap_len == 1 ? BAD_LEN : 1;
	trap_faults++;
	uc->uc_mcontext.gregs[REG_EFL] |= X86_EFLAGS_TF;
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	uc->uc_mcontext.gregs[REG_EFL] &= ~X86_EFLAGS_TF;
	mprotect(trap_page, 4096, PROT_NONE);
}

static void trap_fetches(void *page, volatile uint32_t *len)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO };

	trap_page = page;
	trap_len = len;
	sa.sa_sigaction = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	mprotect(trap_page, 4096, PROT_NONE);
}

static void untrap_fetches(void)
{
	mprotect(trap_page, 4096, PROT_READ | PROT_WRITE);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);
}
#endif

static void *flipper(void *arg)
{
	volatile uint32_t *len = arg;

	while (!done) {
		*len = BAD_LEN;
		*len = 1;
	}
	return NULL;
}

static void *gpa(struct kvm *kvm, uint64_t addr)
{
	return kvm->mem.host + (addr - FUZZ_RAM_BASE);
}

static void post(struct kvm *kvm, uint64_t ring)
{
	volatile uint16_t *avail_idx = gpa(kvm, ring + 0x800 + 2);
	uint16_t *slot = gpa(kvm, ring + 0x800 + 4);

	slot[*avail_idx % 8] = 0;
	__atomic_store_n(avail_idx, *avail_idx + 1, __ATOMIC_RELEASE);
	fuzz_vm__mmio_write32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	fuzz_vm__serve(kvm);
}

static void setup(struct kvm *kvm, uint64_t ring)
{
	struct vring_desc *d = gpa(kvm, ring);
	struct virtio_blk_outhdr *hdr = gpa(kvm, HDR);

	/* A driver starts its rings empty (2.7.6.1, 2.7.8.1). */
	memset(gpa(kvm, ring + 0x800), 0, 0x400);
	fuzz_vm__setup_queue(kvm, 0, 0, 8);
	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 0;
	d[0] = (struct vring_desc){ HDR, sizeof(*hdr), VRING_DESC_F_NEXT, 1 };
	d[1] = (struct vring_desc){ DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	d[2] = (struct vring_desc){ STATUS, 1, VRING_DESC_F_WRITE, 0 };
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 3;
	struct kvm *kvm = fuzz_vm__create(FUZZ_BLK);
	uint64_t ring = fuzz_vm__queue_base(0, 0);
	volatile uint16_t *used_idx = gpa(kvm, ring + 0xa00 + 2);
	unsigned long kicks = 0, served = 0, broken = 0;
	uint16_t last_used = 0;
	struct vring_desc *d = gpa(kvm, ring);
	time_t end;
	pthread_t t;

	setup(kvm, ring);
#ifdef __x86_64__
	/* The rings' page: guest RAM is page aligned (fuzz_vm__create()). */
	trap_fetches(gpa(kvm, ring), &d[2].len);
	for (kicks = 0; kicks < 2000; kicks++) {
		uint16_t used;

		/* One more fetch every other kick: the device sees both lengths. */
		if (kicks & 1)
			(void)*(volatile uint8_t *)gpa(kvm, ring + 0xf00);
		post(kvm, ring);
		used = *used_idx;
		if (used != last_used) {
			last_used = used;
			served++;
		} else {
			broken++;
			untrap_fetches();
			fuzz_vm__mmio_write32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS, 0);
			last_used = 0;
			setup(kvm, ring);
			trap_fetches(gpa(kvm, ring), &d[2].len);
		}
	}
	untrap_fetches();
	printf("race_desc_len: every fetch flipped (%lu fetches): %lu kicks: %lu served, %lu refused\n",
	       trap_faults, kicks, served, broken);
	kicks = served = broken = 0;
	fuzz_vm__mmio_write32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS, 0);
	last_used = 0;
	setup(kvm, ring);
	d[2].len = 1;
#endif
	end = time(NULL) + seconds;
	if (pthread_create(&t, NULL, flipper, &d[2].len))
		return 1;
	while (time(NULL) < end) {
		post(kvm, ring);
		kicks++;
		if (*used_idx != last_used) {
			last_used = *used_idx;
			served++;
		} else if (fuzz_vm__mmio_read32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS) &
			   VIRTIO_STATUS_NEEDS_RESET) {
			broken++;
			fuzz_vm__mmio_write32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS, 0);
			last_used = 0;
			setup(kvm, ring);
		} else {
			fprintf(stderr, "race_desc_len: request neither served nor refused (kick %lu, used %u, status %#x)\n",
				kicks, *used_idx, fuzz_vm__mmio_read32(kvm, VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS));
			return 1;
		}
	}
	done = 1;
	pthread_join(t, NULL);
	fuzz_vm__destroy(kvm);
	printf("race_desc_len: a second thread flipping: %lu kicks: %lu served, %lu refused (device needs reset)\n",
	       kicks, served, broken);
	return 0;
}
