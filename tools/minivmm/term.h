/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal: guest console input from stdin, in raw mode when stdin is
 * a terminal (Ctrl-A x quits), as a plain stream when it is not.
 */
#ifndef MINIVMM_TERM_H
#define MINIVMM_TERM_H

struct kvm;

int term__init(struct kvm *kvm);
void term__exit(struct kvm *kvm);

#endif /* MINIVMM_TERM_H */
