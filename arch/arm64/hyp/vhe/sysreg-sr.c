// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../sysreg-sr.c (see Kbuild, Documentation/el2.rst). */
#include "../sysreg-sr.c"
