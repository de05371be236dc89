/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello: the smallest useful guest.  Prints a greeting on the PL011 of
 * QEMU's virt layout and powers the VM off through PSCI.
 *
 * Entered at EL1 with the MMU off, from any load address: it uses only
 * PC-relative addressing and needs no stack.  With the MMU off every data
 * access is Device-nGnRnE, so the UART accesses are neither merged nor
 * reordered, and each is a plain LDR/STR: a single register, no writeback,
 * so the data abort carries a valid syndrome (ISV) that the hypervisor can
 * hand to the VMM as an MMIO exit.
 */
#define UART_BASE	0x09000000
#define UARTDR		0x00
#define UARTFR		0x18
#define UARTFR_TXFF_BIT	5
#define PSCI_SYSTEM_OFF	0x84000008	/* SMCCC fast call, PSCI 0.2 function 8 */

	.text
	.globl	_start
_start:
	mov	x19, #UART_BASE
	adr	x20, greeting
1:	ldrb	w21, [x20], #1		/* RAM: writeback is fine here */
	cbz	w21, 3f
2:	ldr	w22, [x19, #UARTFR]	/* wait while the transmit FIFO is full */
	tbnz	w22, #UARTFR_TXFF_BIT, 2b
	str	w21, [x19, #UARTDR]
	b	1b

3:	ldr	x0, =PSCI_SYSTEM_OFF
	hvc	#0
	/* SYSTEM_OFF does not return; if it does, park quietly. */
4:	wfi
	b	4b

greeting:
	.asciz	"Hello from a minikvm guest!\n"
	.balign	8
	.ltorg
