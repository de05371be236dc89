// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm run: build a VM from the command line and run it until the guest
 * powers off.  Two kinds of guest: a raw payload (--raw FILE@ADDR: RAM, a
 * PL011, no interrupt controller) or a Linux Image (-k: the whole machine,
 * with an in-kernel GICv3, a device tree and virtio devices).
 *
 * Exit status: 0 when the guest shut down (or asked for a reset), 1 on any
 * error (each a single line on stderr), 2 on a malformed command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "kvm.h"
#include "kvm-cpu.h"
#include "minivmm.h"
#include "term.h"
#include "virtio-blk.h"
#include "virtio-console.h"
#include "virtio-mmio.h"
#include "virtio-net.h"

struct run_opts {
	struct kvm_config cfg;
	const char *raw_file;
	uint64_t raw_addr;
	struct linux_boot boot;	/* boot.kernel set: boot Linux */
	const char *disk;
	bool net;		/* -n given: net_opts holds it */
	struct net_opts net_opts;
};

/* A whole-string unsigned number in C syntax (0x.. hex, 0.. octal). */
/* Default kernel command lines: the console where the terminal is. */
#define RUN_CMDLINE_SERIAL	"console=ttyAMA0 earlycon"
#define RUN_CMDLINE_VIRTIO	"console=hvc0 earlycon"

static int run__parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* FILE@ADDR: the last '@' splits, so file names may contain one. */
static int run__parse_raw(struct run_opts *o, char *arg)
{
	char *at = strrchr(arg, '@');

	if (!at || at == arg || run__parse_u64(at + 1, &o->raw_addr)) {
		fprintf(stderr, "minivmm: --raw %s: expected FILE@ADDR\n", arg);
		return -1;
	}
	*at = '\0';
	o->raw_file = arg;
	return 0;
}

/* What needs no device: sizes, alignment, and whether the payload fits. */
static int run__check_config(struct run_opts *o, uint64_t mem_mib)
{
	struct kvm_config *cfg = &o->cfg;
	uint64_t page = sysconf(_SC_PAGESIZE);

	if (!mem_mib) {
		fprintf(stderr, "minivmm: -m 0: guest RAM must be at least 1 MiB\n");
		return -1;
	}
	if (mem_mib > (UINT64_MAX >> 20) ||
	    cfg->ram_base + (mem_mib << 20) - 1 < cfg->ram_base) {
		fprintf(stderr, "minivmm: -m %" PRIu64 ": guest RAM would wrap the address space\n",
			mem_mib);
		return -1;
	}
	cfg->ram_size = mem_mib << 20;
	/* A memslot's address must be host-page aligned (KVM API, 4.35). */
	if (cfg->ram_base & (page - 1)) {
		fprintf(stderr, "minivmm: --mem-base %#" PRIx64 ": not aligned to the %" PRIu64 "-byte page size\n",
			cfg->ram_base, page);
		return -1;
	}
	if (!cfg->nr_vcpus) {
		fprintf(stderr, "minivmm: -c 0: a VM needs at least one vCPU\n");
		return -1;
	}
	return 0;
}

/* Open the payload and check that it lands inside guest RAM. */
static int run__open_payload(struct run_opts *o, uint64_t *size)
{
	const struct kvm_config *cfg = &o->cfg;
	struct stat st;
	int fd;

	fd = open(o->raw_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "minivmm: %s: %s\n", o->raw_file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		fprintf(stderr, "minivmm: %s: not a non-empty regular file\n",
			o->raw_file);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	if (o->raw_addr < cfg->ram_base || *size > cfg->ram_size ||
	    o->raw_addr - cfg->ram_base > cfg->ram_size - *size) {
		fprintf(stderr, "minivmm: %s (%" PRIu64 " bytes) at %#" PRIx64 " is outside guest RAM %#" PRIx64 "-%#" PRIx64 "\n",
			o->raw_file, *size, o->raw_addr, cfg->ram_base,
			cfg->ram_base + cfg->ram_size - 1);
		close(fd);
		return -1;
	}
	return fd;
}

/* Start every vCPU and the console, wait for the guest to stop the VM. */
static int run__guest(struct kvm *kvm)
{
	unsigned int i;

	if (kvm_cpu__setup_signals())
		return 1;
	if (virtio_mmio__start_io(kvm))
		kvm__stop(kvm, 1);
	for (i = 0; !atomic_load(&kvm->stopping) && i < kvm->nr_cpus; i++) {
		if (kvm_cpu__start(kvm->cpus[i])) {
			kvm__stop(kvm, 1);
			break;
		}
	}
	if (!atomic_load(&kvm->stopping) && term__init(kvm))
		kvm__stop(kvm, 1);
	for (i = 0; i < kvm->nr_cpus; i++)
		if (atomic_load(&kvm->cpus[i]->thread_started))
			pthread_join(kvm->cpus[i]->thread, NULL);
	term__exit(kvm);
	virtio_mmio__stop_io(kvm);
	if (kvm->cfg.stats) {
		kvm__print_stats(kvm);
		virtio_net__print_stats(kvm);
		virtio_mmio__print_cpu(kvm);
		for (i = 0; i < kvm->nr_cpus; i++)
			kvm_cpu__print_stats(kvm->cpus[i]);
	}
	return kvm->exit_status;
}

/*
 * The virtio devices both kinds of guest may have, in a fixed slot order:
 * the console, the disk, the network.  Return: 0, or -1 with a message
 * (@disk and @net are the VM's or closed, either way).
 */
static int run__add_virtio(struct kvm *kvm, const struct run_opts *o,
			   struct virtio_blk *disk, struct virtio_net *net)
{
	if (o->cfg.console == CONSOLE_VIRTIO && virtio_console__init(kvm))
		goto err_close;
	if (disk && virtio_blk__init(kvm, disk)) {
		disk = NULL;
		goto err_close;
	}
	return net ? virtio_net__init(kvm, net) : 0;

err_close:
	virtio_blk__close(disk);
	virtio_net__close(net);
	return -1;
}

/* The host side of the devices, before a VM: the user's errors first. */
static int run__open_backends(const struct run_opts *o,
			      struct virtio_blk **disk, struct virtio_net **net)
{
	if (o->disk) {
		*disk = virtio_blk__open(o->disk);
		if (!*disk)
			return -1;
	}
	if (o->net) {
		*net = virtio_net__open(&o->net_opts);
		if (!*net)
			return -1;
	}
	return 0;
}

static int run__raw(struct run_opts *o)
{
	struct virtio_blk *disk = NULL;
	struct virtio_net *net = NULL;
	struct kvm kvm = { 0 };
	uint64_t size;
	int fd, ret = 1;

	fd = run__open_payload(o, &size);
	if (fd < 0)
		return 1;
	if (run__open_backends(o, &disk, &net))
		goto out_backends;
	if (kvm__init(&kvm, &o->cfg))
		goto out;
	/*
	 * Without a GIC a raw guest polls its virtio devices; the hostile
	 * guest of minivmm_test drives them so.
	 */
	ret = run__add_virtio(&kvm, o, disk, net);
	disk = NULL;
	net = NULL;
	if (ret) {
		ret = 1;
		goto out;
	}
	ret = 1;
	if (kvm__load_raw(&kvm, fd, size, o->raw_addr, o->raw_file))
		goto out;
	/* x0 = 0: a raw payload gets no device tree. */
	if (kvm_cpu__set_entry(kvm.cpus[0], o->raw_addr, 0))
		goto out;
	ret = run__guest(&kvm);
out:
	kvm__exit(&kvm);
out_backends:
	virtio_blk__close(disk);
	virtio_net__close(net);
	close(fd);
	return ret;
}

static int run__linux(struct run_opts *o)
{
	struct linux_boot *lb = &o->boot;
	struct virtio_blk *disk = NULL;
	struct virtio_net *net = NULL;
	struct kvm kvm = { 0 };
	int ret = 1, err;

	o->cfg.irqchip = true;
	/* The user's files first: their errors are the likeliest. */
	if (boot__prepare(lb, o->cfg.ram_base, o->cfg.ram_size))
		goto out_files;
	if (run__open_backends(o, &disk, &net))
		goto out_files;
	if (kvm__init(&kvm, &o->cfg))
		goto out;
	err = run__add_virtio(&kvm, o, disk, net);
	/* The VM owns them now, or they are closed. */
	disk = NULL;
	net = NULL;
	if (err)
		goto out;
	if (boot__load(&kvm, lb))
		goto out;
	ret = run__guest(&kvm);
out:
	kvm__exit(&kvm);
out_files:
	virtio_blk__close(disk);
	virtio_net__close(net);
	boot__cleanup(lb);
	return ret;
}

void run__usage(FILE *f)
{
	fprintf(f,
		"usage: minivmm run -k IMAGE [-i INITRD] [-p CMDLINE] [-d DISK] [-n NETWORK]\n"
		"                   [--console serial|virtio]\n"
		"                   [-m MEM_MiB] [-c NR_VCPUS] [--dev PATH] [--mem-base ADDR]\n"
		"                   [--no-eventfd] [--stats] [--vfio PCI_ADDRESS]...\n"
		"       minivmm run --raw FILE@ADDR [-d DISK] [-n NETWORK] [--console serial|virtio]\n"
		"                   [-m MEM_MiB] [-c NR_VCPUS] [--dev PATH] [--mem-base ADDR]\n"
		"                   [--no-eventfd] [--stats]\n"
		"  -k, --kernel IMAGE  boot an arm64 Linux Image\n"
		"  -i, --initrd FILE   with this initrd (initramfs)\n"
		"  -p, --params ARGS   kernel command line (default \"%s\",\n"
		"                      or \"%s\" with --console virtio)\n"
		"  -d, --disk FILE     a virtio-blk disk backed by FILE (read-write)\n"
		"  -n, --network tap|vhost[,ifname=NAME][,host_ip=ADDR[/LEN]][,mac=MAC]\n"
		"                [,vhost=on|off][,offload=on|off]\n"
		"                      a virtio-net device on a tap device (created, or NAME);\n"
		"                      vhost: the host kernel's vhost-net moves the packets;\n"
		"                      host_ip: the tap's address; offload: checksum and TSO\n"
		"  --console serial|virtio\n"
		"                      where the terminal is: the PL011 (ttyAMA0, default)\n"
		"                      or a virtio console (hvc0); Ctrl-A x quits\n"
		"  --raw FILE@ADDR     load FILE at guest-physical ADDR and start vCPU 0 there\n"
		"  -m, --mem MiB       guest RAM size (default %llu, or %llu with --raw)\n"
		"  -c, --cpus N        vCPUs; all but vCPU 0 start powered off (default 1)\n"
		"  --dev PATH          KVM-API device (default /dev/minikvm)\n"
		"  --mem-base ADDR     guest-physical address of RAM (default %#llx)\n"
		"  --no-eventfd        virtio notifications exit to the vCPU thread and\n"
		"                      interrupts use KVM_IRQ_LINE, as without ioeventfd/irqfd\n"
		"  --stats             at exit, print how notifications and interrupts went\n"
		"  --vfio 0000:00:03.0[,intx]\n"
		"                      pass this host PCI device (bound to vfio-pci) through;\n"
		"                      intx: hide its MSI-X, so the guest uses INTx;\n"
		"                      up to 4 times, one PCI slot each\n",
		RUN_CMDLINE_SERIAL, RUN_CMDLINE_VIRTIO,
		KVM_DEFAULT_LINUX_RAM_MIB, KVM_DEFAULT_RAM_MIB, KVM_DEFAULT_RAM_BASE);
}

/**
 * run__cmd() - minivmm run
 * @argc:	arguments, argv[0] being "run"
 * @argv:	see run__usage()
 *
 * Return: the process exit status.
 */
int run__cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel",   required_argument, NULL, 'k' },
		{ "initrd",   required_argument, NULL, 'i' },
		{ "params",   required_argument, NULL, 'p' },
		{ "disk",     required_argument, NULL, 'd' },
		{ "network",  required_argument, NULL, 'n' },
		{ "console",  required_argument, NULL, 'C' },
		{ "raw",      required_argument, NULL, 'r' },
		{ "mem",      required_argument, NULL, 'm' },
		{ "cpus",     required_argument, NULL, 'c' },
		{ "dev",      required_argument, NULL, 'D' },
		{ "mem-base", required_argument, NULL, 'B' },
		{ "no-eventfd", no_argument,     NULL, 'E' },
		{ "stats",    no_argument,       NULL, 'S' },
		{ "vfio",     required_argument, NULL, 'V' },
		{ "help",     no_argument,       NULL, 'h' },
		{ }
	};
	struct run_opts o = {
		.cfg = {
			.dev_path = "/dev/minikvm",
			.ram_base = KVM_DEFAULT_RAM_BASE,
			.nr_vcpus = 1,
		},
	};
	uint64_t mem_mib = 0, val;
	bool linux_only = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:p:d:n:m:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.boot.kernel = optarg;
			break;
		case 'i':
			o.boot.initrd = optarg;
			linux_only = true;
			break;
		case 'p':
			o.boot.cmdline = optarg;
			linux_only = true;
			break;
		case 'd':
			o.disk = optarg;
			break;
		case 'n':
			if (o.net) {
				fprintf(stderr, "minivmm: -n %s: one network device at most\n",
					optarg);
				return 1;
			}
			if (virtio_net__parse(&o.net_opts, optarg))
				return 1;
			o.net = true;
			break;
		case 'C':
			if (!strcmp(optarg, "serial")) {
				o.cfg.console = CONSOLE_SERIAL;
			} else if (!strcmp(optarg, "virtio")) {
				o.cfg.console = CONSOLE_VIRTIO;
			} else {
				fprintf(stderr, "minivmm: --console %s: expected serial or virtio\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			if (run__parse_raw(&o, optarg))
				return 1;
			break;
		case 'm':
			if (run__parse_u64(optarg, &mem_mib)) {
				fprintf(stderr, "minivmm: -m %s: expected a size in MiB\n",
					optarg);
				return 1;
			}
			if (!mem_mib) {
				fprintf(stderr, "minivmm: -m 0: guest RAM must be at least 1 MiB\n");
				return 1;
			}
			break;
		case 'c':
			if (run__parse_u64(optarg, &val) || val > UINT32_MAX) {
				fprintf(stderr, "minivmm: -c %s: expected a number of vCPUs\n",
					optarg);
				return 1;
			}
			o.cfg.nr_vcpus = val;
			break;
		case 'D':
			o.cfg.dev_path = optarg;
			break;
		case 'B':
			if (run__parse_u64(optarg, &o.cfg.ram_base)) {
				fprintf(stderr, "minivmm: --mem-base %s: expected an address\n",
					optarg);
				return 1;
			}
			break;
		case 'E':
			o.cfg.no_eventfd = true;
			break;
		case 'S':
			o.cfg.stats = true;
			break;
		case 'V':
			if (o.boot.nr_vfio == BOOT_MAX_VFIO) {
				fprintf(stderr, "minivmm run: at most %d --vfio devices\n",
					BOOT_MAX_VFIO);
				return 2;
			}
			o.boot.vfio[o.boot.nr_vfio++] = optarg;
			linux_only = true;
			break;
		case 'h':
			run__usage(stdout);
			return 0;
		default:
			run__usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !o.raw_file == !o.boot.kernel ||
	    (linux_only && !o.boot.kernel)) {
		fprintf(stderr, "minivmm run: %s\n",
			optind < argc ? "unexpected argument" :
			o.raw_file && o.boot.kernel ? "-k and --raw exclude each other" :
			linux_only ? "-i, -p and --vfio need -k IMAGE" :
			"-k IMAGE or --raw FILE@ADDR is required");
		run__usage(stderr);
		return 2;
	}
	if (!mem_mib)
		mem_mib = o.boot.kernel ? KVM_DEFAULT_LINUX_RAM_MIB :
					   KVM_DEFAULT_RAM_MIB;
	if (run__check_config(&o, mem_mib))
		return 1;
	if (o.raw_file)
		return run__raw(&o);
	if (!o.boot.cmdline)
		o.boot.cmdline = o.cfg.console == CONSOLE_VIRTIO ?
				  RUN_CMDLINE_VIRTIO : RUN_CMDLINE_SERIAL;
	return run__linux(&o);
}
