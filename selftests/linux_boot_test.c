// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm boots Linux: the test kernel's own Image with a busybox rootfs
 * (/guest in the test initramfs), 2 vCPUs, a virtio-blk disk.  The guest
 * proves that both CPUs came up (PSCI CPU_ON, GIC redistributors, IPIs),
 * that its timer interrupt works (sleep 1 returns), that a write it makes
 * to the disk reaches the host's image file, and that it can power off
 * (PSCI SYSTEM_OFF, minivmm exits 0).  Then a shell on each console
 * (the PL011, a virtio console) runs what is typed at it.  Then the errors
 * a user meets before any guest runs, each one line on stderr and exit
 * status 1.
 *
 * A test of the KVM API as a VMM uses it: it runs against minikvm and,
 * on the oracle boot, against the kernel's own KVM.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include "kselftest_harness.h"
#include "mkvm_child.h"
#include "mkvm_util.h"

#define GUEST_IMAGE	"/guest/Image"
#define GUEST_ROOTFS	"/guest/rootfs.cpio.gz"
#define DISK		"/tmp/linux_boot_test.img"
#define DISK_SIZE	(4 << 20)
/* The host's pattern at [2 MiB, 3 MiB); the guest copies it to [3, 4). */
#define PATTERN_OFF	(2 << 20)
#define PATTERN_LEN	(1 << 20)
#define DISK_MARKER	"minivmm-linux-boot-test-marker"

/*
 * TCG running a guest under nested virtualization is slow: a boot takes
 * tens of seconds there.  Kill a hung guest well before the harness's
 * own timeout so that what it printed is still reported.
 */
#define BOOT_TIMEOUT_MS		(300 * 1000)
#define HARNESS_TIMEOUT_S	360
#define ERROR_TIMEOUT_MS	20000

/*
 * The guest's /init runs guest_cmd (scripts/guest-rootfs-init.sh) and
 * powers off.  Markers, one per check: the online CPU list and count, a
 * timer-driven sleep, a read of the whole disk (many requests, for the
 * notification paths), the disk's segment limit (VIRTIO_BLK_F_SEG_MAX:
 * 256, so that a 1 MiB direct request travels whole), a copy of the
 * host's pattern in 1 MiB direct requests (many buffers each), and a raw
 * write of DISK_MARKER to the disk's first sector, synced.  No double
 * quotes: the kernel command line quotes it.
 */
#define GUEST_CMD							\
	"echo guest-up; "						\
	"echo guest-cpus $(cat /sys/devices/system/cpu/online) $(nproc); " \
	"sleep 1 && echo guest-slept; "					\
	"dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null && echo guest-read; " \
	"echo guest-segs $(cat /sys/block/vda/queue/max_segments); "	\
	"dd if=/dev/vda of=/dev/vda bs=1M skip=2 seek=3 count=1 "	\
	"iflag=direct oflag=direct 2>/dev/null && echo guest-copied; "	\
	"echo " DISK_MARKER " | dd of=/dev/vda conv=fsync 2>/dev/null && " \
	"sync && echo guest-wrote"
#define GUEST_PARAMS	"console=ttyAMA0 quiet panic=-1 guest_cmd=\"" GUEST_CMD "\""

static uint8_t pattern[PATTERN_LEN];

/* A reproducible pattern: no two 512-byte sectors alike. */
static void fill_pattern(uint8_t *buf, size_t len)
{
	uint32_t x = 0x6d6b766d;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245U + 12345U;
		buf[i] = x >> 16;
	}
}

FIXTURE(boot) {
	struct mkvm_child_result res;
};

/*
 * Issue 11: the virtio-blk disk's notifications through ioeventfds and
 * its interrupts through an irqfd (the default), or both through the
 * VMM's vCPU threads (--no-eventfd).
 */
FIXTURE_VARIANT(boot) {
	bool no_eventfd;
};

FIXTURE_VARIANT_ADD(boot, eventfd) {
	.no_eventfd = false,
};

FIXTURE_VARIANT_ADD(boot, no_eventfd) {
	.no_eventfd = true,
};

/*
 * Which path the disk's notifications and interrupts took.  With
 * eventfds not one notification exits to minivmm (each ready queue's
 * ioeventfd matches every QueueNotify Linux writes) and no SPI goes
 * through KVM_IRQ_LINE; without them, every one does.
 */
static void check_paths(struct __test_metadata *_metadata, const char *err,
			bool no_eventfd)
{
	struct vmm_stats st;

	ASSERT_TRUE(vmm_stats_parse(err, &st)) TH_LOG("stderr: %s", err);
	ksft_print_msg("%s", strstr(err, "minivmm: stats: "));
	if (no_eventfd) {
		EXPECT_STREQ("off", st.ioeventfd);
		EXPECT_STREQ("off", st.irqfd);
		EXPECT_LT(0, st.notify_exits);
		EXPECT_EQ(0, st.ioeventfd_kicks);
		EXPECT_EQ(0, st.irqfd_raises);
		EXPECT_LT(0, st.line_changes);
	} else {
		/* KVM and minikvm both have IOEVENTFD, IRQFD and its resample. */
		EXPECT_STREQ("on", st.ioeventfd);
		EXPECT_STREQ("on", st.irqfd);
		EXPECT_EQ(0, st.notify_exits);
		EXPECT_LT(0, st.ioeventfd_kicks);
		EXPECT_LT(0, st.irqfd_raises);
		EXPECT_EQ(0, st.line_changes);
	}
}

FIXTURE_SETUP(boot)
{
	int fd;

	ASSERT_EQ(0, mkvm_load_if_owner());
	/* A zeroed disk: the marker can only come from the guest. */
	fd = open(DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", DISK, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	fill_pattern(pattern, PATTERN_LEN);
	ASSERT_EQ(PATTERN_LEN, pwrite(fd, pattern, PATTERN_LEN, PATTERN_OFF));
	close(fd);
}

FIXTURE_TEARDOWN(boot)
{
	unlink(DISK);
}

TEST_F_TIMEOUT(boot, smp_timer_disk_poweroff, HARNESS_TIMEOUT_S)
{
	const char *const args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "256", "-c", "2",
		"-d", DISK, "-p", GUEST_PARAMS, "--stats",
		variant->no_eventfd ? "--no-eventfd" : NULL,
	};
	/* The guest's first marker times the boot. */
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
	};
	struct mkvm_child_result *res = &self->res;
	char disk[sizeof(DISK_MARKER)] = "";
	uint8_t *copy;
	int fd;

	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	ksft_print_msg("guest: init after %ld ms, powered off after %ld ms\n",
		       res->mark_ms, res->total_ms);

	mkvm_check_guest_marks(res, "guest-up", "guest-cpus 0-1 2",
			       "guest-slept", "guest-read", "guest-segs 256",
			       "guest-copied", "guest-wrote");

	EXPECT_EQ((ssize_t)strlen(DISK_MARKER),
		  mkvm_file_head(DISK, disk, sizeof(disk)));
	fd = open(DISK, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	copy = malloc(PATTERN_LEN);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ(PATTERN_LEN, pread(fd, copy, PATTERN_LEN,
				     PATTERN_OFF + PATTERN_LEN));
	close(fd);
	EXPECT_STREQ(DISK_MARKER, disk);
	/* Every buffer of every request landed where it belongs. */
	EXPECT_EQ(0, memcmp(pattern, copy, PATTERN_LEN));
	free(copy);
	check_paths(_metadata, res->err, variant->no_eventfd);
}

/*
 * Without guest_cmd the guest's /init greets and starts a shell on the
 * console; what minivmm reads from stdin is typed at it.  The shell must
 * compute the answer: the echo of the typed line does not contain it.
 */
#define CONSOLE_PROMPT	"exit the shell to power off"
#define CONSOLE_INPUT	"echo typed-$((40 + 2))\npoweroff -f\n"
#define CONSOLE_ANSWER	"typed-42"

FIXTURE(console) {
	struct mkvm_child_result res;
};

FIXTURE_VARIANT(console) {
	const char *console;
	const char *params;
	bool no_eventfd;
};

FIXTURE_VARIANT_ADD(console, serial) {
	.console = "serial",
	.params = "console=ttyAMA0 quiet panic=-1",
};

FIXTURE_VARIANT_ADD(console, virtio) {
	.console = "virtio",
	.params = "console=hvc0 quiet panic=-1",
};

/* Issue 11: the virtio console through the exit path too. */
FIXTURE_VARIANT_ADD(console, virtio_no_eventfd) {
	.console = "virtio",
	.params = "console=hvc0 quiet panic=-1",
	.no_eventfd = true,
};

FIXTURE_SETUP(console)
{
	ASSERT_EQ(0, mkvm_load_if_owner());
	/* Pseudo-terminals for ctrl_a_x_quits: the test initramfs has no devpts. */
	mkdir("/dev/pts", 0755);
	if (mount("devpts", "/dev/pts", "devpts", 0, NULL))
		ASSERT_EQ(EBUSY, errno) TH_LOG("mount devpts: %s", strerror(errno));
}

FIXTURE_TEARDOWN(console)
{
}

/* Both tests boot the same guest and differ in how they drive its stdin. */
static void console_boot(const FIXTURE_VARIANT(console) *variant,
			 const struct mkvm_child_io *io,
			 struct mkvm_child_result *res)
{
	const char *const args[] = {
		"-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "256",
		"--console", variant->console, "-p", variant->params, "--stats",
		variant->no_eventfd ? "--no-eventfd" : NULL,
	};

	mkvm_minivmm_run(args, ARRAY_SIZE(args), io, res);
}

TEST_F_TIMEOUT(console, shell_runs_input, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.input = CONSOLE_INPUT,
		.prompt = CONSOLE_PROMPT,
	};
	struct mkvm_child_result *res = &self->res;

	console_boot(variant, &io, res);

	EXPECT_NE(NULL, strstr(res->out, CONSOLE_ANSWER))
		TH_LOG("stderr: %s\nconsole tail: %s", res->err,
		       mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(0, res->status)
		TH_LOG("stderr: %s\nconsole tail: %s", res->err,
		       mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	/* The virtio console is the only virtio device here. */
	if (!strcmp(variant->console, "virtio"))
		check_paths(_metadata, res->err, variant->no_eventfd);
}

/*
 * On a terminal, every key goes to the guest, and Ctrl-A x stops it:
 * minivmm exits 0 and gives the terminal its modes back.
 */
TEST_F_TIMEOUT(console, ctrl_a_x_quits, HARNESS_TIMEOUT_S)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.input = "\x01x",
		.prompt = CONSOLE_PROMPT,
		.tty = true,
	};
	struct mkvm_child_result *res = &self->res;

	console_boot(variant, &io, res);

	EXPECT_EQ(0, res->status)
		TH_LOG("stderr: %s\nconsole tail: %s", res->err,
		       mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_NE(NULL, strstr(res->err, "Ctrl-A x"))
		TH_LOG("stderr: %s", res->err);
	EXPECT_TRUE(res->tty_restored);
}

/* Errors found before a guest runs: one line on stderr, exit status 1. */
FIXTURE(bad_run) {
	struct mkvm_child_result res;
};

FIXTURE_VARIANT(bad_run) {
	const char *args[8];
	const char *err_has;
};

FIXTURE_VARIANT_ADD(bad_run, missing_kernel) {
	.args = { "-k", "/nonexistent/Image" },
	.err_has = "/nonexistent/Image: No such file or directory",
};

/* An ELF executable, not an Image: no "ARM\x64" at 0x38. */
FIXTURE_VARIANT_ADD(bad_run, not_an_image) {
	.args = { "-k", MKVM_MINIVMM },
	.err_has = "not an arm64 Linux Image",
};

/* The Image alone needs ~7 MiB; the DTB its own 2 MiB block. */
FIXTURE_VARIANT_ADD(bad_run, memory_too_small) {
	.args = { "-k", GUEST_IMAGE, "-i", GUEST_ROOTFS, "-m", "8" },
	.err_has = "too small",
};

FIXTURE_VARIANT_ADD(bad_run, missing_initrd) {
	.args = { "-k", GUEST_IMAGE, "-i", "/nonexistent.cpio" },
	.err_has = "/nonexistent.cpio: No such file or directory",
};

FIXTURE_VARIANT_ADD(bad_run, missing_disk) {
	.args = { "-k", GUEST_IMAGE, "-d", "/nonexistent.img" },
	.err_has = "/nonexistent.img: No such file or directory",
};

FIXTURE_VARIANT_ADD(bad_run, not_a_kvm_device) {
	.args = { "-k", GUEST_IMAGE, "--dev", "/dev/null" },
	.err_has = "not a KVM-API device",
};

FIXTURE_SETUP(bad_run)
{
	ASSERT_EQ(0, mkvm_load_if_owner());
}

FIXTURE_TEARDOWN(bad_run)
{
}

TEST_F(bad_run, one_line_exit_1)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = ERROR_TIMEOUT_MS,
	};

	mkvm_minivmm_run(variant->args, ARRAY_SIZE(variant->args), &io,
			 &self->res);

	EXPECT_EQ(1, self->res.status) TH_LOG("stderr: %s", self->res.err);
	EXPECT_STREQ("", self->res.out);
	EXPECT_EQ(1, mkvm_count_lines(self->res.err))
		TH_LOG("stderr: %s", self->res.err);
	EXPECT_NE(NULL, strstr(self->res.err, variant->err_has))
		TH_LOG("stderr: %s", self->res.err);
}

TEST_HARNESS_MAIN
