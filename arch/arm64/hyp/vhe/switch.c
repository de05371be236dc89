// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../switch.c (see Kbuild, Documentation/el2.rst). */
#include "../switch.c"
