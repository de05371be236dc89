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
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "kselftest_harness.h"
#include "mkvm_child.h"
#include "mkvm_util.h"

/* Where the test mounts the disk (read-only), and its serial number. */
#define QEMU_ROOT	"/qemu"
#define QEMU_SERIAL	"mkvm-qemu-rootfs"
/* Runners in the image: its own loader and libraries (qemu-rootfs.sh). */
#define QEMU_BIN	QEMU_ROOT "/mkvm/qemu-system-aarch64"
#define QEMU_IMG	QEMU_ROOT "/mkvm/qemu-img"

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

/*
 * What every QEMU test needs: minikvm loaded (on its boot), the image
 * mounted, /dev/kvm, and a zeroed disk (the marker can only come from
 * the guest).  *@linked_kvm: this created /dev/kvm, teardown removes it.
 */
static void qemu_env_setup(struct __test_metadata *_metadata, bool *linked_kvm)
{
	char dev[300];
	int fd;

	*linked_kvm = false;
	/* Not debug-vhe either: scripts/check.sh gives it no disk. */
	if (!mkvm_boot_is("minikvm") && !mkvm_boot_is("oracle") &&
	    !mkvm_boot_is("vhe"))
		SKIP(return, "QEMU's disk is attached to the minikvm, oracle and vhe boots only");
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
			*linked_kvm = true;
		else
			ASSERT_EQ(EEXIST, errno);
	}

	fd = open(DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", DISK, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
}

static void qemu_env_teardown(bool linked_kvm)
{
	unlink(DISK);
	if (linked_kvm)
		unlink("/dev/kvm");
}

FIXTURE(qemu) {
	struct mkvm_child_result res;
	bool linked_kvm;
};

FIXTURE_SETUP(qemu)
{
	qemu_env_setup(_metadata, &self->linked_kvm);
}

FIXTURE_TEARDOWN(qemu)
{
	qemu_env_teardown(self->linked_kvm);
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

/* What the vCPUs' counters say at the guest's shell, over both vCPUs. */
struct boot_stats {
	int vcpus;		/* "info stats vcpu" answers found */
	unsigned long exits;
	unsigned long mmio;	/* to user space and in the kernel */
	long s2_faults;		/* minikvm's, MMIO included; -1 on KVM */
};

/*
 * Sums the monitor's "info stats vcpu" answers in @out (one per vCPU:
 * KVM's binary statistics, which minikvm serves too).
 */
static void sum_vcpu_stats(const char *out, struct boot_stats *st)
{
	static const char *const names[] = {
		" exits (cumulative): ",
		" mmio_exit_user (cumulative): ",
		" mmio_exit_kernel (cumulative): ",
		" mkvm_stage2_faults (cumulative): ",
	};
	unsigned long sum[4] = { 0 };
	bool has_s2 = false;
	const char *p;
	int i;

	st->vcpus = 0;
	for (i = 0; i < 4; i++)
		for (p = out; (p = strstr(p, names[i])); p++) {
			sum[i] += strtoul(p + strlen(names[i]), NULL, 10);
			st->vcpus += !i;
			has_s2 |= i == 3;
		}
	st->exits = sum[0];
	st->mmio = sum[1] + sum[2];
	st->s2_faults = has_s2 ? (long)sum[3] : -1;
}

/*
 * When QEMU said the guest runs (its runstate_set trace event, stamped
 * with the wall clock by -msg timestamp=on), in ms after @start; -1 if
 * it did not.  What comes before is QEMU's own start (its binary and
 * libraries read from disk, the VM and vCPUs made and reset); what
 * comes after, the guest's boot.
 */
static long running_after_ms(const char *err, const struct timespec *start)
{
	const char *p = strstr(err, "new_state 9 (running)");
	unsigned long sec, usec;

	while (p && p > err && p[-1] != '\n')
		p--;
	if (!p || sscanf(p, "%*d@%lu.%lu:runstate_set", &sec, &usec) != 2)
		return -1;
	return (long)(sec - start->tv_sec) * 1000 +
	       ((long)usec * 1000 - start->tv_nsec) / 1000000;
}

/*
 * Stage-2 faults on RAM up to the guest's shell (minikvm counts them;
 * every MMIO access is a stage-2 fault too): QEMU backs its RAM with
 * 2 MiB pages, which stage 2 maps as 2 MiB blocks, and the guest's boot
 * touches about 20 of them.  minikvm mapped most of them page by page
 * while the guest's first access to a block fell anywhere but a page's
 * start: 4,400 faults, and a boot to the shell 14 ms (7 %) longer than
 * on KVM (Documentation/qemu.rst).
 */
#define MAX_RAM_FAULTS	500

TEST_F_TIMEOUT(qemu, boots_linux_smp_disk_poweroff, HARNESS_TIMEOUT_S)
{
	/*
	 * The console and the monitor share stdio: at the guest's shell,
	 * while it sleeps (so that no mark of its own is cut in two),
	 * Ctrl-A c switches to the monitor, which prints each vCPU's
	 * counters, and back.
	 */
	char *const argv[] = {
		QEMU_BIN, "-accel", "kvm",
		"-machine", "virt,gic-version=3,its=off", "-cpu", "host",
		"-smp", "2", "-m", "256", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "mon:stdio",
		"-msg", "timestamp=on", "-trace", "runstate_set",
		"-kernel", GUEST_IMAGE, "-initrd", GUEST_ROOTFS,
		"-append", GUEST_PARAMS,
		"-drive", "file=" DISK ",if=none,format=raw,id=disk",
		"-device", "virtio-blk-device,drive=disk",
		NULL
	};
	static const struct mkvm_child_io io = {
		.timeout_ms = BOOT_TIMEOUT_MS,
		.mark = "guest-up",
		.prompt = "guest-disk",
		.input = "\001cinfo stats vcpu\ncpu 1\ninfo stats vcpu\n\001c",
	};
	struct mkvm_child_result *res = &self->res;
	char disk[sizeof(DISK_MARKER)] = "";
	struct boot_stats st;
	struct timespec start;
	char sectors[32];
	long running, ram_faults;

	clock_gettime(CLOCK_REALTIME, &start);
	mkvm_child_run(argv, &io, res);
	ksft_print_msg("guest: init after %ld ms, QEMU exited after %ld ms\n",
		       res->mark_ms, res->total_ms);
	running = running_after_ms(res->err, &start);
	sum_vcpu_stats(res->out, &st);
	ram_faults = st.s2_faults < 0 ? -1 : st.s2_faults - (long)st.mmio;
	ksft_print_msg("guest: running after %ld ms; to its shell %lu exits, %lu MMIO, %ld stage-2 faults on RAM\n",
		       running, st.exits, st.mmio, ram_faults);

	snprintf(sectors, sizeof(sectors), "guest-disk %d", DISK_SIZE / 512);
	mkvm_check_guest_marks(res, "guest-up", "guest-cpus 0-1 2", sectors,
			       "guest-slept", "guest-wrote");
	/* -no-reboot: a guest that panics (panic=-1) also ends QEMU, with 0. */
	EXPECT_EQ(NULL, strstr(res->out, "Kernel panic"))
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));

	EXPECT_EQ((ssize_t)strlen(DISK_MARKER),
		  mkvm_file_head(DISK, disk, sizeof(disk)));
	EXPECT_STREQ(DISK_MARKER, disk);

	EXPECT_LE(0, running) TH_LOG("stderr: %s", res->err);
	ASSERT_EQ(2, st.vcpus) TH_LOG("console tail: %s",
				      mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	/* KVM has no such counter. */
	if (st.s2_faults >= 0)
		EXPECT_GT(MAX_RAM_FAULTS, ram_faults)
			TH_LOG("%ld stage-2 faults, %lu of them MMIO",
			       st.s2_faults, st.mmio);
}

/*
 * Save and restore (issue 10, item 2).  The guest counts on both CPUs, one
 * loop pinned to each, and each round sends the other CPU an IPI (a task
 * it places there) and sleeps on its timer.  CPU 0's loop prints
 *
 *   tick I UPTIME FILE TIMER0 TIMER1 IPI0 IPI1 KTIME
 *
 * (its count, /proc/uptime, a file written before the save, the timer
 * interrupts and IPIs of all kinds each CPU took - a remote wakeup is a
 * function-call IPI on arm64, not a reschedule one - and the kernel log's
 * time stamp of a message it just wrote); CPU 1's loop "tock J".
 *
 * The time stamp is sched_clock(), the virtual counter read raw.  Neither
 * clock may go back or leap: the saved count (KVM_REG_ARM_TIMER_CNT) is
 * restored.  A lost count does not always show here, though: a new VM's
 * counter starts at 0, and a guest whose timers lie ahead of it just
 * waits until it gets there (timer_test checks the register itself).
 * QEMU saves the running guest (to a file with migrate, or with savevm
 * into a qcow2 disk) and quits; a second QEMU restores it and the guest
 * must go on: the counts from where they were, uptime not back, the file
 * still there, both CPUs taking timer interrupts and IPIs.
 */
#define SAVED_CMD							\
	"echo saved-file > /f; taskset -p -c 0 $$ > /dev/null; "		\
	"taskset -c 1 sh -c 'while :; do j=$((j+1)); echo tock $j; "	\
	"taskset -c 0 true; sleep 1; done' & "				\
	"echo guest-up; while :; do i=$((i+1)); read u x < /proc/uptime; " \
	"echo '<7>mkvm-mark' > /dev/kmsg; "				\
	"k=$(dmesg | awk -F '[][]' '/mkvm-mark/ { t = $2 } END { print t }'); " \
	"echo tick $i $u $(cat /f) $(awk '/arch_timer/ { t0 = $2; t1 = $3 } " \
	"/IPI/ { i0 += $2; i1 += $3 } END { print t0, t1, i0, i1 }' "	\
	"/proc/interrupts) $k; taskset -c 1 true; sleep 1; done"
#define SAVED_PARAMS	"console=ttyAMA0 quiet panic=-1 guest_cmd=\"" SAVED_CMD "\""

#define MONITOR		"/tmp/qemu_test.mon"
#define STATE_FILE	"/tmp/qemu_test.state"
#define QCOW2_DISK	"/tmp/qemu_test.qcow2"
#define SNAPSHOT	"mkvm"
/* Ticks to see before the save, and after the restore. */
#define TICKS		4
/* A second of guest time between two ticks, a few more under load. */
#define MAX_GAP_S	30
#define SAVE_TIMEOUT_MS	(300 * 1000)
#define TICK_TIMEOUT_MS	(120 * 1000)
#define SAVED_TIMEOUT_S	1500

/* A QEMU in the background while the test talks to its monitor. */
struct qemu_proc {
	pid_t pid;
	int out, err;		/* memfds: the serial console, stderr */
	int status;		/* exit status; -1 running or killed */
	char buf[65536];	/* the console, as last read */
	char errbuf[4096];
};

static void qemu_start(struct qemu_proc *q, char *const argv[])
{
	int null;

	q->status = -1;
	q->buf[0] = q->errbuf[0] = '\0';
	q->out = memfd_create("qemu-out", MFD_CLOEXEC);
	q->err = memfd_create("qemu-err", MFD_CLOEXEC);
	q->pid = q->out < 0 || q->err < 0 ? -1 : fork();
	if (q->pid)
		return;
	null = open("/dev/null", O_RDONLY);
	dup2(null, STDIN_FILENO);
	dup2(q->out, STDOUT_FILENO);
	dup2(q->err, STDERR_FILENO);
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Has QEMU exited?  Reaps it once; its status is then in q->status. */
static bool qemu_exited(struct qemu_proc *q, bool wait)
{
	int status;

	if (q->pid <= 0)
		return true;
	if (waitpid(q->pid, &status, wait ? 0 : WNOHANG) != q->pid)
		return false;
	q->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	q->pid = 0;
	return true;
}

static void qemu_read(struct qemu_proc *q)
{
	mkvm_child_read_memfd(q->out, q->buf, sizeof(q->buf));
	mkvm_child_read_memfd(q->err, q->errbuf, sizeof(q->errbuf));
}

/* Wait up to @ms for QEMU to exit; kill it then.  Closes its memfds. */
static void qemu_end(struct qemu_proc *q, long ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!qemu_exited(q, false) && mkvm_ms_since(&start) < ms)
		usleep(50000);
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		qemu_exited(q, true);
	}
	if (q->out >= 0) {
		qemu_read(q);
		close(q->out);
	}
	if (q->err >= 0)
		close(q->err);
	q->out = q->err = -1;
}

/* Complete "tick" lines on the console, and the last one of them. */
struct tick {
	int i;
	double uptime;
	char file[32];
	unsigned long timer[2], ipi[2];
	double ktime;
};

static int parse_ticks(const char *out, struct tick *first, struct tick *last)
{
	const char *p = out, *nl;
	struct tick t;
	int n = 0;

	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		if (strncmp(p, "tick ", 5) ||
		    sscanf(p, "tick %d %lf %31s %lu %lu %lu %lu %lf", &t.i,
			   &t.uptime, t.file, &t.timer[0], &t.timer[1],
			   &t.ipi[0], &t.ipi[1], &t.ktime) != 8)
			continue;
		if (!n++ && first)
			*first = t;
		if (last)
			*last = t;
	}
	return n;
}

/* The last "tock J" of CPU 1's loop, or 0. */
static int last_tock(const char *out)
{
	const char *p = out;
	int j, last = 0;

	while ((p = strstr(p, "tock "))) {
		if ((p == out || p[-1] == '\n') && sscanf(p, "tock %d\n", &j) == 1 &&
		    strchr(p, '\n'))
			last = j;
		p += 5;
	}
	return last;
}

/* Wait until the console has @n complete tick lines, or QEMU ended. */
static int wait_ticks(struct qemu_proc *q, int n, long ms)
{
	struct timespec start;
	int seen;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		qemu_read(q);
		seen = parse_ticks(q->buf, NULL, NULL);
		if (seen >= n || qemu_exited(q, false) ||
		    mkvm_ms_since(&start) >= ms)
			return seen;
		usleep(100000);
	}
}

/*
 * The human monitor on a unix socket: send @cmd, read until the next
 * "(qemu) " prompt (or the end, after "quit") into @reply.  The first
 * call, with @cmd NULL, reads the greeting.  0, or -errno/-ETIMEDOUT.
 */
static int monitor_cmd(int fd, const char *cmd, char *reply, size_t size,
		       long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start;
	size_t len = 0;
	ssize_t n;

	reply[0] = '\0';
	if (cmd && (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0))
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!strstr(reply, "(qemu) ")) {
		if (mkvm_ms_since(&start) >= ms)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, reply + len, size - 1 - len);
		if (n <= 0)
			return n ? -errno : 0;
		len += n;
		reply[len] = '\0';
		/* Keep the tail: the prompt is what ends the answer. */
		if (len > size / 2) {
			memmove(reply, reply + len - size / 4, size / 4 + 1);
			len = size / 4;
		}
	}
	return 0;
}

/* The QEMU monitor's socket at @path, once QEMU listens there. */
static int monitor_open_at(const char *path, long ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timespec start;
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		close(fd);
		usleep(100000);
	} while (mkvm_ms_since(&start) < ms);
	return -ETIMEDOUT;
}

FIXTURE(saved) {
	struct qemu_proc q[2];
	bool linked_kvm;
	char reply[8192];
};

FIXTURE_VARIANT(saved) {
	bool savevm;		/* else migrate to a file */
};

FIXTURE_VARIANT_ADD(saved, migrate_file) {
	.savevm = false,
};

FIXTURE_VARIANT_ADD(saved, savevm_qcow2) {
	.savevm = true,
};

FIXTURE_SETUP(saved)
{
	char *const img[] = {
		QEMU_IMG, "create", "-q", "-f", "qcow2", QCOW2_DISK, "1M", NULL
	};
	static const struct mkvm_child_io io = {
		.timeout_ms = VERSION_TIMEOUT_MS,
	};
	struct mkvm_child_result *res;

	self->q[0].pid = self->q[1].pid = 0;
	self->q[0].out = self->q[0].err = self->q[1].out = self->q[1].err = -1;
	qemu_env_setup(_metadata, &self->linked_kvm);
	if (_metadata->exit_code)
		return;
	unlink(STATE_FILE);
	unlink(MONITOR);
	/* savevm needs a disk that can hold a snapshot. */
	if (variant->savevm) {
		res = malloc(sizeof(*res));
		ASSERT_NE(NULL, res);
		mkvm_child_run(img, &io, res);
		EXPECT_EQ(0, res->status) TH_LOG("qemu-img: %s", res->err);
		free(res);
	}
}

FIXTURE_TEARDOWN(saved)
{
	qemu_end(&self->q[0], 0);
	qemu_end(&self->q[1], 0);
	unlink(STATE_FILE);
	unlink(QCOW2_DISK);
	unlink(MONITOR);
	qemu_env_teardown(self->linked_kvm);
}

/* QEMU @n (0: the saved one, 1: the restored one), as @variant says. */
static void saved_start(struct qemu_proc *q, int n,
			const FIXTURE_VARIANT(saved) *variant)
{
	char *argv[40] = {
		QEMU_BIN, "-accel", "kvm",
		"-machine", "virt,gic-version=3,its=off", "-cpu", "host",
		"-smp", "2", "-m", "256", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "stdio",
		"-monitor", "unix:" MONITOR ",server=on,wait=off",
		"-kernel", GUEST_IMAGE, "-initrd", GUEST_ROOTFS,
		"-append", SAVED_PARAMS,
	};
	int i = 0;

	while (argv[i])
		i++;
	argv[i++] = "-drive";
	argv[i++] = variant->savevm ?
		"file=" QCOW2_DISK ",if=none,format=qcow2,id=disk" :
		"file=" DISK ",if=none,format=raw,id=disk";
	argv[i++] = "-device";
	argv[i++] = "virtio-blk-device,drive=disk";
	if (n) {
		argv[i++] = variant->savevm ? "-loadvm" : "-incoming";
		argv[i++] = variant->savevm ? SNAPSHOT : "exec:cat " STATE_FILE;
	}
	unlink(MONITOR);
	qemu_start(q, argv);
}

TEST_F_TIMEOUT(saved, guest_goes_on, SAVED_TIMEOUT_S)
{
	struct tick before, first, last;
	struct timespec start;
	int mon, tock, ticks;

	/* The first QEMU boots the guest and lets it count. */
	saved_start(&self->q[0], 0, variant);
	ASSERT_LT(0, self->q[0].pid);
	ticks = wait_ticks(&self->q[0], TICKS, BOOT_TIMEOUT_MS);
	ASSERT_LE(TICKS, ticks)
		TH_LOG("QEMU's stderr: %s\nconsole tail: %s", self->q[0].errbuf,
		       mkvm_tail(self->q[0].buf, 3000));
	mon = monitor_open_at(MONITOR, VERSION_TIMEOUT_MS);
	ASSERT_LE(0, mon) TH_LOG("monitor: %s", strerror(-mon));
	ASSERT_EQ(0, monitor_cmd(mon, NULL, self->reply, sizeof(self->reply),
				 VERSION_TIMEOUT_MS));

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (variant->savevm) {
		ASSERT_EQ(0, monitor_cmd(mon, "savevm " SNAPSHOT, self->reply,
					 sizeof(self->reply), SAVE_TIMEOUT_MS));
		EXPECT_EQ(NULL, strstr(self->reply, "rror"))
			TH_LOG("savevm: %s", self->reply);
	} else {
		ASSERT_EQ(0, monitor_cmd(mon, "migrate \"exec:cat > " STATE_FILE "\"",
					 self->reply, sizeof(self->reply),
					 SAVE_TIMEOUT_MS));
		EXPECT_EQ(NULL, strstr(self->reply, "rror"))
			TH_LOG("migrate: %s", self->reply);
		do {
			usleep(200000);
			ASSERT_EQ(0, monitor_cmd(mon, "info migrate", self->reply,
						 sizeof(self->reply),
						 VERSION_TIMEOUT_MS));
		} while (!strstr(self->reply, "status: completed") &&
			 !strstr(self->reply, "status: failed") &&
			 mkvm_ms_since(&start) < SAVE_TIMEOUT_MS);
		ASSERT_NE(NULL, strstr(self->reply, "status: completed"))
			TH_LOG("info migrate: %s\nQEMU's stderr: %s", self->reply,
			       self->q[0].errbuf);
	}
	ksft_print_msg("%s took %ld ms\n", variant->savevm ? "savevm" : "migrate",
		       mkvm_ms_since(&start));
	monitor_cmd(mon, "quit", self->reply, sizeof(self->reply),
		    VERSION_TIMEOUT_MS);
	close(mon);
	qemu_end(&self->q[0], VERSION_TIMEOUT_MS);
	EXPECT_EQ(0, self->q[0].status) TH_LOG("QEMU's stderr: %s", self->q[0].errbuf);
	ASSERT_LE(TICKS, parse_ticks(self->q[0].buf, NULL, &before));
	tock = last_tock(self->q[0].buf);
	ASSERT_LT(0, tock) TH_LOG("console tail: %s", mkvm_tail(self->q[0].buf, 3000));

	/* The second restores it: the guest goes on, it does not boot. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	saved_start(&self->q[1], 1, variant);
	ASSERT_LT(0, self->q[1].pid);
	mon = monitor_open_at(MONITOR, VERSION_TIMEOUT_MS);
	ASSERT_LE(0, mon) TH_LOG("monitor: %s", strerror(-mon));
	ASSERT_EQ(0, monitor_cmd(mon, NULL, self->reply, sizeof(self->reply),
				 VERSION_TIMEOUT_MS));
	/* The restore's time (make bench): until the guest runs again. */
	do {
		ASSERT_EQ(0, monitor_cmd(mon, "info status", self->reply,
					 sizeof(self->reply), VERSION_TIMEOUT_MS));
		if (strstr(self->reply, "status: running"))
			break;
		usleep(100000);
	} while (!qemu_exited(&self->q[1], false) &&
		 mkvm_ms_since(&start) < SAVE_TIMEOUT_MS);
	ksft_print_msg("restore took %ld ms (%s)\n", mkvm_ms_since(&start),
		       variant->savevm ? "loadvm" : "incoming");
	ticks = wait_ticks(&self->q[1], TICKS, TICK_TIMEOUT_MS);
	ksft_print_msg("%d ticks %ld ms after the restore began\n", ticks,
		       mkvm_ms_since(&start));
	monitor_cmd(mon, "quit", self->reply, sizeof(self->reply),
		    VERSION_TIMEOUT_MS);
	close(mon);
	qemu_end(&self->q[1], VERSION_TIMEOUT_MS);
	ASSERT_LE(TICKS, parse_ticks(self->q[1].buf, &first, &last))
		TH_LOG("QEMU's stderr: %s\nconsole tail: %s", self->q[1].errbuf,
		       mkvm_tail(self->q[1].buf, 3000));
	EXPECT_EQ(NULL, strstr(self->q[1].buf, "guest-up"))
		TH_LOG("the guest booted again: %s", mkvm_tail(self->q[1].buf, 3000));

	ksft_print_msg("before: tick %d at %.2f s (log %.2f s); after: tick %d at %.2f s (log %.2f s)\n",
		       before.i, before.uptime, before.ktime, first.i,
		       first.uptime, first.ktime);
	/* A line cut by the save ends on the second console: tick I+2. */
	EXPECT_LT(before.i, first.i);
	EXPECT_GE(before.i + 2, first.i);
	EXPECT_LT(tock, last_tock(self->q[1].buf));
	EXPECT_LE(before.uptime, first.uptime);
	/*
	 * The counter carried over: the guest's clock neither goes back nor
	 * leaps (a tick takes a second of guest time, a few under load).
	 */
	EXPECT_LE(before.ktime, first.ktime);
	EXPECT_GT(before.ktime + MAX_GAP_S, first.ktime);
	EXPECT_GT(before.uptime + MAX_GAP_S, first.uptime);
	EXPECT_STREQ("saved-file", first.file);
	/* Counts carried over, and growing on both CPUs after the restore. */
	for (int cpu = 0; cpu < 2; cpu++) {
		EXPECT_LE(before.timer[cpu], first.timer[cpu]);
		EXPECT_LT(first.timer[cpu], last.timer[cpu])
			TH_LOG("CPU %d took no timer interrupt after the restore: %s",
			       cpu, mkvm_tail(self->q[1].buf, 1500));
		EXPECT_LE(before.ipi[cpu], first.ipi[cpu]);
		EXPECT_LT(first.ipi[cpu], last.ipi[cpu])
			TH_LOG("CPU %d took no IPI after the restore: %s", cpu,
			       mkvm_tail(self->q[1].buf, 1500));
	}
}

/*
 * Live migration (issue 10, item 3): two QEMUs in this boot, the second
 * waiting with -incoming tcp:127.0.0.1:PORT, the first sending its running
 * guest there with "migrate -d".  The guest writes its memory all the
 * while: a 4 MiB file of random bytes written once (its pages go in the
 * first pass), then, round after round, an 8 MiB file (tmpfs: the page
 * cache is guest RAM) full of the round's number, which it then compares
 * with the pattern recomputed, and the random file with its first sum:
 *
 *   gen G ok UPTIME     (or "gen G BAD ...")
 *
 * A page the guest wrote after the first pass sent it reaches the
 * destination only if dirty logging reported it: one lost shows as a BAD
 * round after the switch.  The destination must print rounds of its own
 * (it did not boot: no guest-up), all ok; the source's "info migrate"
 * must say completed after more than two dirty-bitmap syncs (the first
 * at the start and the last at the switch are always there: a third
 * means a pass resent pages the log reported).
 */
#define LIVE_BUF	"8388608"	/* 8 MiB */
#define LIVE_CMD							\
	"dd if=/dev/urandom of=/r bs=64k count=64 2>/dev/null; "		\
	"r=$(md5sum </r | cut -c1-32); echo guest-up $r; g=0; "		\
	"while :; do g=$((g+1)); yes $g | head -c " LIVE_BUF " >/b; "	\
	"e=$(yes $g | head -c " LIVE_BUF " | md5sum | cut -c1-32); "	\
	"c=$(md5sum </b | cut -c1-32); s=$(md5sum </r | cut -c1-32); "	\
	"read u x </proc/uptime; "					\
	"if [ $c = $e ] && [ $s = $r ]; then echo gen $g ok $u; "	\
	"else echo gen $g BAD $u $c $e $s; fi; done"
#define LIVE_PARAMS	"console=ttyAMA0 quiet panic=-1 guest_cmd=\"" LIVE_CMD "\""
#define LIVE_PORT	"47123"
#define MONITOR_DST	"/tmp/qemu_test.mon-dst"
/* Rounds to see on the source before the migration, and after it. */
#define LIVE_GENS	2
#define MIGRATE_TIMEOUT_MS	(300 * 1000)
#define GEN_TIMEOUT_MS		(180 * 1000)
#define LIVE_TIMEOUT_S		1200

/* The gen lines on a console: how many, how many BAD, the last number. */
static int parse_gens(const char *out, int *bad, int *last)
{
	const char *p = out, *nl;
	char word[8];
	int n = 0, g;

	*bad = 0;
	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		if (strncmp(p, "gen ", 4) ||
		    sscanf(p, "gen %d %7s", &g, word) != 2)
			continue;
		n++;
		*last = g;
		if (strcmp(word, "ok"))
			(*bad)++;
	}
	return n;
}

/* Wait until @q's console has @n complete gen lines, or QEMU ended. */
static int wait_gens(struct qemu_proc *q, int n, long ms)
{
	struct timespec start;
	int seen, bad, last;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		qemu_read(q);
		seen = parse_gens(q->buf, &bad, &last);
		if (seen >= n || qemu_exited(q, false) ||
		    mkvm_ms_since(&start) >= ms)
			return seen;
		usleep(200000);
	}
}

/* The number after @key in @s ("downtime: 42 ms"), or -1. */
static long info_value(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The migration goes over TCP on loopback, which the test boot leaves down. */
static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}


FIXTURE(live) {
	struct qemu_proc q[2];
	bool linked_kvm;
	char reply[8192];
};

/*
 * With QEMU's ITS (its=on) too: the guest has no MSI device, but QEMU
 * still moves the ITS's registers and tables (KVM_DEV_ARM_ITS_SAVE_TABLES
 * and RESTORE_TABLES, the LPI pending tables) across.
 */
FIXTURE_VARIANT(live) {
	const char *machine;
};

FIXTURE_VARIANT_ADD(live, its_off) {
	.machine = "virt,gic-version=3,its=off",
};

FIXTURE_VARIANT_ADD(live, its_on) {
	.machine = "virt,gic-version=3,its=on",
};

FIXTURE_SETUP(live)
{
	self->q[0].pid = self->q[1].pid = 0;
	self->q[0].out = self->q[0].err = self->q[1].out = self->q[1].err = -1;
	qemu_env_setup(_metadata, &self->linked_kvm);
	if (_metadata->exit_code)
		return;
	ASSERT_EQ(0, loopback_up());
	unlink(MONITOR);
	unlink(MONITOR_DST);
}

FIXTURE_TEARDOWN(live)
{
	qemu_end(&self->q[0], 0);
	qemu_end(&self->q[1], 0);
	unlink(MONITOR);
	unlink(MONITOR_DST);
	qemu_env_teardown(self->linked_kvm);
}

/* The source (@dst false) or the destination, waiting on LIVE_PORT. */
static void live_start(struct qemu_proc *q, bool dst,
		       const FIXTURE_VARIANT(live) *variant)
{
	char *argv[] = {
		QEMU_BIN, "-accel", "kvm",
		"-machine", (char *)variant->machine, "-cpu", "host",
		"-smp", "2", "-m", "256", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "stdio",
		"-monitor", dst ? "unix:" MONITOR_DST ",server=on,wait=off" :
				  "unix:" MONITOR ",server=on,wait=off",
		"-kernel", GUEST_IMAGE, "-initrd", GUEST_ROOTFS,
		"-append", LIVE_PARAMS,
		dst ? "-incoming" : NULL, "tcp:127.0.0.1:" LIVE_PORT, NULL
	};

	qemu_start(q, argv);
}

TEST_F_TIMEOUT(live, tcp_while_guest_writes, LIVE_TIMEOUT_S)
{
	int src, dst, gens, bad, last = 0, before;
	long syncs, downtime, total;
	struct timespec start;
	const char *status;

	live_start(&self->q[0], false, variant);
	ASSERT_LT(0, self->q[0].pid);
	gens = wait_gens(&self->q[0], LIVE_GENS, BOOT_TIMEOUT_MS);
	ASSERT_LE(LIVE_GENS, gens)
		TH_LOG("QEMU's stderr: %s\nconsole tail: %s", self->q[0].errbuf,
		       mkvm_tail(self->q[0].buf, 3000));
	src = monitor_open_at(MONITOR, VERSION_TIMEOUT_MS);
	ASSERT_LE(0, src) TH_LOG("monitor: %s", strerror(-src));
	ASSERT_EQ(0, monitor_cmd(src, NULL, self->reply, sizeof(self->reply),
				 VERSION_TIMEOUT_MS));

	live_start(&self->q[1], true, variant);
	ASSERT_LT(0, self->q[1].pid);
	dst = monitor_open_at(MONITOR_DST, VERSION_TIMEOUT_MS);
	ASSERT_LE(0, dst) TH_LOG("monitor: %s\nQEMU's stderr: %s",
				 strerror(-dst), self->q[1].errbuf);
	ASSERT_EQ(0, monitor_cmd(dst, NULL, self->reply, sizeof(self->reply),
				 VERSION_TIMEOUT_MS));

	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, monitor_cmd(src, "migrate -d tcp:127.0.0.1:" LIVE_PORT,
				 self->reply, sizeof(self->reply),
				 VERSION_TIMEOUT_MS));
	EXPECT_EQ(NULL, strstr(self->reply, "rror"))
		TH_LOG("migrate: %s", self->reply);
	do {
		usleep(500000);
		ASSERT_EQ(0, monitor_cmd(src, "info migrate", self->reply,
					 sizeof(self->reply), VERSION_TIMEOUT_MS));
	} while (!strstr(self->reply, "status: completed") &&
		 !strstr(self->reply, "status: failed") &&
		 mkvm_ms_since(&start) < MIGRATE_TIMEOUT_MS);
	/* From the status on: before it, the monitor echoes the command. */
	status = strstr(self->reply, "Migration status");
	ksft_print_msg("info migrate after %ld ms:\n%s\n",
		       mkvm_ms_since(&start), status ?: self->reply);
	ASSERT_NE(NULL, strstr(self->reply, "status: completed"))
		TH_LOG("QEMU's stderr: %s\ndestination's: %s", self->q[0].errbuf,
		       self->q[1].errbuf);
	syncs = info_value(self->reply, "dirty sync count: ");
	downtime = info_value(self->reply, "\ndowntime: ");
	total = info_value(self->reply, "total time: ");
	ksft_print_msg("live migration: %ld ms in all, downtime %ld ms, %ld dirty syncs\n",
		       total, downtime, syncs);
	EXPECT_LT(2, syncs);
	EXPECT_LE(0, downtime);

	/* The source stays paused; its console ends where the switch was. */
	monitor_cmd(src, "quit", self->reply, sizeof(self->reply),
		    VERSION_TIMEOUT_MS);
	close(src);
	qemu_end(&self->q[0], VERSION_TIMEOUT_MS);
	gens = parse_gens(self->q[0].buf, &bad, &last);
	before = last;
	EXPECT_EQ(0, bad) TH_LOG("source: %s", mkvm_tail(self->q[0].buf, 3000));

	/* The destination's rounds: after the switch, all ok. */
	gens = wait_gens(&self->q[1], LIVE_GENS, GEN_TIMEOUT_MS);
	monitor_cmd(dst, "quit", self->reply, sizeof(self->reply),
		    VERSION_TIMEOUT_MS);
	close(dst);
	qemu_end(&self->q[1], VERSION_TIMEOUT_MS);
	gens = parse_gens(self->q[1].buf, &bad, &last);
	ksft_print_msg("source: last round %d; destination: %d rounds, %d bad, up to %d\n",
		       before, gens, bad, last);
	ASSERT_LE(LIVE_GENS, gens)
		TH_LOG("QEMU's stderr: %s\nconsole tail: %s", self->q[1].errbuf,
		       mkvm_tail(self->q[1].buf, 3000));
	EXPECT_EQ(0, bad) TH_LOG("destination: %s", mkvm_tail(self->q[1].buf, 3000));
	EXPECT_EQ(NULL, strstr(self->q[1].buf, "guest-up"))
		TH_LOG("the guest booted again: %s", mkvm_tail(self->q[1].buf, 3000));
	/* Rounds go on from the source's: the one cut by the switch, then on. */
	EXPECT_LT(before, last);
	EXPECT_GE(before + 1 + gens, last);
}

TEST_HARNESS_MAIN
