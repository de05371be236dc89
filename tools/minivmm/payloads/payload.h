/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What minivmm's C payloads (hostile.c, netbad.c) share: the guest's
 * address map as minivmm --raw lays it out, the virtio-mmio registers and
 * split-ring descriptors, MMIO accessors, the counter and the PL011.
 * Freestanding, MMU off: every access is Device-nGnRnE, in program order,
 * and each MMIO access is one plain LDR/STR through inline asm, so that
 * the data abort has a valid syndrome.
 */
#ifndef MINIVMM_PAYLOAD_H
#define MINIVMM_PAYLOAD_H

#include <stdint.h>

#define RAM_BASE	0x80000000UL
#define UART		0x09000000UL
#define VIRTIO(n)	(0x0a000000UL + (n) * 0x200UL)
#define NR_SLOTS	8

/* virtio-mmio (version 2) registers, and the status bits. */
#define R_MAGIC		0x000
#define R_DEVICE_ID	0x008
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEAT	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_INT_ACK	0x064
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40

/* A split-ring descriptor and its flags. */
#define D_NEXT		1
#define D_WRITE		2

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline void mmio_w32(uintptr_t a, uint32_t v)
{
	__asm__ __volatile__("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline uint32_t mmio_r32(uintptr_t a)
{
	uint32_t v;

	__asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t cntvct(void)
{
	uint64_t v;

	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline uint64_t cntfrq(void)
{
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/*
 * Ring writes complete before the index that publishes them, and before
 * a kick.
 */
static inline void mb(void)
{
	__asm__ __volatile__("dsb sy" : : : "memory");
}

static inline void putc_uart(char c)
{
	while (mmio_r32(UART + 0x18) & (1U << 5))	/* UARTFR.TXFF */
		;
	mmio_w32(UART, c);
}

static inline void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

/* The virtio-mmio slot holding a device of type @id ("virt"), or 0. */
static inline uintptr_t find_device(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++)
		if (mmio_r32(VIRTIO(i) + R_MAGIC) == 0x74726976 &&
		    mmio_r32(VIRTIO(i) + R_DEVICE_ID) == id)
			return VIRTIO(i);
	return 0;
}

/* The compiler may call these for struct copies; the MMU is off, no libc. */
void *memset(void *p, int c, unsigned long n)
{
	volatile uint8_t *b = p;

	while (n--)
		*b++ = c;
	return p;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	volatile uint8_t *o = d;
	const uint8_t *i = s;

	while (n--)
		*o++ = *i++;
	return d;
}

#endif /* MINIVMM_PAYLOAD_H */
