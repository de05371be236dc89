// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's many-buffer requests (SEG_MAX), checked by content: a
 * write whose data is spread over buffers of odd sizes, read back into
 * buffers cut elsewhere, must give back the same bytes, and both
 * requests must complete with VIRTIO_BLK_S_OK.  The fuzzers only see
 * that no access leaves guest RAM; this sees where the bytes land.  It
 * is built like them, with BLK_IO_CHUNK of 1000 bytes, so that the file
 * I/O is cut into pieces inside buffers and between them as well.
 *
 *   blk_segments		exit status 0 when every case matches
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"

#define BUF		0x4000		/* post_chain()'s buffer area */
#define WDATA		0x0100		/* the write's data, offsets in BUF */
#define RDATA		0x8000		/* where the read puts it */
#define RHDR		0x3000		/* the read's header */
#define STATUS		0xbf00

struct seg {
	uint16_t off, len;
	bool write;
};

/* A buffer the device reads, and one it writes. */
#define RD(off, len)	{ (off), (len), false }
#define WR(off, len)	{ (off), (len), true }

/* Input of fuzz-vm.c: post @n descriptors as one chain (action 5). */
static size_t chain(uint8_t *p, const struct seg *s, unsigned int n,
		    uint8_t head)
{
	size_t k = 0;
	unsigned int i;

	p[k++] = 5;
	p[k++] = 0;			/* device */
	p[k++] = 0;			/* queue */
	p[k++] = n - 1;
	p[k++] = 7;			/* 128 entries */
	p[k++] = head;
	for (i = 0; i < n; i++) {
		p[k++] = s[i].write ? VRING_DESC_F_WRITE : 0;
		memcpy(p + k, &s[i].off, 2);
		memcpy(p + k + 2, &s[i].len, 2);
		k += 4;
	}
	return k;
}

/*
 * Write the data of @w (after a 16-byte header at BUF, or sharing the
 * first buffer with it when @w[0] is longer) to sector 2, read it back
 * through @r, compare.
 */
static bool run_case(const char *name, const struct seg *w, unsigned int nw,
		     const struct seg *r, unsigned int nr)
{
	struct kvm *kvm = fuzz_vm__create(FUZZ_BLK);
	uint8_t in[2048], *ram = kvm->mem.host + BUF, want[0x3000];
	struct virtio_blk_outhdr hw = { .type = VIRTIO_BLK_T_OUT, .sector = 2 };
	struct virtio_blk_outhdr hr = { .type = VIRTIO_BLK_T_IN, .sector = 2 };
	size_t n = 0, len = 0, i, j, skip = sizeof(hw);
	bool ok;

	in[n++] = 4;			/* the queue up, as a driver does */
	in[n++] = 0;
	in[n++] = 0;
	in[n++] = 7;
	/* The write's header at w[0], its data after it in every buffer. */
	memcpy(ram + w[0].off, &hw, sizeof(hw));
	for (i = 0; i < nw && !w[i].write; i++) {
		for (j = skip; j < w[i].len; j++) {
			ram[w[i].off + j] = (uint8_t)(len * 13 + len / 253 + 1);
			want[len++] = ram[w[i].off + j];
		}
		skip = 0;
	}
	memcpy(ram + r[0].off, &hr, sizeof(hr));
	ram[STATUS] = 0xee;
	ram[r[nr - 1].off + r[nr - 1].len - 1] = 0xee;
	n += chain(in + n, w, nw, 0);
	n += chain(in + n, r, nr, 64);
	fuzz_vm__run(kvm, in, n);

	ok = ram[STATUS] == VIRTIO_BLK_S_OK &&
	     !memcmp(ram + RDATA, want, len) &&
	     ram[r[nr - 1].off + r[nr - 1].len - 1] == VIRTIO_BLK_S_OK;
	printf("blk_segments: %s: %zu bytes %s\n", name, len,
	       ok ? "match" : "DIFFER");
	fuzz_vm__destroy(kvm);
	return ok;
}

int main(void)
{
	/* Header alone; data in 7 buffers of odd sizes; status alone. */
	static const struct seg w1[] = {
		RD(0x0000, 16), RD(WDATA, 100), RD(WDATA + 0x100, 1),
		RD(WDATA + 0x200, 511), RD(WDATA + 0x600, 1000),
		RD(WDATA + 0xa00, 2500), RD(WDATA + 0x1400, 3),
		RD(WDATA + 0x1500, 1), WR(STATUS, 1),
	};
	/* Read back in 3 buffers, the status byte sharing the last. */
	static const struct seg r1[] = {
		RD(RHDR, 16), WR(RDATA, 2000),
		WR(RDATA + 2000, 16), WR(RDATA + 2016, 2100 + 1),
	};
	/* Header sharing the first buffer with 1,500 bytes of data. */
	static const struct seg w2[] = {
		RD(0x0000, 16 + 1500), RD(WDATA + 0x800, 1200),
		WR(STATUS, 1),
	};
	/* One buffer per byte at first, then the rest in one. */
	static const struct seg r2[] = {
		RD(RHDR, 16), WR(RDATA, 1), WR(RDATA + 1, 1),
		WR(RDATA + 2, 1), WR(RDATA + 3, 2697 + 1),
	};
	bool ok = true;

	ok &= run_case("odd-buffers", w1, sizeof(w1) / sizeof(w1[0]),
		       r1, sizeof(r1) / sizeof(r1[0]));
	ok &= run_case("shared-header-and-status", w2,
		       sizeof(w2) / sizeof(w2[0]), r2, sizeof(r2) / sizeof(r2[0]));
	return ok ? 0 : 1;
}
