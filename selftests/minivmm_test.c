// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm run --raw: the demo payload greets through the emulated PL011 and
 * powers off with PSCI; small guests check the PL011's registers, unclaimed
 * MMIO and PSCI reset; every user error ends with one line on stderr and
 * exit status 1.  A test of the KVM API as a VMM uses it: it runs
 * against minikvm and, on the oracle boot, against the kernel's own KVM.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "mkvm_child.h"
#include "mkvm_util.h"

#define HELLO		"/bin/hello.bin"
#define GREETING	"Hello from a minikvm guest!\n"
/* Guest code of the table below is written here and run from RAM's start. */
#define PAYLOAD		"/tmp/minivmm_test.bin"
/* Well under the harness's 30 s, so a hung guest is reported, not lost. */
#define RUN_TIMEOUT_MS	20000

/*
 * Guest code for the cases that need more than hello.bin, assembled from
 * the instructions in the comments (aarch64-linux-gnu-as; each word is one
 * instruction).  MMIO accesses are plain LDR/STR, so the data abort has a
 * valid syndrome.
 */
/* PSCI SYSTEM_RESET: minivmm cannot reboot, so it stops, and says so. */
static const uint32_t guest_reset[] = {
	0xd2800120,	/* movz x0, #0x0009 */
	0xf2b08000,	/* movk x0, #0x8400, lsl #16 */
	0xd4000002,	/* hvc #0 */
	0x14000000,	/* b . */
};

/*
 * Two writes and a read at an address no device claims: one warning, the
 * read returns 0 (printed as '0'), and the guest runs on to SYSTEM_OFF.
 */
static const uint32_t guest_unclaimed[] = {
	0xd2a14001,	/* movz x1, #0x0a00, lsl #16 */
	0xd2a12002,	/* movz x2, #0x0900, lsl #16 */
	0x52800aa3,	/* mov w3, #0x55 */
	0xb9000023,	/* str w3, [x1] */
	0xb9000023,	/* str w3, [x1] */
	0xb9400023,	/* ldr w3, [x1] */
	0x1100c063,	/* add w3, w3, #'0' */
	0xb9000043,	/* str w3, [x2] */
	0xd2800100,	/* movz x0, #0x0008 */
	0xf2b08000,	/* movk x0, #0x8400, lsl #16 */
	0xd4000002,	/* hvc #0 */
	0x14000000,	/* b . */
};

/*
 * The PL011 as a driver sees it, one 'Y' (or 'N') per check: the
 * PeriphID registers read 0x00141011, the PrimeCell ids 0xb105f00d, the
 * flag register TXFE | RXFE, a stored register (UARTIBRD) reads back; then
 * a byte write to UARTDR prints "!\n".
 */
static const uint32_t guest_uart[] = {
	0xd2a12002,	/* movz x2, #0x0900, lsl #16 */
	0x528009c7,	/* mov w7, #'N' */
	0x52800b28,	/* mov w8, #'Y' */
	0xb94fe043,	/* ldr w3, [x2, #0xfe0] */
	0xb94fe444,	/* ldr w4, [x2, #0xfe4] */
	0x2a042063,	/* orr w3, w3, w4, lsl #8 */
	0xb94fe844,	/* ldr w4, [x2, #0xfe8] */
	0x2a044063,	/* orr w3, w3, w4, lsl #16 */
	0xb94fec44,	/* ldr w4, [x2, #0xfec] */
	0x2a046063,	/* orr w3, w3, w4, lsl #24 */
	0x52820226,	/* movz w6, #0x1011 */
	0x72a00286,	/* movk w6, #0x0014, lsl #16 */
	0x6b06007f,	/* cmp w3, w6 */
	0x1a870109,	/* csel w9, w8, w7, eq */
	0xb9000049,	/* str w9, [x2] */
	0xb94ff043,	/* ldr w3, [x2, #0xff0] */
	0xb94ff444,	/* ldr w4, [x2, #0xff4] */
	0x2a042063,	/* orr w3, w3, w4, lsl #8 */
	0xb94ff844,	/* ldr w4, [x2, #0xff8] */
	0x2a044063,	/* orr w3, w3, w4, lsl #16 */
	0xb94ffc44,	/* ldr w4, [x2, #0xffc] */
	0x2a046063,	/* orr w3, w3, w4, lsl #24 */
	0x529e01a6,	/* movz w6, #0xf00d */
	0x72b620a6,	/* movk w6, #0xb105, lsl #16 */
	0x6b06007f,	/* cmp w3, w6 */
	0x1a870109,	/* csel w9, w8, w7, eq */
	0xb9000049,	/* str w9, [x2] */
	0xb9401843,	/* ldr w3, [x2, #0x18] */
	0x7102407f,	/* cmp w3, #0x90 */
	0x1a870109,	/* csel w9, w8, w7, eq */
	0xb9000049,	/* str w9, [x2] */
	0x52800b43,	/* mov w3, #0x5a */
	0xb9002443,	/* str w3, [x2, #0x24] */
	0xb9402444,	/* ldr w4, [x2, #0x24] */
	0x7101689f,	/* cmp w4, #0x5a */
	0x1a870109,	/* csel w9, w8, w7, eq */
	0xb9000049,	/* str w9, [x2] */
	0x52800423,	/* mov w3, #'!' */
	0x39000043,	/* strb w3, [x2] */
	0x52800143,	/* mov w3, #'\n' */
	0x39000043,	/* strb w3, [x2] */
	0xd2800100,	/* movz x0, #0x0008 */
	0xf2b08000,	/* movk x0, #0x8400, lsl #16 */
	0xd4000002,	/* hvc #0 */
	0x14000000,	/* b . */
};

/*
 * A guest scanning 100 unclaimed addresses (issue 13): minivmm warns about
 * the first MMIO_WARN_MAX (16) and says once that it stops there, instead
 * of a line (and a heap allocation) per address.
 */
static const uint32_t guest_unclaimed_scan[] = {
	0xd2a14001,	/* movz x1, #0x0a00, lsl #16 */
	0x52800aa3,	/* mov w3, #0x55 */
	0xd2800c84,	/* mov x4, #100 */
	0xb9000023,	/* 1: str w3, [x1] */
	0x91002021,	/* add x1, x1, #8 */
	0xf1000484,	/* subs x4, x4, #1 */
	0x54ffffa1,	/* b.ne 1b */
	0xd2800100,	/* movz x0, #0x0008 */
	0xf2b08000,	/* movk x0, #0x8400, lsl #16 */
	0xd4000002,	/* hvc #0 */
	0x14000000,	/* b . */
};

/*
 * A guest that never reads its console: "R\n" on the PL011, then WFI
 * forever.  With the FIFO disabled the UART holds one character.
 */
static const uint32_t guest_deaf[] = {
	0xd2a12002,	/* movz x2, #0x0900, lsl #16 */
	0x52800a43,	/* mov w3, #'R' */
	0xb9000043,	/* str w3, [x2] */
	0x52800143,	/* mov w3, #'\n' */
	0xb9000043,	/* str w3, [x2] */
	0xd503207f,	/* 1: wfi */
	0x17ffffff,	/* b 1b */
};

FIXTURE(run) {
	struct mkvm_child_result res;
};

/*
 * Each case: the arguments after "run --dev $MKVM_DEV" (a later --dev
 * wins), the guest code written to PAYLOAD if any, and what must come
 * out: the exit status, the exact stdout, the exact number of lines on
 * stderr and a string one of them holds.
 */
FIXTURE_VARIANT(run) {
	const char *args[8];
	const uint32_t *code;
	size_t code_size;
	int status;
	const char *out;
	int err_lines;
	const char *err_has;
};

FIXTURE_VARIANT_ADD(run, hello) {
	.args = { "--raw", HELLO "@0x80000000" },
	.out = GREETING,
};

/* Secondaries start powered off; SYSTEM_OFF must stop them too. */
FIXTURE_VARIANT_ADD(run, hello_4_vcpus) {
	.args = { "--raw", HELLO "@0x80000000", "-c", "4" },
	.out = GREETING,
};

/* The payload is position independent: RAM elsewhere, loaded mid-RAM. */
FIXTURE_VARIANT_ADD(run, hello_mem_base) {
	.args = { "--raw", HELLO "@0x40200000", "--mem-base", "0x40000000",
		  "-m", "16" },
	.out = GREETING,
};

FIXTURE_VARIANT_ADD(run, reset) {
	.args = { "--raw", PAYLOAD "@0x80000000" },
	.code = guest_reset,
	.code_size = sizeof(guest_reset),
	.out = "",
	.err_lines = 1,
	.err_has = "reset",
};

FIXTURE_VARIANT_ADD(run, unclaimed_mmio) {
	.args = { "--raw", PAYLOAD "@0x80000000" },
	.code = guest_unclaimed,
	.code_size = sizeof(guest_unclaimed),
	.out = "0",
	.err_lines = 1,
	.err_has = "0xa000000",
};

FIXTURE_VARIANT_ADD(run, unclaimed_scan_capped) {
	.args = { "--raw", PAYLOAD "@0x80000000" },
	.code = guest_unclaimed_scan,
	.code_size = sizeof(guest_unclaimed_scan),
	.out = "",
	.err_lines = 17,
	.err_has = "no more are reported",
};

FIXTURE_VARIANT_ADD(run, pl011_registers) {
	.args = { "--raw", PAYLOAD "@0x80000000" },
	.code = guest_uart,
	.code_size = sizeof(guest_uart),
	.out = "YYYY!\n",
};

FIXTURE_VARIANT_ADD(run, missing_file) {
	.args = { "--raw", "/nonexistent.bin@0x80000000" },
	.status = 1, .out = "", .err_lines = 1,
	.err_has = "/nonexistent.bin: No such file or directory",
};

FIXTURE_VARIANT_ADD(run, below_ram) {
	.args = { "--raw", HELLO "@0x40000000" },
	.status = 1, .out = "", .err_lines = 1,
	.err_has = "outside guest RAM",
};

/* Starts inside the default 64 MiB but runs past its end. */
FIXTURE_VARIANT_ADD(run, straddles_ram_end) {
	.args = { "--raw", HELLO "@0x83fffff0" },
	.status = 1, .out = "", .err_lines = 1,
	.err_has = "outside guest RAM",
};

FIXTURE_VARIANT_ADD(run, no_memory) {
	.args = { "--raw", HELLO "@0x80000000", "-m", "0" },
	.status = 1, .out = "", .err_lines = 1,
	.err_has = "-m 0",
};

FIXTURE_VARIANT_ADD(run, not_a_kvm_device) {
	.args = { "--raw", HELLO "@0x80000000", "--dev", "/dev/null" },
	.status = 1, .out = "", .err_lines = 1,
	.err_has = "not a KVM-API device",
};

FIXTURE_SETUP(run)
{
	int fd;

	ASSERT_EQ(0, mkvm_load_if_owner());
	if (!variant->code)
		return;
	fd = open(PAYLOAD, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", PAYLOAD, strerror(errno));
	ASSERT_EQ((ssize_t)variant->code_size,
		  write(fd, variant->code, variant->code_size));
	close(fd);
}

FIXTURE_TEARDOWN(run)
{
	if (variant->code)
		unlink(PAYLOAD);
}

TEST_F(run, exit_status_and_output)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = RUN_TIMEOUT_MS,
	};

	mkvm_minivmm_run(variant->args, ARRAY_SIZE(variant->args), &io,
			 &self->res);

	EXPECT_EQ(variant->status, self->res.status)
		TH_LOG("stderr: %s", self->res.err);
	EXPECT_STREQ(variant->out, self->res.out);
	EXPECT_EQ(variant->err_lines, mkvm_count_lines(self->res.err))
		TH_LOG("stderr: %s", self->res.err);
	if (variant->err_has)
		EXPECT_NE(NULL, strstr(self->res.err, variant->err_has))
			TH_LOG("stderr: %s", self->res.err);
}

/* minivmm info names the host mode minikvm runs in (el2.rst). */
TEST(info_host_mode)
{
	static const struct mkvm_child_io io = {
		.timeout_ms = RUN_TIMEOUT_MS,
	};
	char *argv[] = { MKVM_MINIVMM, "info", "--dev",
			 (char *)mkvm_dev_path(), NULL };
	struct mkvm_child_result *res = calloc(1, sizeof(*res));

	ASSERT_NE(NULL, res);
	if (!mkvm_dev_is_minikvm())
		SKIP(free(res); return, "only minikvm has host modes");
	ASSERT_EQ(0, mkvm_load_if_owner());
	mkvm_child_run(argv, &io, res);
	EXPECT_EQ(0, res->status) TH_LOG("stderr: %s", res->err);
	EXPECT_NE(NULL, strstr(res->out, mkvm_boot_vhe() ?
					 "minikvm host mode: vhe\n" :
					 "minikvm host mode: nvhe\n"))
		TH_LOG("stdout: %s", res->out);
	free(res);
}

/* Write @code to PAYLOAD; 0 or -errno. */
static int write_payload(const uint32_t *code, size_t size)
{
	int fd = open(PAYLOAD, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, code, size);
	close(fd);
	return n == (ssize_t)size ? 0 : -EIO;
}

FIXTURE(hostile) {
	struct mkvm_child_result res;
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, mkvm_load_if_owner());
	/* Pseudo-terminals: the test initramfs mounts no devpts. */
	mkdir("/dev/pts", 0755);
	if (mount("devpts", "/dev/pts", "devpts", 0, NULL))
		ASSERT_EQ(EBUSY, errno) TH_LOG("mount devpts: %s", strerror(errno));
}

FIXTURE_TEARDOWN(hostile)
{
	unlink(PAYLOAD);
}

/*
 * Issue 13: the input thread used to wait for the guest to take each
 * character, so a guest that never reads made Ctrl-A x dead.  Typed
 * ahead of it here, the escape must still stop the VM at once.
 */
TEST_F(hostile, ctrl_a_x_with_a_guest_that_never_reads)
{
	static const char *const args[] = { "--raw", PAYLOAD "@0x80000000" };
	static const struct mkvm_child_io io = {
		.timeout_ms = RUN_TIMEOUT_MS,
		.input = "typed at a guest that never reads\x01x",
		.prompt = "R",
		.tty = true,
	};

	ASSERT_EQ(0, write_payload(guest_deaf, sizeof(guest_deaf)));
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, &self->res);

	EXPECT_EQ(0, self->res.status)
		TH_LOG("stderr: %s\nstdout: %s", self->res.err, self->res.out);
	EXPECT_NE(NULL, strstr(self->res.err, "Ctrl-A x"))
		TH_LOG("stderr: %s", self->res.err);
	EXPECT_TRUE(self->res.tty_restored);
}

/*
 * Issue 13: with stdout a pipe nobody reads, the guest's first character
 * used to kill minivmm with SIGPIPE (no final fsync, the terminal left
 * raw).  Now the output is dropped, with one line on stderr, and the guest
 * runs to its SYSTEM_OFF: exit status 0.
 */
TEST_F(hostile, stdout_gone_is_not_fatal)
{
	char *argv[] = { MKVM_MINIVMM, "run", "--dev", (char *)mkvm_dev_path(),
			 "--raw", HELLO "@0x80000000", NULL };
	int out[2], err = memfd_create("stderr", MFD_CLOEXEC), status = -1;
	struct timespec start;
	pid_t pid;

	ASSERT_LE(0, err);
	ASSERT_EQ(0, pipe(out));
	close(out[0]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* As a shell would start it: SIGPIPE at its default. */
		signal(SIGPIPE, SIG_DFL);
		dup2(out[1], STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (mkvm_ms_since(&start) > RUN_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	mkvm_child_read_memfd(err, self->res.err, sizeof(self->res.err));
	close(err);

	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d; stderr: %s",
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0, self->res.err);
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	EXPECT_NE(NULL, strstr(self->res.err, "dropping guest output"))
		TH_LOG("stderr: %s", self->res.err);
}

/*
 * The hostile payload (tools/minivmm/payloads/hostile.c): bursts of random
 * register writes and random rings against every device, each followed by
 * a well-behaved disk and console task that must still work.  It writes
 * sector HOSTILE_SECTOR last: its content is checked in the image.
 */
#define HOSTILE_BIN	"/bin/hostile.bin@0x80000000"
#define HOSTILE_DISK	"/tmp/minivmm_hostile.img"
#define HOSTILE_ROUNDS	4
#define HOSTILE_SECTOR	(8 + HOSTILE_ROUNDS)
#define HOSTILE_TIMEOUT_MS	240000
#define HOSTILE_HARNESS_S	300

static int hostile_disk(void)
{
	int fd = open(HOSTILE_DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, 1 << 20)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* Is the last round's sector in the image, as the guest wrote it? */
static bool hostile_sector_ok(void)
{
	uint8_t sector[512];
	int fd = open(HOSTILE_DISK, O_RDONLY | O_CLOEXEC), i;
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, sector, sizeof(sector), HOSTILE_SECTOR * 512) ==
	     sizeof(sector);
	close(fd);
	for (i = 0; ok && i < 512; i++)
		ok = sector[i] == (i < 8 ? 'M' : i == 8 ? '0' + HOSTILE_ROUNDS :
				   (uint8_t)(HOSTILE_ROUNDS * 37 + i));
	return ok;
}

/*
 * Issue 13: minivmm survives a guest that attacks its devices (fixed
 * seed), the devices work again after a reset each time, the good I/O
 * completes and the image holds what was written.  Issue 11: the same
 * through the ioeventfds (whose datamatch the random QueueNotify writes
 * hit or miss) and through the exit path (--no-eventfd).  A raw guest
 * has no GIC, hence no irqfd.
 */
static void hostile_attack(struct __test_metadata *_metadata,
			   struct mkvm_child_result *res, bool no_eventfd)
{
	/* Issue 11: the virtio-net device is under attack too (slot 2). */
	const char *const args[] = {
		"--raw", HOSTILE_BIN, "-d", HOSTILE_DISK, "--console", "virtio",
		"-n", "tap,ifname=mkvmtap1", "--stats",
		no_eventfd ? "--no-eventfd" : NULL,
	};
	static const struct mkvm_child_io io = {
		.timeout_ms = HOSTILE_TIMEOUT_MS,
	};
	struct vmm_stats st;
	int round;

	ASSERT_EQ(0, hostile_disk());
	mkvm_minivmm_run(args, ARRAY_SIZE(args), &io, res);
	/* What the attacks provoked: one warning per device at most. */
	ksft_print_msg("minivmm's stderr after %ld ms:\n%s", res->total_ms,
		       res->err);
	if (strstr(res->out, "hostile-done"))
		ksft_print_msg("guest: %s", strstr(res->out, "hostile-done"));

	EXPECT_TRUE(hostile_sector_ok());
	unlink(HOSTILE_DISK);
	EXPECT_EQ(0, res->status)
		TH_LOG("stderr: %s\nstdout: %s", res->err, res->out);
	for (round = 1; round <= HOSTILE_ROUNDS; round++) {
		char line[32];

		snprintf(line, sizeof(line), "round %d ok\n", round);
		EXPECT_NE(NULL, strstr(res->out, line))
			TH_LOG("%s missing; stdout: %s\nstderr: %s", line,
			       res->out, res->err);
	}
	EXPECT_NE(NULL, strstr(res->out, "virtio-console ok"))
		TH_LOG("stdout: %s", res->out);
	/* The attacks reached the rings: some broke a device. */
	EXPECT_EQ(NULL, strstr(res->out, "needs-reset seen 0\n"))
		TH_LOG("stdout: %s", res->out);
	EXPECT_NE(NULL, strstr(res->out, "hostile-done"));

	ASSERT_TRUE(vmm_stats_parse(res->err, &st))
		TH_LOG("stderr: %s", res->err);
	EXPECT_STREQ("off", st.irqfd);
	if (no_eventfd) {
		EXPECT_STREQ("off", st.ioeventfd);
		EXPECT_LT(0, st.notify_exits);
		EXPECT_EQ(0, st.ioeventfd_kicks);
	} else {
		/* Both KVM and minikvm offer KVM_CAP_IOEVENTFD. */
		EXPECT_STREQ("on", st.ioeventfd);
		EXPECT_LT(0, st.ioeventfd_kicks);
	}
}

TEST_F_TIMEOUT(hostile, random_registers_and_rings_then_good_io,
	       HOSTILE_HARNESS_S)
{
	hostile_attack(_metadata, &self->res, false);
}

TEST_F_TIMEOUT(hostile, random_registers_and_rings_no_eventfd,
	       HOSTILE_HARNESS_S)
{
	hostile_attack(_metadata, &self->res, true);
}


/*
 * Data integrity: a write the guest saw completed (writethrough: the last
 * round does not negotiate VIRTIO_BLK_F_FLUSH) is in the image file even
 * when minivmm is killed right after, with no chance to sync on exit.
 */
TEST_F_TIMEOUT(hostile, completed_write_survives_sigkill, HOSTILE_HARNESS_S)
{
	char *argv[] = { MKVM_MINIVMM, "run", "--dev", (char *)mkvm_dev_path(),
			 "--raw", HOSTILE_BIN, "-d", HOSTILE_DISK, NULL };
	int out = memfd_create("stdout", MFD_CLOEXEC), status = -1, in[2];
	struct timespec start;
	bool done = false;
	pid_t pid;

	ASSERT_LE(0, out);
	ASSERT_EQ(0, pipe(in));
	ASSERT_EQ(0, hostile_disk());
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		/* stdin stays open and empty: the guest waits at the end. */
		dup2(in[0], STDIN_FILENO);
		close(in[1]);
		dup2(out, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	while (mkvm_ms_since(&start) < HOSTILE_TIMEOUT_MS) {
		mkvm_child_read_memfd(out, self->res.out, sizeof(self->res.out));
		if (strstr(self->res.out, "hostile-done")) {
			done = true;
			break;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		usleep(20000);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(out);
	close(in[0]);
	close(in[1]);

	EXPECT_TRUE(done) TH_LOG("stdout: %s", self->res.out);
	EXPECT_NE(NULL, strstr(self->res.out, "round 4 ok"))
		TH_LOG("stdout: %s", self->res.out);
	EXPECT_TRUE(hostile_sector_ok());
	unlink(HOSTILE_DISK);
}

TEST_HARNESS_MAIN
