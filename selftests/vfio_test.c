// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12: VFIO passthrough.  The test machine's NVMe controller
 * (scripts/qemu.sh: behind QEMU's SMMUv3, a 16 MiB namespace) is taken
 * from the host's nvme driver, bound to vfio-pci and given to a minivmm
 * guest (--vfio) that boots the test kernel: the guest's own nvme driver
 * finds the controller on minivmm's PCI host bridge, its interrupts come
 * through INTx (VFIO eventfd -> KVM_IRQFD), its DMA through the host's
 * SMMU into guest RAM.  The guest writes a marker to the namespace and
 * powers off; the host gives the controller back to its nvme driver and
 * must read the marker from the namespace.  Then the errors of --vfio.
 *
 * A test of the KVM API as a VMM uses it: it runs against minikvm and,
 * on the oracle boot, against the kernel's own KVM.
 */
#include <dirent.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/nvme_ioctl.h>
#include "kselftest_harness.h"
#include "mkvm_child.h"
#include "mkvm_util.h"

#define GUEST_IMAGE	"/guest/Image"
#define GUEST_ROOTFS	"/guest/rootfs.cpio.gz"
#define SYS_PCI		"/sys/bus/pci"
/* QEMU's NVMe controller: vendor 0x1b36 (Red Hat), device 0x0010. */
#define NVME_CLASS	"0x010802"
#define NVME_SECTORS	32768	/* the 16 MiB namespace, in 512-byte sectors */

#define BOOT_TIMEOUT_MS		(300 * 1000)
#define HARNESS_TIMEOUT_S	420
#define ERROR_TIMEOUT_MS	20000
#define REBIND_TIMEOUT_MS	20000

/* The NVMe physical function's address (0000:00:03.0), or NULL. */
static const char *find_nvme(void)
{
	static char bdf[64];
	char path[320], class[16];
	struct dirent *d;
	DIR *dir = opendir(SYS_PCI "/devices");
	bool found = false;

	if (!dir)
		return NULL;
	while (!found && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(bdf))
			continue;
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/class", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(class, sizeof(class), f) &&
		    !strncmp(class, NVME_CLASS, strlen(NVME_CLASS))) {
			/* A virtual function has a physfn link: not ours. */
			snprintf(path, sizeof(path), SYS_PCI "/devices/%s/physfn",
				 d->d_name);
			if (access(path, F_OK)) {
				snprintf(bdf, sizeof(bdf), "%s", d->d_name);
				found = true;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return found ? bdf : NULL;
}

/* The name of the driver bound to @bdf into @buf; "" when none. */
static const char *pci_driver(const char *bdf, char *buf, size_t size)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	buf[0] = '\0';
	if (n > 0) {
		link[n] = '\0';
		snprintf(buf, size, "%.63s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
	return buf;
}

/*
 * Bind @bdf to @driver ("vfio-pci", or "" for whichever claims it: nvme)
 * the way an administrator does: driver_override, unbind, reprobe.
 */
static int pci_bind(const char *bdf, const char *driver)
{
	char path[256], cur[64];
	int ret;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver_override", bdf);
	ret = mkvm_write_file(path, *driver ? driver : "\n", 0);
	if (ret)
		return ret;
	if (*pci_driver(bdf, cur, sizeof(cur))) {
		if (!strcmp(cur, *driver ? driver : "nvme"))
			return 0;
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver/unbind", bdf);
		ret = mkvm_write_file(path, bdf, 0);
		if (ret)
			return ret;
	}
	ret = mkvm_write_file(SYS_PCI "/drivers_probe", bdf, 0);
	if (ret)
		return ret;
	return strcmp(pci_driver(bdf, cur, sizeof(cur)),
		      *driver ? driver : "nvme") ? -ENODEV : 0;
}

/*
 * /dev/nvmeXnY of the host's driver on @bdf, waited for; NULL if none.
 * The controllers share one NVM subsystem, whose namespaces Linux
 * numbers across it: a virtual function's is not n1.
 */
static const char *host_namespace(const char *bdf)
{
	static char dev[64];
	int waited;

	for (waited = 0; waited < REBIND_TIMEOUT_MS; waited += 100) {
		glob_t g;
		size_t i;

		if (!glob("/sys/block/nvme*n*", 0, NULL, &g)) {
			for (i = 0; i < g.gl_pathc; i++) {
				char link[512];
				ssize_t n = readlink(g.gl_pathv[i], link, sizeof(link) - 1);

				if (n <= 0)
					continue;
				link[n] = '\0';
				if (!strstr(link, bdf))
					continue;
				snprintf(dev, sizeof(dev), "/dev/%s",
					 strrchr(g.gl_pathv[i], '/') + 1);
				if (!access(dev, R_OK | W_OK)) {
					globfree(&g);
					return dev;
				}
			}
			globfree(&g);
		}
		usleep(100 * 1000);
	}
	return NULL;
}

/* The namespace's first sector as the device has it (no page cache). */
static int read_sector0(const char *dev, char *buf)
{
	void *p;
	int fd, ret = -1;

	if (posix_memalign(&p, 4096, 4096))
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, p, 4096, 0) == 4096) {
			memcpy(buf, p, 512);
			ret = 0;
		}
		close(fd);
	}
	free(p);
	return ret;
}

/*
 * The device back with the host's nvme driver: its namespace's first
 * sector must hold @marker, which the guest wrote.
 */
static void host_reads_marker(struct __test_metadata *_metadata,
			      const char *bdf, const char *marker)
{
	char sector[512];
	const char *dev;

	ASSERT_EQ(0, pci_bind(bdf, ""));
	dev = host_namespace(bdf);
	ASSERT_NE(NULL, dev);
	ASSERT_EQ(0, read_sector0(dev, sector));
	sector[strlen(marker)] = '\0';
	EXPECT_STREQ(marker, sector);
}

FIXTURE(vfio) {
	const char *bdf;
	struct mkvm_child_result res;
};

FIXTURE_SETUP(vfio)
{
	char drv[64];

	ASSERT_EQ(0, mkvm_load_if_owner());
	self->bdf = find_nvme();
	ASSERT_NE(NULL, self->bdf) TH_LOG("no NVMe controller (scripts/qemu.sh adds one)");
	/* Where every test starts and ends: the host's own driver. */
	ASSERT_EQ(0, pci_bind(self->bdf, ""))
		TH_LOG("%s: driver %s", self->bdf, pci_driver(self->bdf, drv, sizeof(drv)));
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->bdf)
		pci_bind(self->bdf, "");
}

/*
 * Before passthrough, the host itself: its nvme driver works with the
 * SMMU in front of the controller, and the controller sits alone in its
 * IOMMU group (or VFIO could not give it to one guest).
 */
TEST_F(vfio, host_nvme_behind_smmu)
{
	char path[256], link[256], sector[512];
	const char *dev = host_namespace(self->bdf);
	ssize_t n;
	DIR *dir;
	int count = 0;
	struct dirent *d;

	ASSERT_NE(NULL, dev) TH_LOG("no namespace of %s on the host", self->bdf);
	ASSERT_EQ(0, read_sector0(dev, sector));
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/iommu_group", self->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n) TH_LOG("%s: no IOMMU group: is the SMMU there?", self->bdf);
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/iommu_group/devices",
		 self->bdf);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((d = readdir(dir)))
		count += d->d_name[0] != '.';
	closedir(dir);
	EXPECT_EQ(1, count);
}

/*
 * The guest's nvme driver finds the controller and its 16 MiB namespace,
 * writes a marker unique to this run to its first sector, and its
 * interrupts arrived (the driver's first line in /proc/interrupts
 * counts, and says MSI-X through the vITS, or a GIC SPI for INTx).  The
 * host then reads the marker from the controller it got back.
 */
static void guest_writes_host_reads(struct __test_metadata *_metadata,
				    FIXTURE_DATA(vfio) *self, bool intx)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	struct mkvm_child_result *res = &self->res;
	char marker[64], params[1024], want[96], vfio[80];
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", vfio, "-p", params, "--stats",
	};
	unsigned long cfg = 0, trapped = ~0ul, irqs = 0, table = 0;
	char line[128];
	const char *st;

	snprintf(marker, sizeof(marker), "minivmm-vfio-marker-%d-%ld",
		 getpid(), (long)time(NULL));
	snprintf(params, sizeof(params),
		 "console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		 "echo guest-up; "
		 "n=$(ls /sys/block | grep nvme); "
		 "echo guest-disk $n $(cat /sys/block/$n/size); "
		 "echo %s | dd of=/dev/$n conv=fsync 2>/dev/null && sync && echo guest-wrote; "
		 "echo guest-irqs $(awk '/nvme/ { print $2, $3, $4; exit }' /proc/interrupts)\"",
		 marker);
	snprintf(vfio, sizeof(vfio), "%s%s", self->bdf, intx ? ",intx" : "");
	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));

	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	ksft_print_msg("guest: init after %ld ms, powered off after %ld ms\n",
		       res->mark_ms, res->total_ms);

	ASSERT_NE(NULL, strstr(res->out, "guest-up"))
		TH_LOG("no guest userspace; stderr: %s\nconsole tail: %s",
		       res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	mkvm_print_guest_lines(res->out);
	snprintf(want, sizeof(want), "guest-disk nvme0n1 %d", NVME_SECTORS);
	EXPECT_NE(NULL, strstr(res->out, want))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_NE(NULL, strstr(res->out, "guest-wrote"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	/* The nvme driver's interrupt (one vCPU: one count) has fired. */
	st = strstr(res->out, "guest-irqs ");
	EXPECT_TRUE(st && sscanf(st, "guest-irqs %lu", &irqs) == 1 && irqs > 0)
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	if (st) {
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(st, "\r\n"), st);
		/* "guest-irqs COUNT GICv3 SPI" or "... ITS-PCI-MSIX-..." */
		EXPECT_EQ(intx, strstr(line, "MSI") == NULL) TH_LOG("%s", line);
	}
	EXPECT_EQ(0, res->status)
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	/*
	 * The driver's register and doorbell accesses went to the BAR's
	 * memslot, not to minivmm: only config space exited, and the MSI-X
	 * table, which minivmm emulates.
	 */
	st = strstr(res->err, "minivmm: stats: pci ");
	ASSERT_NE(NULL, st) TH_LOG("stderr: %s", res->err);
	ksft_print_msg("%.*s", (int)strcspn(st, "\n") + 1, st);
	ASSERT_EQ(2, sscanf(st, "minivmm: stats: pci config accesses %lu, trapped MMIO window accesses %lu",
			    &cfg, &trapped));
	EXPECT_LT(0, cfg);
	st = strstr(res->err, "MSI-X table accesses ");
	if (intx) {
		EXPECT_EQ(NULL, st);
	} else {
		ASSERT_NE(NULL, st) TH_LOG("stderr: %s", res->err);
		ksft_print_msg("%.*s", (int)strcspn(st, "\n") + 1, st);
		EXPECT_EQ(1, sscanf(st, "MSI-X table accesses %lu", &table));
		EXPECT_LT(0, table);
	}
	EXPECT_EQ(table, trapped);

	host_reads_marker(_metadata, self->bdf, marker);
}

TEST_F_TIMEOUT(vfio, guest_writes_host_reads, HARNESS_TIMEOUT_S)
{
	guest_writes_host_reads(_metadata, self, false);
}

/* The same with MSI-X hidden: the guest's driver falls back to INTx. */
TEST_F_TIMEOUT(vfio, guest_writes_host_reads_intx, HARNESS_TIMEOUT_S)
{
	guest_writes_host_reads(_metadata, self, true);
}

/*
 * A guest writing what it should not to the passed-through device's
 * config space, through its kernel's config accessors (sysfs): BAR0 onto
 * guest RAM (where its own kernel runs: had minivmm mapped the BAR there,
 * the guest would die), then the capability area after MSI-X's
 * (0x50-0xff: random bytes in MSI-X's own Message Control would only
 * take the guest's interrupts away; Device Control of the emulated PCIe
 * capability at 0xc0 is left out, where a random Initiate FLR would
 * reset the controller under the guest's driver), the capability
 * pointer and the ROM BAR.  minivmm maps the BAR nowhere outside its PCI
 * window (the BAR reads back as written, masked), the guest lives on,
 * gets its BAR back and its disk works again; the host gets the device
 * back.
 */
TEST_F_TIMEOUT(vfio, hostile_config_writes, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	static const char params[] =
		"console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		"echo guest-up; "
		"d=/sys/bus/pci/devices/0000:00:00.0; n=$(ls /sys/block | grep nvme); "
		"dd if=$d/config of=/tmp/bar bs=8 skip=2 count=1 2>/dev/null; "
		"printf '\\000\\000\\000\\200\\000\\000\\000\\000' | "
		"dd of=$d/config bs=8 seek=2 conv=notrunc 2>/dev/null; "
		"echo guest-bar0 $(od -An -tx4 -j16 -N8 $d/config); "
		"dd if=/dev/urandom of=$d/config bs=4 seek=20 count=30 conv=notrunc 2>/dev/null; "
		"dd if=/dev/urandom of=$d/config bs=4 seek=51 count=13 conv=notrunc 2>/dev/null; "
		"dd if=/dev/urandom of=$d/config bs=1 seek=52 count=1 conv=notrunc 2>/dev/null; "
		"dd if=/dev/urandom of=$d/config bs=4 seek=12 count=1 conv=notrunc 2>/dev/null; "
		"echo guest-caps $(od -An -tx1 -j52 -N1 $d/config) $(od -An -tx4 -j48 -N4 $d/config) "
		"$(od -An -tx1 -j65 -N1 $d/config) $(od -An -tx4 -j192 -N8 $d/config); "
		"dd if=/tmp/bar of=$d/config bs=8 seek=2 conv=notrunc 2>/dev/null; "
		"dd if=/dev/$n of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null && echo guest-disk-ok; "
		"echo guest-lived\"";
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", self->bdf, "-p", params,
	};
	struct mkvm_child_result *res = &self->res;
	char sector[512];
	const char *dev;

	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	mkvm_print_guest_lines(res->out);
	ASSERT_NE(NULL, strstr(res->out, "guest-up"))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	/* 64-bit memory BAR: type bits 0x4 kept, the address as written. */
	EXPECT_NE(NULL, strstr(res->out, "guest-bar0 80000004 00000000"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, 2000));
	/*
	 * MSI-X (at 0x40) still leads to the emulated PCIe capability (at
	 * 0xc0: a version 2 integrated endpoint offering FLR) and nothing
	 * else; the ROM BAR reads 0.
	 */
	EXPECT_NE(NULL, strstr(res->out, "guest-caps 40 00000000 c0 00920010 10000000"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, 2000));
	EXPECT_NE(NULL, strstr(res->out, "guest-disk-ok"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, 2000));
	EXPECT_NE(NULL, strstr(res->out, "guest-lived"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, 2000));
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);

	ASSERT_EQ(0, pci_bind(self->bdf, ""));
	dev = host_namespace(self->bdf);
	ASSERT_NE(NULL, dev);
	EXPECT_EQ(0, read_sector0(dev, sector));
}

/*
 * Function Level Reset from the guest.  minivmm offers FLR in an emulated
 * PCIe capability and does it with VFIO_DEVICE_RESET.  The guest's Linux
 * picks FLR as the controller's reset method, resets it three times
 * through sysfs while its nvme driver has writes in flight (the driver
 * quiesces, the PCI core saves and restores config space and MSI-X, the
 * driver brings the controller up again), then unbinds the driver and
 * sets Initiate FLR itself five times in a row, with nobody to restore
 * anything, and binds the driver again.  The disk must work after all of
 * it: the guest writes a marker, the host reads it from the controller
 * it gets back.  minivmm must have done all eight resets.
 */
TEST_F_TIMEOUT(vfio, guest_flr, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	struct mkvm_child_result *res = &self->res;
	char marker[64], params[2048];
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", self->bdf, "-p", params, "--stats",
	};
	unsigned long flrs = 0;
	const char *st;
	int resets = 0;

	snprintf(marker, sizeof(marker), "minivmm-vfio-flr-marker-%d-%ld",
		 getpid(), (long)time(NULL));
	snprintf(params, sizeof(params),
		 "console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		 "echo guest-up; "
		 "a=0000:00:00.0; d=/sys/bus/pci/devices/$a; n=$(ls /sys/block | grep nvme); "
		 "echo guest-reset-method $(cat $d/reset_method); "
		 "dd if=/dev/urandom of=/dev/$n bs=64k count=64 conv=fsync 2>/dev/null & "
		 "for i in 1 2 3; do echo 1 > $d/reset && echo guest-reset-done; done; "
		 "wait; "
		 "echo $a > /sys/bus/pci/drivers/nvme/unbind; "
		 /* Device Control's high byte (0xc9), Initiate FLR set. */
		 "for i in 1 2 3 4 5; do printf '\\200' | "
		 "dd of=$d/config bs=1 seek=201 conv=notrunc 2>/dev/null; done; "
		 "echo $a > /sys/bus/pci/drivers/nvme/bind; "
		 "i=0; n=; while [ $i -lt 100 ] && [ -z $n ]; do "
		 "sleep 0.1; i=$((i + 1)); n=$(ls /sys/block | grep nvme); done; "
		 "echo guest-rebound $n; "
		 "echo %s | dd of=/dev/$n conv=fsync 2>/dev/null && sync && echo guest-wrote\"",
		 marker);
	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	for (st = strstr(res->out, "guest-"); st; st = strstr(st + 1, "guest-")) {
		ksft_print_msg("%.*s\n", (int)strcspn(st, "\r\n"), st);
		resets += !strncmp(st, "guest-reset-done", 16);
	}
	ASSERT_NE(NULL, strstr(res->out, "guest-up"))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	st = strstr(res->out, "guest-reset-method ");
	EXPECT_TRUE(st && !strncmp(st + 19, "flr", 3))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(3, resets) TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_NE(NULL, strstr(res->out, "guest-rebound nvme"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_NE(NULL, strstr(res->out, "guest-wrote"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	st = strstr(res->err, "function level resets ");
	ASSERT_NE(NULL, st) TH_LOG("stderr: %s", res->err);
	EXPECT_EQ(1, sscanf(st, "function level resets %lu", &flrs));
	EXPECT_EQ(8, flrs) TH_LOG("stderr: %s", res->err);

	host_reads_marker(_metadata, self->bdf, marker);
}

/*
 * The hostile version: Initiate FLR set straight in config space, five
 * times in a row, while the guest's nvme driver is bound and writing, so
 * that the controller is reset under it with commands in flight.  The
 * driver would find out only at its I/O timeout (30 s to abort, 30 more
 * to reset), and power-off waits for that: the guest has its driver
 * reset the controller itself, as the timeout would, which must work
 * after the storm of FLRs.  minivmm must do every reset and exit
 * cleanly, the host must get a controller that its driver can write and
 * read, and no interrupt route may outlive the reset (a stale irqfd
 * firing into the torn-down vITS state would show in the host's kernel
 * log, which every boot checks).
 */
TEST_F_TIMEOUT(vfio, guest_flr_mid_io, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	static const char params[] =
		"console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		"echo guest-up; "
		"d=/sys/bus/pci/devices/0000:00:00.0; n=$(ls /sys/block | grep nvme); "
		"(while true; do dd if=/dev/urandom of=/dev/$n bs=64k count=16 "
		"conv=fsync 2>/dev/null; done) & "
		"sleep 1; "
		"for i in 1 2 3 4 5; do printf '\\200' | "
		"dd of=$d/config bs=1 seek=201 conv=notrunc 2>/dev/null; done; "
		"sleep 1; echo 1 > /sys/class/nvme/nvme0/reset_controller; "
		"echo guest-lived\"";
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", self->bdf, "-p", params, "--stats",
	};
	struct mkvm_child_result *res = &self->res;
	unsigned long flrs = 0;
	char wrote[512], *p = NULL;
	const char *dev, *st;
	int fd;

	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	ASSERT_NE(NULL, strstr(res->out, "guest-lived"))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	st = strstr(res->err, "function level resets ");
	ASSERT_NE(NULL, st) TH_LOG("stderr: %s", res->err);
	EXPECT_EQ(1, sscanf(st, "function level resets %lu", &flrs));
	EXPECT_EQ(5, flrs) TH_LOG("stderr: %s", res->err);

	ASSERT_EQ(0, pci_bind(self->bdf, ""));
	dev = host_namespace(self->bdf);
	ASSERT_NE(NULL, dev) TH_LOG("the host's nvme driver did not get the controller back");
	ASSERT_EQ(0, posix_memalign((void **)&p, 4096, 4096));
	memset(p, 0, 4096);
	snprintf(p, 64, "minivmm-vfio-host-after-flr-%d", getpid());
	fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pwrite(fd, p, 4096, 0));
	close(fd);
	ASSERT_EQ(0, read_sector0(dev, wrote));
	EXPECT_STREQ(p, wrote);
	free(p);
}

/* How many SMMU translation faults the host's kernel log reports. */
static int smmu_translation_faults(void)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	const char *p = buf;
	int count = 0;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	/* arm-smmu-v3: "event 0x10 received:", 0x10 being F_TRANSLATION. */
	while ((p = strstr(p, "event 0x10 received")))
		count++, p++;
	return count;
}

/*
 * DMA the guest points outside its RAM.  The guest unbinds its own nvme
 * driver and drives the controller from user space (selftests/guest/
 * nvme_dma.c): IDENTIFY into a page of its own works; IDENTIFY into
 * BAD_DMA, which is not guest RAM (RAM is 0x80000000 + 128 MiB, the PCI
 * window 0x50000000-0x7fffffff), must go nowhere: the host's SMMU
 * translates the controller's DMA with what minivmm mapped (guest RAM
 * only), so the write faults there and the host logs a translation fault.
 * (QEMU 7.2's NVMe controller still completes that command with success:
 * it does not look at the DMA's result.  Only the fault tells.)  The
 * guest lives on, and the host gets a working controller back.
 */
#define BAD_DMA		"0xc0000000"

TEST_F_TIMEOUT(vfio, dma_outside_guest_ram_faults, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	static const char params[] =
		"console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		"echo guest-up; "
		"echo 0000:00:00.0 > /sys/bus/pci/drivers/nvme/unbind; "
		/* The driver's removal cleared Bus Master: memory + master. */
		"printf '\\006\\000' | dd of=/sys/bus/pci/devices/0000:00:00.0/config "
		"bs=2 seek=2 conv=notrunc 2>/dev/null; "
		"nvme_dma 0000:00:00.0 " BAD_DMA "; "
		"echo guest-lived\"";
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", self->bdf, "-p", params,
	};
	struct mkvm_child_result *res = &self->res;
	int good = -9, bad = -9, faults;
	unsigned int vid = 0;
	char sector[512];
	const char *dev, *st;

	faults = smmu_translation_faults();
	ASSERT_LE(0, faults) TH_LOG("klogctl: %s", strerror(errno));
	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	st = strstr(res->out, "nvme-dma ");
	ASSERT_NE(NULL, st) TH_LOG("stderr: %s\nconsole tail: %s", res->err,
				   mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	ksft_print_msg("%.*s\n", (int)strcspn(st, "\r\n"), st);
	ASSERT_EQ(3, sscanf(st, "nvme-dma good-status %d vid %x bad-status %d",
			    &good, &vid, &bad)) TH_LOG("%.200s", st);
	EXPECT_EQ(0, good) TH_LOG("IDENTIFY into guest RAM failed");
	EXPECT_EQ(0x1b36, vid) TH_LOG("IDENTIFY's data did not arrive");
	/* Completed (-1: timed out, -2: another command's completion). */
	EXPECT_LE(0, bad) TH_LOG("IDENTIFY outside guest RAM: %d", bad);
	EXPECT_LT(faults, smmu_translation_faults())
		TH_LOG("no SMMU translation fault logged");
	EXPECT_NE(NULL, strstr(res->out, "guest-lived"));
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);

	ASSERT_EQ(0, pci_bind(self->bdf, ""));
	dev = host_namespace(self->bdf);
	ASSERT_NE(NULL, dev);
	EXPECT_EQ(0, read_sector0(dev, sector));
}

/*
 * What passthrough costs and gives, roughly (wall-clock under TCG, load
 * from other QEMUs included: a few runs' figures are in io.rst): the
 * guest reads 16 MiB sequentially (1 MiB requests) and 8 MiB in 4 KiB
 * requests one at a time, all direct I/O, from the passed-through NVMe
 * namespace and from a virtio-blk disk on a file; the host the same from
 * the namespace through its own driver.  Asserted: every read completed.
 */
#define PERF_DISK	"/tmp/vfio_test_perf.img"
/* The guest times each read with /proc/uptime (10 ms steps). */
#define PERF_CMD(dev)							\
	"read a x </proc/uptime; "						\
	"dd if=" dev " of=/dev/null bs=1M count=16 iflag=direct 2>/dev/null; "	\
	"read b x </proc/uptime; echo guest-seq " dev " $a $b; "		\
	"read a x </proc/uptime; "						\
	"dd if=" dev " of=/dev/null bs=4k count=2048 iflag=direct 2>/dev/null; " \
	"read b x </proc/uptime; echo guest-4k " dev " $a $b; "

/* Each "guest-KIND DEV T0 T1" line of @out, as MB/s. */
static int print_guest_rates(const char *out)
{
	const char *st;
	int n = 0;

	for (st = strstr(out, "guest-seq "); st; st = strstr(st + 1, "guest-")) {
		char kind[8], dev[32];
		double a, b, mib;

		if (sscanf(st, "guest-%7s %31s %lf %lf", kind, dev, &a, &b) != 4)
			continue;
		mib = strcmp(kind, "seq") ? 8 : 16;
		ksft_print_msg("guest %s %s: %.1f MB/s%s\n", kind, dev,
			       b > a ? mib / (b - a) : 0.0,
			       b > a ? "" : " (under 10 ms)");
		n++;
	}
	return n;
}

static double host_read_mbs(const char *dev, size_t bs, size_t total)
{
	struct timespec a, b;
	void *p;
	size_t done = 0;
	int fd;

	if (posix_memalign(&p, 4096, bs))
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (fd >= 0 && done < total && pread(fd, p, bs, done) == (ssize_t)bs)
		done += bs;
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (fd >= 0)
		close(fd);
	free(p);
	if (done < total)
		return -1;
	return total / 1048576.0 / (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9);
}

TEST_F_TIMEOUT(vfio, read_throughput, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	static const char params[] =
		"console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		"echo guest-up; "
		PERF_CMD("/dev/nvme0n1") PERF_CMD("/dev/vda") "\"";
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", self->bdf, "-d", PERF_DISK, "-p", params, "--stats",
	};
	struct mkvm_child_result *res = &self->res;
	const char *dev, *st;
	double seq, k4;
	int fd, n;

	fd = open(PERF_DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 16 << 20));
	close(fd);
	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	unlink(PERF_DISK);
	n = print_guest_rates(res->out);
	/* Two reads of each disk. */
	EXPECT_EQ(4, n) TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	st = strstr(res->err, "minivmm: stats: ");
	if (st)
		ksft_print_msg("%s", st);

	ASSERT_EQ(0, pci_bind(self->bdf, ""));
	dev = host_namespace(self->bdf);
	ASSERT_NE(NULL, dev);
	seq = host_read_mbs(dev, 1 << 20, 16 << 20);
	k4 = host_read_mbs(dev, 4096, 8 << 20);
	EXPECT_LT(0, seq);
	EXPECT_LT(0, k4);
	ksft_print_msg("host-seq %s %.1f MB/s, host-4k %.1f MB/s (%.0f IOPS)\n",
		       dev, seq, k4, k4 * 256);
}

/*
 * The device taken from minivmm while the guest's driver has I/O in
 * flight, then given back to the host's nvme driver, which must write
 * and read it.  Two ways:
 * - minivmm killed (SIGKILL: no cleanup of its own): the kernel's VFIO
 *   resets the controller and unmaps the dead guest's RAM from its IOMMU
 *   domain as the files close;
 * - the host unbinding vfio-pci, as an administrator taking the device
 *   back does: VFIO raises its request interrupt and holds the unbind
 *   until the device is closed.  minivmm must stop the guest, say why,
 *   exit with status 1 and so let the unbind finish (it waits 60 s at
 *   most here; before minivmm listened, it waited for ever).
 */
static void gone_mid_io(struct __test_metadata *_metadata,
			FIXTURE_DATA(vfio) *self, bool unbind)
{
	static const char params[] =
		"console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		"n=$(ls /sys/block | grep nvme); "
		"while true; do dd if=/dev/urandom of=/dev/$n bs=64k count=64 "
		"conv=fsync 2>/dev/null; echo guest-io; done\"";
	char *argv[] = {
		MKVM_MINIVMM, "run", "--dev", (char *)mkvm_dev_path(),
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", (char *)self->bdf, "-p", (char *)params, NULL,
	};
	char out[8192] = "", wrote[512], path[256], *p;
	size_t len = 0;
	struct timespec start;
	const char *dev;
	int pipefd[2], status, fd;
	pid_t pid, unbinder = -1;

	ASSERT_EQ(0, pci_bind(self->bdf, "vfio-pci"));
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Two rounds of writes done: the third is in flight. */
	while (mkvm_ms_since(&start) < BOOT_TIMEOUT_MS) {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(pipefd[0], out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		out[len] = '\0';
		p = strstr(out, "guest-io");
		if (p && strstr(p + 1, "guest-io"))
			break;
		/* Keep the tail: the markers are short. */
		if (len > sizeof(out) / 2) {
			memmove(out, out + len - 64, 64);
			len = 64;
			out[len] = '\0';
		}
	}
	p = strstr(out, "guest-io");
	if (!p || !strstr(p + 1, "guest-io") || !unbind) {
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		close(pipefd[0]);
		p = strstr(out, "guest-io");
		ASSERT_TRUE(p && strstr(p + 1, "guest-io"))
			TH_LOG("console tail: %s", out);
	} else {
		/* The unbind blocks until minivmm lets go: a child does it. */
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver/unbind",
			 self->bdf);
		unbinder = fork();
		ASSERT_LE(0, unbinder);
		if (!unbinder)
			_exit(mkvm_write_file(path, self->bdf, 0) ? 1 : 0);
		clock_gettime(CLOCK_MONOTONIC, &start);
		len = 0;
		while (waitpid(pid, &status, WNOHANG) == 0 &&
		       mkvm_ms_since(&start) < 60000) {
			struct pollfd pfd = { pipefd[0], POLLIN, 0 };
			ssize_t n;

			if (poll(&pfd, 1, 200) <= 0)
				continue;
			n = read(pipefd[0], out + len, sizeof(out) - 1 - len);
			if (n > 0 && len + n < sizeof(out) - 1)
				len += n;
			out[len] = '\0';
		}
		if (waitpid(pid, &status, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			waitpid(unbinder, NULL, 0);
			close(pipefd[0]);
			ASSERT_TRUE(false)
				TH_LOG("minivmm still ran 60 s after the host's unbind");
		}
		close(pipefd[0]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
			TH_LOG("minivmm status %#x", status);
		EXPECT_NE(NULL, strstr(out, "wants the device back"))
			TH_LOG("minivmm said: %s", out);
		ASSERT_EQ(unbinder, waitpid(unbinder, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}

	ASSERT_EQ(0, pci_bind(self->bdf, ""));
	dev = host_namespace(self->bdf);
	ASSERT_NE(NULL, dev) TH_LOG("the host's nvme driver did not get the controller back");
	/* The host writes and reads back through its own driver. */
	p = NULL;
	ASSERT_EQ(0, posix_memalign((void **)&p, 4096, 4096));
	memset(p, 0, 4096);
	snprintf(p, 64, "minivmm-vfio-host-after-%s-%d",
		 unbind ? "unbind" : "kill", getpid());
	fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pwrite(fd, p, 4096, 0));
	close(fd);
	ASSERT_EQ(0, read_sector0(dev, wrote));
	EXPECT_STREQ(p, wrote);
	free(p);
}

TEST_F_TIMEOUT(vfio, killed_mid_io, HARNESS_TIMEOUT_S)
{
	gone_mid_io(_metadata, self, false);
}

TEST_F_TIMEOUT(vfio, host_unbinds_mid_io, HARNESS_TIMEOUT_S)
{
	gone_mid_io(_metadata, self, true);
}

/*
 * SR-IOV: the controller's physical function stays with the host's nvme
 * driver; two virtual functions, each given flexible resources (two
 * queues, one interrupt vector) and a namespace of its own by the host
 * through the PF (NVMe Virtualization Management and Namespace
 * Attachment, what nvme-cli's virt-mgmt and attach-ns send), are bound
 * to vfio-pci and passed to two minivmm guests running at the same time.
 * Each guest must see exactly one disk, its own (8 and 4 MiB: the sizes
 * tell them apart), and write a marker of its own; the PF's namespace
 * must stay readable by the host throughout; afterwards each VF, given
 * to the host's nvme driver, must hold its guest's marker.
 */
#define NVME_ADMIN_IDENTIFY		0x06
#define NVME_ADMIN_NS_ATTACH		0x15
#define NVME_ADMIN_VIRT_MGMT		0x1c
#define NVME_ID_CNS_SEC_CTRL_LIST	0x15
#define NVME_VIRT_OFFLINE		7
#define NVME_VIRT_ASSIGN		8
#define NVME_VIRT_ONLINE		9
#define NVME_VIRT_RES_VQ		0
#define NVME_VIRT_RES_VI		1
#define NR_VFS				2

static const unsigned int vf_nsid[NR_VFS] = { 2, 3 };
static const unsigned int vf_sectors[NR_VFS] = { 16384, 8192 };

static int nvme_admin(int fd, uint8_t opcode, uint32_t nsid, uint32_t cdw10,
		      uint32_t cdw11, void *buf, uint32_t len)
{
	struct nvme_passthru_cmd cmd = {
		.opcode = opcode,
		.nsid = nsid,
		.addr = (uintptr_t)buf,
		.data_len = len,
		.cdw10 = cdw10,
		.cdw11 = cdw11,
	};

	int ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);

	/* > 0: the NVMe status of a failed command. */
	return ret < 0 ? -errno : ret;
}

/* The PF's controller character device (/dev/nvme0), opened. */
static int open_pf_ctrl(const char *bdf)
{
	char path[256];
	struct dirent *d;
	DIR *dir;
	int fd = -1;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/nvme", bdf);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (fd < 0 && (d = readdir(dir))) {
		if (strncmp(d->d_name, "nvme", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/%.32s", d->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	closedir(dir);
	return fd;
}

/* The address of virtual function @i of @pf, waited for. */
static int vf_bdf(const char *pf, int i, char *bdf, size_t size)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/virtfn%d", pf, i);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	snprintf(bdf, size, "%.40s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	return 0;
}

FIXTURE(sriov) {
	const char *pf;
	int ctrl;
	uint16_t scid[NR_VFS];
	bool vfs_on;
	struct mkvm_child_result *res;	/* NR_VFS of them, shared */
};

FIXTURE_SETUP(sriov)
{
	uint8_t *list;
	int i;

	self->ctrl = -1;
	self->res = MAP_FAILED;
	ASSERT_EQ(0, mkvm_load_if_owner());
	self->pf = find_nvme();
	ASSERT_NE(NULL, self->pf);
	ASSERT_EQ(0, pci_bind(self->pf, ""));
	ASSERT_NE(NULL, host_namespace(self->pf));
	self->ctrl = open_pf_ctrl(self->pf);
	ASSERT_LE(0, self->ctrl);
	self->res = mmap(NULL, NR_VFS * sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);

	/* The secondary controllers (one per VF) and their IDs. */
	list = calloc(1, 4096);
	ASSERT_NE(NULL, list);
	ASSERT_EQ(0, nvme_admin(self->ctrl, NVME_ADMIN_IDENTIFY, 0,
				NVME_ID_CNS_SEC_CTRL_LIST, 0, list, 4096));
	ASSERT_LE(NR_VFS, list[0]);
	for (i = 0; i < NR_VFS; i++) {
		const uint8_t *e = list + 32 + 32 * i;

		self->scid[i] = e[0] | e[1] << 8;
		/* Offline, with the resources to run: two queues, a vector. */
		ASSERT_EQ(0, nvme_admin(self->ctrl, NVME_ADMIN_VIRT_MGMT, 0,
					NVME_VIRT_ASSIGN | NVME_VIRT_RES_VQ << 8 |
					self->scid[i] << 16, 2, NULL, 0));
		ASSERT_EQ(0, nvme_admin(self->ctrl, NVME_ADMIN_VIRT_MGMT, 0,
					NVME_VIRT_ASSIGN | NVME_VIRT_RES_VI << 8 |
					self->scid[i] << 16, 1, NULL, 0));
	}
	free(list);
}

FIXTURE_TEARDOWN(sriov)
{
	char path[256];
	int i;

	if (self->ctrl < 0)
		return;
	if (self->vfs_on) {
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/sriov_numvfs", self->pf);
		mkvm_write_file(path, "0", 0);
	}
	for (i = 0; i < NR_VFS; i++)
		nvme_admin(self->ctrl, NVME_ADMIN_VIRT_MGMT, 0,
			   NVME_VIRT_OFFLINE | self->scid[i] << 16, 0, NULL, 0);
	close(self->ctrl);
	if (self->res != MAP_FAILED)
		munmap(self->res, NR_VFS * sizeof(*self->res));
}

/*
 * The VFs enabled, each with its namespace attached and online, bound to
 * vfio-pci; their addresses in @vf.
 */
static void enable_vfs(struct __test_metadata *_metadata,
		       FIXTURE_DATA(sriov) *self, char vf[NR_VFS][64])
{
	uint16_t *ctrl_list;
	char path[256];
	int i;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/sriov_drivers_autoprobe", self->pf);
	ASSERT_EQ(0, mkvm_write_file(path, "0", 0));
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/sriov_numvfs", self->pf);
	ASSERT_EQ(0, mkvm_write_file(path, "2", 0)) TH_LOG("enabling the VFs");
	self->vfs_on = true;
	ctrl_list = calloc(1, 4096);
	ASSERT_NE(NULL, ctrl_list);
	for (i = 0; i < NR_VFS; i++) {
		/* Its own namespace, attached while it exists and is offline. */
		ctrl_list[0] = 1;
		ctrl_list[1] = self->scid[i];
		ASSERT_EQ(0, nvme_admin(self->ctrl, NVME_ADMIN_NS_ATTACH, vf_nsid[i],
					0, 0, ctrl_list, 4096));
		ASSERT_EQ(0, nvme_admin(self->ctrl, NVME_ADMIN_VIRT_MGMT, 0,
					NVME_VIRT_ONLINE | self->scid[i] << 16, 0,
					NULL, 0));
		ASSERT_EQ(0, vf_bdf(self->pf, i, vf[i], sizeof(vf[i])));
		ASSERT_EQ(0, pci_bind(vf[i], "vfio-pci")) TH_LOG("%s", vf[i]);
	}
	free(ctrl_list);
}

/* Each VF's namespace, through the host's driver, holds @marker[i]. */
static void vfs_hold(struct __test_metadata *_metadata,
		     FIXTURE_DATA(sriov) *self, char vf[NR_VFS][64],
		     char marker[NR_VFS][64])
{
	char path[256], sector[512];
	int i;

	/* A VF without driver_override probes only with autoprobe on. */
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/sriov_drivers_autoprobe", self->pf);
	ASSERT_EQ(0, mkvm_write_file(path, "1", 0));
	for (i = 0; i < NR_VFS; i++) {
		const char *vdev;

		ASSERT_EQ(0, pci_bind(vf[i], "")) TH_LOG("%s", vf[i]);
		vdev = host_namespace(vf[i]);
		ASSERT_NE(NULL, vdev) TH_LOG("%s", vf[i]);
		ASSERT_EQ(0, read_sector0(vdev, sector));
		sector[strlen(marker[i])] = '\0';
		EXPECT_STREQ(marker[i], sector);
	}
}

TEST_F_TIMEOUT(sriov, two_vfs_two_guests, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	char vf[NR_VFS][64], params[NR_VFS][1024], marker[NR_VFS][64];
	char sector[512], want[64];
	pid_t pid[NR_VFS];
	const char *dev;
	int i, status;

	enable_vfs(_metadata, self, vf);

	for (i = 0; i < NR_VFS; i++) {
		snprintf(marker[i], sizeof(marker[i]), "minivmm-vf%d-marker-%d", i, getpid());
		snprintf(params[i], sizeof(params[i]),
			 "console=ttyAMA0 quiet panic=-1 guest_cmd=\""
			 "echo guest-up; "
			 "echo guest-nvme-disks $(ls /sys/block | grep -c nvme); "
			 "n=$(ls /sys/block | grep nvme | head -1); "
			 "echo guest-disk $(cat /sys/block/$n/size); "
			 "echo %s | dd of=/dev/$n conv=fsync 2>/dev/null && sync && echo guest-wrote\"",
			 marker[i]);
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			const char *args[] = {
				"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
				"--vfio", vf[i], "-p", params[i],
			};

			mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, &self->res[i]);
			_exit(0);
		}
	}
	/* Meanwhile the host's own namespace on the PF works. */
	dev = host_namespace(self->pf);
	ASSERT_NE(NULL, dev);
	EXPECT_EQ(0, read_sector0(dev, sector));
	for (i = 0; i < NR_VFS; i++)
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));

	for (i = 0; i < NR_VFS; i++) {
		struct mkvm_child_result *res = &self->res[i];
		const char *st;

		ksft_print_msg("guest %d on %s: init after %ld ms, powered off after %ld ms\n",
			       i, vf[i], res->mark_ms, res->total_ms);
		for (st = strstr(res->out, "guest-"); st; st = strstr(st + 1, "guest-"))
			ksft_print_msg("  %.*s\n", (int)strcspn(st, "\r\n"), st);
		EXPECT_NE(NULL, strstr(res->out, "guest-nvme-disks 1"))
			TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
		snprintf(want, sizeof(want), "guest-disk %u", vf_sectors[i]);
		EXPECT_NE(NULL, strstr(res->out, want)) TH_LOG("console tail: %s", mkvm_tail(res->out, 2000));
		EXPECT_NE(NULL, strstr(res->out, "guest-wrote"));
		EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	}
	EXPECT_EQ(0, read_sector0(dev, sector));
	vfs_hold(_metadata, self, vf, marker);
}

/*
 * Both VFs in one guest (--vfio twice: two slots on its PCI bus, each
 * with its own BAR memslots, MSI-X GSIs and DeviceID in the vITS, and
 * its own VFIO container).  The guest must see two NVMe disks, 8 and
 * 4 MiB, and write to each a marker naming its size; each VF's namespace
 * then holds the marker of its size.
 */
TEST_F_TIMEOUT(sriov, two_vfs_one_guest, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	char vf[NR_VFS][64], marker[NR_VFS][64], params[1024], want[96];
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "128",
		"--vfio", vf[0], "--vfio", vf[1], "-p", params,
	};
	struct mkvm_child_result *res = &self->res[0];
	int i;

	enable_vfs(_metadata, self, vf);
	for (i = 0; i < NR_VFS; i++)
		snprintf(marker[i], sizeof(marker[i]), "minivmm-vfs-%u-%d",
			 vf_sectors[i], getpid());
	snprintf(params, sizeof(params),
		 "console=ttyAMA0 quiet panic=-1 guest_cmd=\""
		 "echo guest-up; "
		 "echo guest-nvme-disks $(ls /sys/block | grep -c nvme); "
		 "for n in $(ls /sys/block | grep nvme); do s=$(cat /sys/block/$n/size); "
		 "echo guest-disk $s; "
		 "echo minivmm-vfs-$s-%d | dd of=/dev/$n conv=fsync 2>/dev/null && "
		 "echo guest-wrote $s; done\"", getpid());
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	mkvm_print_guest_lines(res->out);
	ASSERT_NE(NULL, strstr(res->out, "guest-up"))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_NE(NULL, strstr(res->out, "guest-nvme-disks 2"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	for (i = 0; i < NR_VFS; i++) {
		snprintf(want, sizeof(want), "guest-wrote %u", vf_sectors[i]);
		EXPECT_NE(NULL, strstr(res->out, want))
			TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	}
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	vfs_hold(_metadata, self, vf, marker);
}

/* --vfio's errors: one line on stderr, exit status 1, before any guest. */
TEST_F(vfio, not_bound_to_vfio_pci)
{
	static const struct mkvm_child_io io = { .timeout_ms = ERROR_TIMEOUT_MS };
	const char *args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "--vfio", self->bdf,
	};

	/* Still the host nvme driver's: its group has no /dev/vfio node. */
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, &self->res);
	EXPECT_EQ(1, self->res.status) TH_LOG("stderr: %s", self->res.err);
	EXPECT_EQ(1, mkvm_count_lines(self->res.err)) TH_LOG("stderr: %s", self->res.err);
	EXPECT_NE(NULL, strstr(self->res.err, "/dev/vfio/"))
		TH_LOG("stderr: %s", self->res.err);
}

TEST_F(vfio, bad_address)
{
	static const struct mkvm_child_io io = { .timeout_ms = ERROR_TIMEOUT_MS };
	static const char *const bad[] = {
		"0000:00:1f.7", "../../../../dev/null", "",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *args[] = {
			"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "--vfio", bad[i],
		};

		mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, &self->res);
		EXPECT_EQ(1, self->res.status) TH_LOG("%s: stderr: %s", bad[i], self->res.err);
		EXPECT_EQ(1, mkvm_count_lines(self->res.err))
			TH_LOG("%s: stderr: %s", bad[i], self->res.err);
		EXPECT_STREQ("", self->res.out);
	}
}

TEST_HARNESS_MAIN
