/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the C payloads (hostile.c, netbad.c): a stack 1 MiB above the load
 * address, then C.  Position independent, like every payload here.
 */
	.text
	.globl	_start
_start:
	adr	x1, _start
	mov	x2, #0x100000
	add	sp, x1, x2
	bl	payload_main
1:	wfi
	b	1b
