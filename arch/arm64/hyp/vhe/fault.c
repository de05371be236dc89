// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../fault.c (see Kbuild, Documentation/el2.rst). */
#include "../fault.c"
