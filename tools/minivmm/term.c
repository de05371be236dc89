// SPDX-License-Identifier: GPL-2.0
/*
 * Console input.  One I/O thread polls stdin and hands what it reads to
 * the console device the guest uses (the PL011, or the virtio console with
 * --console virtio).  It never waits on the guest: a device takes what it
 * has room for, the rest waits in a bounded buffer and is offered again
 * every TERM_RETRY_MS.  On a terminal stdin is read all the time, so that
 * Ctrl-A x works however stuck the guest is (typing beyond the buffer is
 * dropped, and said so once); a pipe or file is only read while there is
 * room, so none of it is lost.
 *
 * On a terminal, stdin is put in raw mode so that every key, Ctrl-C
 * included, reaches the guest; the escape Ctrl-A then x stops the VM,
 * Ctrl-A Ctrl-A (or a) sends one Ctrl-A.  The terminal is restored when
 * minivmm exits, and when a signal kills it.  When stdin is not a terminal
 * (a pipe, a file, /dev/null in tests) it is read as it is, and its end
 * just ends the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kvm.h"
#include "minivmm.h"
#include "pl011.h"
#include "term.h"
#include "virtio-console.h"

#define TERM_ESCAPE	0x01	/* Ctrl-A */
/* Typed input the guest has not taken yet, at most. */
#define TERM_PENDING	4096
#define TERM_RETRY_MS	10

static struct {
	struct kvm *kvm;
	bool is_tty;
	bool raw;
	struct termios saved;
	int stop_pipe[2];
	pthread_t thread;
	bool thread_started;
	bool escape;		/* the last key was Ctrl-A */
	uint8_t pending[TERM_PENDING];
	size_t nr_pending;
	bool dropped;		/* typing was dropped; said once */
} term = { .stop_pipe = { -1, -1 } };

static void term__restore(void)
{
	if (term.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &term.saved);
}

/* Restore the terminal, then die of the signal as if we had not caught it. */
static void term__fatal_signal(int sig)
{
	term__restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int term__set_raw(void)
{
	static const int fatal[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	struct termios t;
	unsigned int i;

	if (tcgetattr(STDIN_FILENO, &term.saved)) {
		fprintf(stderr, "minivmm: stdin: tcgetattr: %s\n", strerror(errno));
		return -1;
	}
	t = term.saved;
	/*
	 * Raw input (no line editing, echo or signals from keys); output
	 * processing stays on so minivmm's own messages keep their columns.
	 */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t)) {
		fprintf(stderr, "minivmm: stdin: tcsetattr: %s\n", strerror(errno));
		return -1;
	}
	term.raw = true;
	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		signal(fatal[i], term__fatal_signal);
	return 0;
}

static size_t term__deliver(const uint8_t *buf, size_t len)
{
	struct kvm *kvm = term.kvm;

	if (!len)
		return 0;
	if (kvm->cfg.console == CONSOLE_VIRTIO)
		return virtio_console__receive(kvm, buf, len);
	return pl011__receive(kvm, buf, len);
}

/*
 * Filter the escape sequences out of what was typed, in place.
 * Return: false once the user asked to quit.
 */
static bool term__filter(uint8_t *buf, size_t *len)
{
	size_t i, out = 0;

	for (i = 0; i < *len; i++) {
		uint8_t c = buf[i];

		if (!term.escape && c == TERM_ESCAPE) {
			term.escape = true;
			continue;
		}
		if (term.escape) {
			term.escape = false;
			if (c == 'x') {
				*len = out;
				return false;
			}
			if (c == 'a')
				c = TERM_ESCAPE;
		}
		buf[out++] = c;
	}
	*len = out;
	return true;
}

/* Queue what was typed; on a terminal, what does not fit is dropped. */
static void term__queue(const uint8_t *buf, size_t len)
{
	size_t room = TERM_PENDING - term.nr_pending;

	if (len > room) {
		if (!term.dropped)
			fprintf(stderr, "\r\nminivmm: the guest is not reading its console; input dropped\r\n");
		term.dropped = true;
		len = room;
	}
	memcpy(term.pending + term.nr_pending, buf, len);
	term.nr_pending += len;
}

/* Offer what is pending to the guest's console, without waiting. */
static void term__flush(void)
{
	size_t n = term__deliver(term.pending, term.nr_pending);

	memmove(term.pending, term.pending + n, term.nr_pending - n);
	term.nr_pending -= n;
}

static void *term__thread(void *arg)
{
	struct pollfd fds[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = term.stop_pipe[0], .events = POLLIN },
	};
	struct kvm *kvm = term.kvm;
	uint8_t buf[256];
	bool go_on = true, in_open = true, want;
	ssize_t n;
	size_t len;

	while (go_on && !atomic_load(&kvm->stopping)) {
		/*
		 * A pipe waits while the guest is behind; a terminal is read
		 * all the time.  Not polling stdin at all (fd -1), rather than
		 * polling for no events, since a hang-up is reported anyway.
		 */
		want = in_open && (term.is_tty || !term.nr_pending);
		if (!in_open && !term.nr_pending)
			break;		/* end of input, all of it delivered */
		fds[0].fd = want ? STDIN_FILENO : -1;
		if (poll(fds, 2, term.nr_pending ? TERM_RETRY_MS : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		if (want && fds[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = false;	/* the guest just gets no more */
			} else {
				len = n;
				/* The escape is looked for before the guest sees anything. */
				if (term.is_tty)
					go_on = term__filter(buf, &len);
				term__queue(buf, len);
			}
		}
		if (go_on && term.nr_pending)
			term__flush();
	}
	if (!go_on) {
		fprintf(stderr, "\nminivmm: Ctrl-A x: stopping the guest\n");
		kvm__stop(kvm, 0);
	}
	return NULL;
}

/**
 * term__init() - start taking console input for the guest
 * @kvm: the VM, its console device created
 *
 * Return: 0, or -1 with a message.
 */
int term__init(struct kvm *kvm)
{
	int err;

	term.kvm = kvm;
	term.is_tty = isatty(STDIN_FILENO);
	if (term.is_tty && term__set_raw())
		return -1;
	if (pipe2(term.stop_pipe, O_CLOEXEC)) {
		fprintf(stderr, "minivmm: pipe: %s\n", strerror(errno));
		return -1;
	}
	err = pthread_create(&term.thread, NULL, term__thread, NULL);
	if (err) {
		fprintf(stderr, "minivmm: console input thread: %s\n", strerror(err));
		return -1;
	}
	term.thread_started = true;
	return 0;
}

/* Stop the input thread and give the terminal back as it was. */
void term__exit(struct kvm *kvm)
{
	if (term.thread_started) {
		if (write(term.stop_pipe[1], "", 1) < 0)
			perror("minivmm: term");
		pthread_join(term.thread, NULL);
		term.thread_started = false;
	}
	if (term.stop_pipe[0] >= 0) {
		close(term.stop_pipe[0]);
		close(term.stop_pipe[1]);
		term.stop_pipe[0] = -1;
		term.stop_pipe[1] = -1;
	}
	term__restore();
	term.raw = false;
}
