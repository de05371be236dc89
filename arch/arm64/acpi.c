// SPDX-License-Identifier: GPL-2.0
/*
 * The host PPIs a running guest makes fire, on a host booted with ACPI
 * (no device tree): the GIC's maintenance interrupt from the MADT and the
 * EL1 virtual timer's from the GTDT.  Built only with CONFIG_ACPI.
 *
 * The kernel parses both tables at boot and keeps the numbers for its own
 * KVM (gic_kvm_info, arch_timer_kvm_info), but neither is exported, and
 * its MADT and GTDT parsers (acpi_table_parse_madt(), acpi_gtdt_map_ppi())
 * are __init.  What a module can use is ACPICA's acpi_get_table() and
 * acpi_put_table() and acpi_register_gsi(), which maps a GSI to a Linux
 * interrupt through the GIC's own ACPI domain - the same mapping the
 * kernel made, if it made one, so the descriptor is shared and never
 * disposed of here (see request_ppi() in vgic-cpuif.c).
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/acpi.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/printk.h>
#include "vgic-internal.h"

/*
 * The maintenance interrupt: every enabled GICC entry names it
 * (vgic_interrupt, 0 when the platform has none), as the kernel's GICv3
 * driver reads it (gic_acpi_parse_virt_madt_gicc()); they must agree, a
 * PPI being one number on every CPU.  ACPI_MADT_VGIC_IRQ_MODE set means
 * edge-triggered.
 */
static int acpi_maint_gsi(u32 *gsi, int *trigger)
{
	struct acpi_table_header *table;
	struct acpi_subtable_header *sub;
	u8 *p, *end;
	int ret = -ENODEV;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_MADT, 0, &table)))
		return -ENODEV;
	p = (u8 *)table + sizeof(struct acpi_table_madt);
	end = (u8 *)table + table->length;
	for (; p + sizeof(*sub) <= end; p += sub->length) {
		struct acpi_madt_generic_interrupt *gicc;

		sub = (struct acpi_subtable_header *)p;
		/* A zero length would loop forever: a broken table. */
		if (sub->length < sizeof(*sub) || p + sub->length > end) {
			ret = -EINVAL;
			break;
		}
		/*
		 * The entry grew with each ACPI revision (76 bytes in 5.1,
		 * 80 in 6.0, 82 in 6.5): only the fields read here must be
		 * in it.
		 */
		if (sub->type != ACPI_MADT_TYPE_GENERIC_INTERRUPT ||
		    sub->length < offsetofend(typeof(*gicc), vgic_interrupt))
			continue;
		gicc = (struct acpi_madt_generic_interrupt *)p;
		if (!(gicc->flags & ACPI_MADT_ENABLED) || !gicc->vgic_interrupt)
			continue;
		if (ret == 0 && gicc->vgic_interrupt != *gsi) {
			pr_err("ACPI MADT: GICC entries disagree on the maintenance interrupt\n");
			ret = -EINVAL;
			break;
		}
		*gsi = gicc->vgic_interrupt;
		*trigger = gicc->flags & ACPI_MADT_VGIC_IRQ_MODE ?
			   ACPI_EDGE_SENSITIVE : ACPI_LEVEL_SENSITIVE;
		ret = 0;
	}
	acpi_put_table(table);
	return ret;
}

/* The EL1 virtual timer: the GTDT's own field, with its mode and polarity. */
static int acpi_vtimer_gsi(u32 *gsi, int *trigger, int *polarity)
{
	struct acpi_table_header *table;
	struct acpi_table_gtdt *gtdt;
	int ret = -ENODEV;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_GTDT, 0, &table)))
		return -ENODEV;
	gtdt = (struct acpi_table_gtdt *)table;
	if (table->length >= offsetofend(typeof(*gtdt), virtual_timer_flags) &&
	    gtdt->virtual_timer_interrupt) {
		*gsi = gtdt->virtual_timer_interrupt;
		*trigger = gtdt->virtual_timer_flags & ACPI_GTDT_INTERRUPT_MODE ?
			   ACPI_EDGE_SENSITIVE : ACPI_LEVEL_SENSITIVE;
		*polarity = gtdt->virtual_timer_flags &
			    ACPI_GTDT_INTERRUPT_POLARITY ?
			    ACPI_ACTIVE_LOW : ACPI_ACTIVE_HIGH;
		ret = 0;
	}
	acpi_put_table(table);
	return ret;
}

/**
 * mkvm_acpi_host_ppi() - a host PPI's Linux interrupt, from ACPI tables
 * @ppi:	which one
 *
 * Return: the interrupt number, or -ENODEV when the tables do not name
 * it, -EINVAL when they are inconsistent, or acpi_register_gsi()'s error.
 */
int mkvm_acpi_host_ppi(enum mkvm_host_ppi ppi)
{
	int trigger, polarity = ACPI_ACTIVE_HIGH, ret;
	u32 gsi;

	if (ppi == MKVM_HOST_PPI_VGIC_MAINT)
		ret = acpi_maint_gsi(&gsi, &trigger);
	else
		ret = acpi_vtimer_gsi(&gsi, &trigger, &polarity);
	if (ret)
		return ret;
	return acpi_register_gsi(NULL, gsi, trigger, polarity);
}
