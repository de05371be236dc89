/* SPDX-License-Identifier: GPL-2.0 */
/* minivmm's subcommands: each parses its own options, returns an exit status. */
#ifndef MINIVMM_H
#define MINIVMM_H

#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int info__cmd(int argc, char **argv);
void info__usage(FILE *f);
int run__cmd(int argc, char **argv);
void run__usage(FILE *f);

#endif /* MINIVMM_H */
