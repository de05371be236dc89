// SPDX-License-Identifier: GPL-2.0
/* The VHE build of ../vgic-v3-sr.c (see Kbuild, Documentation/el2.rst). */
#include "../vgic-v3-sr.c"
