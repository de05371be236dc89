// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU on the KVM API (issue 10): Debian's arm64 qemu-system-aarch64 7.2,
 * from the disk scripts/qemu-rootfs.sh builds (attached by make check to
 * the minikvm and oracle boots), boots the test kernel's Image with the
 * minivmm guest's busybox rootfs:
 *
 *   qemu-system-aarch64 -accel kvm -machine virt,gic-version=3,its=off
 *       -cpu host -smp 2 -m 256 -kernel Image -initrd rootfs ...
 *
 * on /dev/kvm, which on the minikvm boot is a link to /dev/minikvm.  The
 * guest must reach its shell, see both CPUs, a timer that fires and a
 * virtio-blk disk it can write, and power off: QEMU exits 0.
 *
 * QEMU reads every ID register on a scratch vCPU, writes every register
 * of KVM_GET_REG_LIST back on reset and moves the vGIC's state through its
 * device attributes: what it refuses to start without is in its stderr,
 * which a failure prints.
 */
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "kselftest_harness.h"
#include "mkvm_child.h"
#include "mkvm_util.h"

/* Where the test mounts the disk (read-only), and its serial number. */
#define QEMU_ROOT	"/qemu"
#define QEMU_SERIAL	"mkvm-qemu-rootfs"
/* Runners in the image: its own loader and libraries (qemu-rootfs.sh). */
#define QEMU_BIN	QEMU_ROOT "/mkvm/qemu-system-aarch64"

/* The guest: the same Image and rootfs as linux_boot_test's. */
#define GUEST_IMAGE	"/guest/Image"
#define GUEST_ROOTFS	"/guest/rootfs.cpio.gz"
#define DISK		"/tmp/qemu_test.img"
#define DISK_SIZE	(1 << 20)
#define DISK_MARKER	"qemu-on-kvm-api-disk-marker"

/*
 * A guest under QEMU under nested TCG on a busy 2-core machine: QEMU's
 * start (a 23 MiB binary and 50 libraries read from a virtio disk) comes
 * on top of linux_boot_test's boot.  Kill a hung QEMU well before the
 * harness does, so that its output is still reported.
 */
#define BOOT_TIMEOUT_MS		(480 * 1000)
#define HARNESS_TIMEOUT_S	540
#define VERSION_TIMEOUT_MS	(60 * 1000)

/*
 * scripts/guest-rootfs-init.sh runs guest_cmd and powers off.  One marker
 * per check; the disk's size is in 512-byte sectors.  No double quotes:
 * the kernel command line quotes it.
 */
#define GUEST_CMD							\
	"echo guest-up; "						\
	"echo guest-cpus $(cat /sys/devices/system/cpu/online) $(nproc); " \
	"echo guest-disk $(cat /sys/block/vda/size); "			\
	"sleep 1 && echo guest-slept; "					\
	"echo " DISK_MARKER " | dd of=/dev/vda conv=fsync 2>/dev/null && " \
	"sync && echo guest-wrote"
#define GUEST_PARAMS	"console=ttyAMA0 quiet panic=-1 guest_cmd=\"" GUEST_CMD "\""

/* The last @n bytes of @s: where a failed boot says why. */
static const char *tail(const char *s, size_t n)
{
	size_t len = strlen(s);

	return len > n ? s + len - n : s;
}

/* "/dev/vdX" of the virtio disk whose serial is QEMU_SERIAL, or false. */
static bool find_rootfs_disk(char *dev, size_t size)
{
	struct dirent *de;
	bool found = false;
	char path[300], serial[64];
	DIR *d;
	FILE *f;

	d = opendir("/sys/block");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "vd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(serial, sizeof(serial), f) &&
		    !strncmp(serial, QEMU_SERIAL, strlen(QEMU_SERIAL))) {
			snprintf(dev, size, "/dev/%s", de->d_name);
			found = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

FIXTURE(qemu) {
	struct mkvm_child_result res;
	bool linked_kvm;
};

FIXTURE_SETUP(qemu)
{
	char dev[300];
	int fd;

	self->linked_kvm = false;
	if (!mkvm_boot_is("minikvm") && !mkvm_boot_is("oracle"))
		SKIP(return, "QEMU's disk is attached to the minikvm and oracle boots only");
	ASSERT_EQ(0, mkvm_load_if_owner());

	if (access(QEMU_BIN, X_OK)) {
		ASSERT_TRUE(find_rootfs_disk(dev, sizeof(dev)))
			TH_LOG("no virtio disk with serial %s: scripts/check.sh attaches it",
			       QEMU_SERIAL);
		mkdir(QEMU_ROOT, 0755);
		ASSERT_EQ(0, mount(dev, QEMU_ROOT, "ext2", MS_RDONLY, NULL))
			TH_LOG("mount %s: %s", dev, strerror(errno));
		ASSERT_EQ(0, access(QEMU_BIN, X_OK));
	}

	/* QEMU knows /dev/kvm only; the kernel's KVM selftests do the same. */
	if (strcmp(mkvm_dev_path(), "/dev/kvm")) {
		if (!symlink(mkvm_dev_path(), "/dev/kvm"))
			self->linked_kvm = true;
		else
			ASSERT_EQ(EEXIST, errno);
	}

	/* A zeroed disk: the marker can only come from the guest. */
	fd = open(DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", DISK, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
}

FIXTURE_TEARDOWN(qemu)
{
	unlink(DISK);
	if (self->linked_kvm)
		unlink("/dev/kvm");
}

/* The binary and its 50 libraries load: a broken image fails here first. */
TEST_F(qemu, version)
{
	char *const argv[] = { QEMU_BIN, "-version", NULL };
	static const struct mkvm_child_io io = {
		.timeout_ms = VERSION_TIMEOUT_MS,
	};

	mkvm_child_run(argv, &io, &self->res);
	EXPECT_EQ(0, self->res.status) TH_LOG("stderr: %s", self->res.err);
	EXPECT_NE(NULL, strstr(self->res.out, "QEMU emulator version 7.2"))
		TH_LOG("stdout: %s\nstderr: %s", self->res.out, self->res.err);
}

TEST_F_TIMEOUT(qemu, boots_linux_smp_disk_poweroff, HARNESS_TIMEOUT_S)
{
	char *const argv[] = {
		QEMU_BIN, "-accel", "kvm",
		"-machine", "virt,gic-version=3,its=off", "-cpu", "host",
		"-smp", "2", "-m", "256", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "stdio",
		"-kernel", GUEST_IMAGE, "-initrd", GUEST_ROOTFS,
		"-append", GUEST_PARAMS,
		"-drive", "file=" DISK ",if=none,format=raw,id=disk",
		"-device", "virtio-blk-device,drive=disk",
		NULL
	};
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	struct mkvm_child_result *res = &self->res;
	char disk[sizeof(DISK_MARKER)] = "";
	char sectors[32];
	int fd;

	mkvm_child_run(argv, &io, res);
	ksft_print_msg("guest: init after %ld ms, QEMU exited after %ld ms\n",
		       res->mark_ms, res->total_ms);

	ASSERT_NE(NULL, strstr(res->out, "guest-up"))
		TH_LOG("no guest userspace; QEMU's stderr: %s\nconsole tail: %s",
		       res->err, tail(res->out, 3000));
	EXPECT_NE(NULL, strstr(res->out, "guest-cpus 0-1 2"))
		TH_LOG("console tail: %s", tail(res->out, 3000));
	snprintf(sectors, sizeof(sectors), "guest-disk %d", DISK_SIZE / 512);
	EXPECT_NE(NULL, strstr(res->out, sectors))
		TH_LOG("console tail: %s", tail(res->out, 3000));
	EXPECT_NE(NULL, strstr(res->out, "guest-slept"))
		TH_LOG("console tail: %s", tail(res->out, 3000));
	EXPECT_NE(NULL, strstr(res->out, "guest-wrote"))
		TH_LOG("console tail: %s", tail(res->out, 3000));
	/* -no-reboot: a guest that panics (panic=-1) also ends QEMU, with 0. */
	EXPECT_EQ(NULL, strstr(res->out, "Kernel panic"))
		TH_LOG("console tail: %s", tail(res->out, 3000));
	EXPECT_EQ(0, res->status)
		TH_LOG("QEMU's stderr: %s\nconsole tail: %s", res->err,
		       tail(res->out, 3000));

	fd = open(DISK, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(DISK_MARKER),
		  pread(fd, disk, strlen(DISK_MARKER), 0));
	close(fd);
	EXPECT_STREQ(DISK_MARKER, disk);
}

TEST_HARNESS_MAIN
