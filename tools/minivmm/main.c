// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm: a small VMM for /dev/minikvm (or any KVM-API device, --dev).
 *
 *   minivmm info [--dev PATH]              what the device is and supports
 *   minivmm run -k IMAGE [OPTIONS]         boot an arm64 Linux Image (see run.c)
 *   minivmm run --raw FILE@ADDR [OPTIONS]  run a raw payload
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/minikvm.h>

#include "minivmm.h"

static const struct {
	int cap;
	const char *name;
} caps[] = {
	{ KVM_CAP_USER_MEMORY,		"USER_MEMORY" },
	{ KVM_CAP_USER_MEMORY2,		"USER_MEMORY2" },
	{ KVM_CAP_NR_MEMSLOTS,		"NR_MEMSLOTS" },
	{ KVM_CAP_NR_VCPUS,		"NR_VCPUS" },
	{ KVM_CAP_MAX_VCPUS,		"MAX_VCPUS" },
	{ KVM_CAP_ARM_PSCI_0_2,		"ARM_PSCI_0_2" },
	{ KVM_CAP_ARM_VM_IPA_SIZE,	"ARM_VM_IPA_SIZE" },
	{ KVM_CAP_ONE_REG,		"ONE_REG" },
	{ KVM_CAP_IMMEDIATE_EXIT,	"IMMEDIATE_EXIT" },
	{ KVM_CAP_DEVICE_CTRL,		"DEVICE_CTRL" },
	{ KVM_CAP_IRQCHIP,		"IRQCHIP" },
};

/* The EL2 side of each host CPU, through minikvm's ping extension. */
static void info__el2(int fd)
{
	struct minikvm_hyp_ping ping;
	long cpu, ncpus = sysconf(_SC_NPROCESSORS_CONF);

	for (cpu = 0; cpu < ncpus; cpu++) {
		memset(&ping, 0, sizeof(ping));
		ping.cpu = cpu;
		ping.cookie = cpu;
		if (ioctl(fd, MINIKVM_HYP_PING, &ping)) {
			printf("  cpu%ld: %s\n", cpu, strerror(errno));
			continue;
		}
		printf("  cpu%ld: EL%u, MPIDR %#llx, SCTLR_EL2 %#llx (MMU %s, caches %s), VBAR_EL2 %#llx\n",
		       cpu, ping.current_el, (unsigned long long)ping.mpidr,
		       (unsigned long long)ping.sctlr_el2,
		       ping.sctlr_el2 & 1 ? "on" : "off",
		       (ping.sctlr_el2 & 0x1004) == 0x1004 ? "on" : "off",
		       (unsigned long long)ping.vbar_el2);
	}
}

/*
 * The host mode minikvm chose at load (Documentation/el2.rst, "Two host
 * modes"): "nvhe", EL2 taken from the hyp stub, or "vhe", the kernel runs
 * at EL2.
 */
static void info__mode(void)
{
	char mode[16] = "unknown";
	FILE *f = fopen("/sys/module/minikvm/parameters/mode", "r");

	if (f) {
		if (fscanf(f, "%15s", mode) != 1)
			strcpy(mode, "unknown");
		fclose(f);
	}
	printf("minikvm host mode: %s\n", mode);
}

static int info(const char *dev_path)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);
	unsigned int i;
	int ret;

	if (fd < 0) {
		fprintf(stderr, "minivmm: %s: %s\n", dev_path, strerror(errno));
		return 1;
	}
	ret = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ret < 0) {
		fprintf(stderr, "minivmm: %s is not a KVM-API device: %s\n",
			dev_path, strerror(errno));
		return 1;
	}
	printf("%s: KVM API version %d\n", dev_path, ret);
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		printf("  KVM_CAP_%-16s %d\n", caps[i].name,
		       ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap));
	if (strstr(dev_path, "minikvm")) {
		info__mode();
		printf("minikvm EL2, per host CPU:\n");
		info__el2(fd);
	}
	close(fd);
	return 0;
}

void info__usage(FILE *f)
{
	fprintf(f, "usage: minivmm info [--dev PATH]\n");
}

/**
 * info__cmd() - minivmm info
 * @argc:	arguments, argv[0] being "info"
 * @argv:	--dev PATH
 *
 * Return: the process exit status.
 */
int info__cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev",  required_argument, NULL, 'D' },
		{ "help", no_argument,       NULL, 'h' },
		{ }
	};
	const char *dev_path = "/dev/minikvm";
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			dev_path = optarg;
			break;
		case 'h':
			info__usage(stdout);
			return 0;
		default:
			info__usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		info__usage(stderr);
		return 2;
	}
	return info(dev_path);
}

static void usage(FILE *f)
{
	info__usage(f);
	run__usage(f);
}

int main(int argc, char **argv)
{
	/*
	 * A reader of stdout that goes away must not kill the VMM before it
	 * syncs the disk and restores the terminal: writes fail with EPIPE
	 * instead (kvm__write_out()).
	 */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "info"))
		return info__cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return run__cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "minivmm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
