/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a program (minivmm) as a child of a test, as a user would: its
 * stdout and stderr kept whole, its stdin a pipe or a pseudo-terminal the
 * test types into, and its exit status.
 *
 * The child gets a deadline of its own, shorter than the harness's timeout:
 * when the harness kills a test, what the child printed is lost, and that
 * is just what tells why a guest hung.
 */
#ifndef MKVM_CHILD_H
#define MKVM_CHILD_H

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "mkvm_util.h"

/* Where the test initramfs (scripts/initramfs.sh) puts minivmm. */
#define MKVM_MINIVMM	"/bin/minivmm"
/* Room for a command line of mkvm_minivmm_run(), its final NULL included. */
#define MKVM_MINIVMM_ARGV	32

/* How to run the child. */
struct mkvm_child_io {
	long timeout_ms;	/* then it is killed */
	const char *input;	/* typed at its stdin; NULL: stdin at EOF */
	const char *prompt;	/* with @input: type once stdout shows this */
	bool tty;		/* stdin a pseudo-terminal, not a pipe */
	const char *mark;	/* time when stdout first shows this */
};

/* What came of it. */
struct mkvm_child_result {
	int status;		/* exit status, or -1 if it did not exit */
	long mark_ms;		/* when stdout showed io->mark, or -1 */
	long total_ms;		/* until it exited (or was killed) */
	bool tty_restored;	/* with io->tty: its modes are as before */
	char out[65536];
	char err[4096];
};

/* The whole content of a memfd, NUL-terminated. */
static inline void mkvm_child_read_memfd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Run @argv (argv[0] a path) as @io says, into @res.  stdout and stderr
 * are memfds, not pipes, so that a chatty guest never blocks on a full
 * pipe while the test is not reading.  On a pseudo-terminal, minivmm
 * switches to raw mode, so the test checks that it gives the modes back.
 */
static inline void mkvm_child_run(char *const argv[],
				  const struct mkvm_child_io *io,
				  struct mkvm_child_result *res)
{
	int out = memfd_create("stdout", MFD_CLOEXEC);
	int err = memfd_create("stderr", MFD_CLOEXEC);
	struct termios before, after;
	struct timespec start;
	bool typed = false;
	int in[2], status;
	pid_t pid;

	res->status = -1;
	res->mark_ms = -1;
	res->total_ms = 0;
	res->tty_restored = false;
	res->out[0] = '\0';
	res->err[0] = '\0';
	if (out < 0 || err < 0)
		goto close_memfds;
	/* in[0] is the child's stdin, in[1] where the test types. */
	if (io->tty ? openpty(&in[1], &in[0], NULL, NULL, NULL) : pipe(in)) {
		snprintf(res->err, sizeof(res->err), "test: %s: %s",
			 io->tty ? "openpty" : "pipe", strerror(errno));
		goto close_memfds;
	}
	if (io->tty && tcgetattr(in[0], &before)) {
		snprintf(res->err, sizeof(res->err), "test: tcgetattr: %s",
			 strerror(errno));
		goto close_stdin;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		close(in[0]);
		close(in[1]);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* Nothing to type: the child sees the end of its input at once. */
	if (!io->input) {
		close(in[1]);
		in[1] = -1;
	}
	while (pid > 0) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFEXITED(status))
				res->status = WEXITSTATUS(status);
			break;
		}
		mkvm_child_read_memfd(out, res->out, sizeof(res->out));
		if (io->mark && res->mark_ms < 0 && strstr(res->out, io->mark))
			res->mark_ms = mkvm_ms_since(&start);
		if (io->input && !typed && strstr(res->out, io->prompt)) {
			if (write(in[1], io->input, strlen(io->input)) < 0)
				perror("write to the child's stdin");
			typed = true;
			/* A pty's master stays open: closing it hangs up. */
			if (!io->tty) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (mkvm_ms_since(&start) >= io->timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	if (io->tty && !tcgetattr(in[0], &after))
		res->tty_restored = after.c_lflag == before.c_lflag &&
				    after.c_iflag == before.c_iflag;
	res->total_ms = mkvm_ms_since(&start);
	mkvm_child_read_memfd(out, res->out, sizeof(res->out));
	mkvm_child_read_memfd(err, res->err, sizeof(res->err));
close_stdin:
	close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
close_memfds:
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
}

/*
 * minivmm run --dev MKVM_DEV, then @args up to the first NULL (at most
 * @nargs of them): every test runs minivmm on the device under test, and
 * a --dev in @args comes later, so it wins.
 */
static inline void mkvm_minivmm_run(const char *const args[], size_t nargs,
				    const struct mkvm_child_io *io,
				    struct mkvm_child_result *res)
{
	char *argv[MKVM_MINIVMM_ARGV] = { MKVM_MINIVMM, "run", "--dev",
					  (char *)mkvm_dev_path() };
	size_t i, n = 4;

	for (i = 0; i < nargs && args[i]; i++) {
		/* One slot stays NULL: the end of argv. */
		if (n == MKVM_MINIVMM_ARGV - 1) {
			res->status = -1;
			res->out[0] = '\0';
			snprintf(res->err, sizeof(res->err),
				 "test: a minivmm command line of over %d words",
				 MKVM_MINIVMM_ARGV - 1);
			return;
		}
		argv[n++] = (char *)args[i];
	}
	mkvm_child_run(argv, io, res);
}

/* Lines in @s, a last line without '\n' included. */
static inline int mkvm_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

/*
 * The first @size - 1 bytes of the file @path, NUL-terminated, into @buf
 * (what a guest wrote at the start of its disk).  Return: how many, or
 * -errno.
 */
static inline ssize_t mkvm_file_head(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, size - 1, 0);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* The last @n bytes of @s: where a failed boot says why. */
static inline const char *mkvm_tail(const char *s, size_t n)
{
	size_t len = strlen(s);

	return len > n ? s + len - n : s;
}

/* How much of the console a failed check shows. */
#define MKVM_CONSOLE_TAIL	3000

/* Each line of a guest's console that holds one of its "guest-" marks. */
static inline void mkvm_print_guest_lines(const char *out)
{
	const char *st;

	for (st = strstr(out, "guest-"); st; st = strstr(st + 1, "guest-"))
		ksft_print_msg("%.*s\n", (int)strcspn(st, "\r\n"), st);
}

/*
 * After a Linux guest ran under a VMM (minivmm, QEMU): its "guest-" lines
 * printed, then the marks its script echoes checked, the arguments after
 * @res.  The first ("guest-up") says its userspace ran: without it the
 * test stops there, with the VMM's stderr.  The others are each expected,
 * and the VMM's exit status 0.  A failed check shows the console's tail.
 * Needs kselftest_harness.h first, as its EXPECTs.
 */
#define mkvm_check_guest_marks(res, ...) do {				\
	const char *const __marks[] = { __VA_ARGS__ };			\
									\
	__mkvm_check_guest_marks(_metadata, (res), __marks,		\
				 sizeof(__marks) / sizeof(__marks[0]));	\
} while (0)

static inline void
__mkvm_check_guest_marks(struct __test_metadata *_metadata,
			 const struct mkvm_child_result *res,
			 const char *const marks[], size_t n)
{
	size_t i, missing = 0;

	mkvm_print_guest_lines(res->out);
	ASSERT_NE(NULL, strstr(res->out, marks[0]))
		TH_LOG("no %s; stderr: %s\nconsole tail: %s", marks[0],
		       res->err, mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	for (i = 1; i < n; i++) {
		if (strstr(res->out, marks[i]))
			continue;
		ksft_print_msg("no %s on the guest's console\n", marks[i]);
		missing++;
	}
	EXPECT_EQ(0, missing)
		TH_LOG("console tail: %s", mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
	EXPECT_EQ(0, res->status)
		TH_LOG("stderr: %s\nconsole tail: %s", res->err,
		       mkvm_tail(res->out, MKVM_CONSOLE_TAIL));
}

/* minivmm --stats's counters (kvm__print_stats()), from its stderr. */
struct vmm_stats {
	char ioeventfd[4], irqfd[4];
	unsigned long notify_exits, ioeventfd_kicks, irqfd_raises, line_changes;
};

static inline bool vmm_stats_parse(const char *err, struct vmm_stats *st)
{
	const char *line = strstr(err, "minivmm: stats: ");

	return line && sscanf(line, "minivmm: stats: ioeventfd %3[a-z], irqfd %3[a-z], notify exits %lu, ioeventfd kicks %lu, irqfd raises %lu, irq line changes %lu",
			      st->ioeventfd, st->irqfd, &st->notify_exits,
			      &st->ioeventfd_kicks, &st->irqfd_raises,
			      &st->line_changes) == 6;
}

#endif /* MKVM_CHILD_H */
