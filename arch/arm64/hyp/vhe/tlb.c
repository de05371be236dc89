// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../tlb.c (see Kbuild, Documentation/el2.rst). */
#include "../tlb.c"
