/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest FP/SIMD registers, loaded and saved at EL1 around each guest entry
 * (between kernel_neon_begin() and kernel_neon_end(), which have saved the
 * host task's state).  x0 = struct user_fpsimd_state *.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/fpsimdmacros.h>

SYM_FUNC_START(mkvm_fpsimd_save)
	fpsimd_save x0, 8
	ret
SYM_FUNC_END(mkvm_fpsimd_save)

SYM_FUNC_START(mkvm_fpsimd_load)
	fpsimd_restore x0, 8
	ret
SYM_FUNC_END(mkvm_fpsimd_load)
