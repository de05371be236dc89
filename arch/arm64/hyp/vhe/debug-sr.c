// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../debug-sr.c (see Kbuild, Documentation/el2.rst). */
#include "../debug-sr.c"
