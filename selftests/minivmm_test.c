// SPDX-License-Identifier: GPL-2.0
/*
 * minivmm run --raw: the demo payload greets through the emulated PL011 and
 * powers off with PSCI, and every user error ends with one line on stderr
 * and exit status 1.  A test of the KVM API as a VMM uses it: it runs
 * against minikvm and, on the oracle boot, against the kernel's own KVM.
 */
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"

#define MINIVMM		"/bin/minivmm"
#define HELLO		"/bin/hello.bin"
#define GREETING	"Hello from a minikvm guest!\n"
/* Well under the harness's 30 s, so a hung guest is reported, not lost. */
#define RUN_TIMEOUT_MS	20000

struct run_result {
	int status;		/* exit status, or -1 if it did not exit */
	char out[4096];
	char err[4096];
};

/* The whole content of a memfd, NUL-terminated. */
static void read_memfd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Run minivmm with @argv; stdout and stderr are collected in memfds so a
 * chatty child can never block on a full pipe.
 */
static void run_minivmm(char *const argv[], struct run_result *res)
{
	int out = memfd_create("stdout", MFD_CLOEXEC);
	int err = memfd_create("stderr", MFD_CLOEXEC);
	int status, waited;
	pid_t pid;

	res->status = -1;
	res->out[0] = res->err[0] = '\0';
	if (out < 0 || err < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (waited = 0; pid > 0; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFEXITED(status))
				res->status = WEXITSTATUS(status);
			break;
		}
		if (waited >= RUN_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	read_memfd(out, res->out, sizeof(res->out));
	read_memfd(err, res->err, sizeof(res->err));
	close(out);
	close(err);
}

/* Lines in @s (a last line without '\n' counts). */
static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

FIXTURE(run) {
	struct run_result res;
};

/*
 * Each case: the arguments after "run --dev $MKVM_DEV" (a later --dev
 * wins), and what must come out.  @greeting: a successful run; otherwise
 * exit status 1 and @err_has in the single line on stderr.
 */
FIXTURE_VARIANT(run) {
	const char *args[8];
	bool greeting;
	const char *err_has;
};

FIXTURE_VARIANT_ADD(run, hello) {
	.args = { "--raw", HELLO "@0x80000000" },
	.greeting = true,
};

/* Secondaries start powered off; SYSTEM_OFF must stop them too. */
FIXTURE_VARIANT_ADD(run, hello_4_vcpus) {
	.args = { "--raw", HELLO "@0x80000000", "-c", "4" },
	.greeting = true,
};

/* The payload is position independent: RAM elsewhere, loaded mid-RAM. */
FIXTURE_VARIANT_ADD(run, hello_mem_base) {
	.args = { "--raw", HELLO "@0x40200000", "--mem-base", "0x40000000",
		  "-m", "16" },
	.greeting = true,
};

FIXTURE_VARIANT_ADD(run, missing_file) {
	.args = { "--raw", "/nonexistent.bin@0x80000000" },
	.err_has = "/nonexistent.bin: No such file or directory",
};

FIXTURE_VARIANT_ADD(run, below_ram) {
	.args = { "--raw", HELLO "@0x40000000" },
	.err_has = "outside guest RAM",
};

/* Starts inside the default 64 MiB but runs past its end. */
FIXTURE_VARIANT_ADD(run, straddles_ram_end) {
	.args = { "--raw", HELLO "@0x83fffff0" },
	.err_has = "outside guest RAM",
};

FIXTURE_VARIANT_ADD(run, no_memory) {
	.args = { "--raw", HELLO "@0x80000000", "-m", "0" },
	.err_has = "-m 0",
};

FIXTURE_VARIANT_ADD(run, not_a_kvm_device) {
	.args = { "--raw", HELLO "@0x80000000", "--dev", "/dev/null" },
	.err_has = "not a KVM-API device",
};

FIXTURE_SETUP(run)
{
	if (mkvm_boot_is("vhe"))
		SKIP(return, "no KVM-API device on the VHE boot");
	ASSERT_EQ(0, mkvm_load_if_owner());
}

FIXTURE_TEARDOWN(run)
{
}

TEST_F(run, exit_status_and_output)
{
	char *argv[16] = { MINIVMM, "run", "--dev", (char *)mkvm_dev_path() };
	unsigned int i, n = 4;

	for (i = 0; i < ARRAY_SIZE(variant->args) && variant->args[i]; i++)
		argv[n++] = (char *)variant->args[i];
	run_minivmm(argv, &self->res);

	if (variant->greeting) {
		EXPECT_EQ(0, self->res.status) TH_LOG("stderr: %s", self->res.err);
		EXPECT_STREQ(GREETING, self->res.out);
		EXPECT_STREQ("", self->res.err);
	} else {
		EXPECT_EQ(1, self->res.status) TH_LOG("stderr: %s", self->res.err);
		EXPECT_STREQ("", self->res.out);
		EXPECT_EQ(1, count_lines(self->res.err))
			TH_LOG("stderr: %s", self->res.err);
		EXPECT_NE(NULL, strstr(self->res.err, variant->err_has))
			TH_LOG("stderr: %s", self->res.err);
	}
}

TEST_HARNESS_MAIN
