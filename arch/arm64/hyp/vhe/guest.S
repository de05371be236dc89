/* SPDX-License-Identifier: GPL-2.0 */
/* The VHE build of ../guest.S (see Kbuild, Documentation/el2.rst). */
#include "../guest.S"
