/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by minikvm's selftests: which boot this is, the device
 * under test, loading and unloading minikvm.ko, and the kernel log.
 *
 * Every test runs on each QEMU boot of `make check` (MKVM_BOOT):
 *   minikvm, debug  minikvm owns EL2, MKVM_DEV=/dev/minikvm
 *   oracle          the kernel's own KVM owns EL2, MKVM_DEV=/dev/kvm
 *   oracle-vhe      the kernel's KVM in VHE mode: minikvm must refuse
 *   debug-vhe       the debug kernel as vhe
 *   vhe             the kernel runs at EL2 (VHE): minikvm runs guests
 *                   from there, MKVM_DEV=/dev/minikvm
 */
#ifndef MKVM_UTIL_H
#define MKVM_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/membarrier.h>
#include <linux/minikvm.h>

static inline const char *mkvm_boot(void)
{
	const char *b = getenv("MKVM_BOOT");

	return b ? b : "minikvm";
}

static inline bool mkvm_boot_is(const char *name)
{
	return !strcmp(mkvm_boot(), name);
}

/* Does minikvm run guests on this boot (at EL2, in either host mode)? */
static inline bool mkvm_boot_minikvm(void)
{
	return mkvm_boot_is("minikvm") || mkvm_boot_is("debug") ||
	       mkvm_boot_is("vhe") || mkvm_boot_is("debug-vhe");
}

/* Does the kernel itself run at EL2 on this boot (minikvm in VHE mode)? */
static inline bool mkvm_boot_vhe(void)
{
	return mkvm_boot_is("vhe") || mkvm_boot_is("debug-vhe");
}

/* The debug kernel (KASAN, lockdep, kmemleak), in either host mode? */
static inline bool mkvm_boot_debug(void)
{
	return mkvm_boot_is("debug") || mkvm_boot_is("debug-vhe");
}

/*
 * How many times slower than the minikvm boot this boot runs a test: the
 * debug kernel (KASAN, lockdep, kmemleak, all under TCG) takes about five
 * times as long for the same guest exits (soak_test: 17 s for 1000
 * iterations on minikvm, 8 s for 100 on debug).  Tests that do a fixed amount of
 * work size it with mkvm_scaled_work(), so that the debug boot stays within
 * its time budget (scripts/check.sh) and still runs every path.
 */
static inline unsigned int mkvm_boot_slowdown(void)
{
	return mkvm_boot_debug() ? 5 : 1;
}

/* @n units of work, divided by the boot's slowdown (at least 1). */
static inline unsigned long mkvm_scaled_work(unsigned long n)
{
	unsigned long w = n / mkvm_boot_slowdown();

	return w ? w : 1;
}

/*
 * The factor for the harness's per-test timeouts (30 s by default, or
 * TEST_F_TIMEOUT's): 4 on the debug boot, 2 elsewhere, because make check
 * runs on a 2-core machine that may be busy with another QEMU, and a
 * timeout is there to catch a hang, not a slow machine.  MKVM_TIMEOUT_SCALE
 * in the environment overrides it.
 */
static inline unsigned int mkvm_timeout_scale(void)
{
	const char *s = getenv("MKVM_TIMEOUT_SCALE");

	if (s && atoi(s) > 0)
		return atoi(s);
	return mkvm_boot_debug() ? 4 : 2;
}

/*
 * A timeout of @secs seconds scaled for this boot, but never beyond 600 s
 * for one test unless it asked for more: a real hang must still leave the
 * rest of the boot's tests their time.
 */
static inline int mkvm_scaled_timeout(int secs)
{
	long t = (long)secs * mkvm_timeout_scale();
	long cap = secs > 600 ? secs : 600;

	return t > cap ? cap : t;
}

#ifdef KSELFTEST_PRIO_TEST
/*
 * Scale every registered test's timeout once all of them have registered
 * (the harness registers them in constructors at KSELFTEST_PRIO_TEST and
 * KSELFTEST_PRIO_XFAIL; lower priorities run first).  Needs
 * kselftest_harness.h included before this header, as every test does.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_XFAIL + 1)))
mkvm_scale_timeouts(void)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = mkvm_scaled_timeout(t->timeout);
}
#endif

static inline const char *mkvm_dev_path(void)
{
	const char *d = getenv("MKVM_DEV");

	return d ? d : "/dev/minikvm";
}

/* Is the device under test minikvm (and so has minikvm's extensions)? */
static inline bool mkvm_dev_is_minikvm(void)
{
	return strstr(mkvm_dev_path(), "minikvm") != NULL;
}

/* finit_module(minikvm.ko) with module parameters @params: 0 or -errno. */
static inline int mkvm_load_params(const char *params)
{
	const char *path = getenv("MKVM_MODULE");
	int fd, ret;

	fd = open(path ? path : "/lib/minikvm.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Write @val to the file at @path (sysfs, cgroupfs, tracefs), opened with
 * O_WRONLY and @flags (O_TRUNC empties tracefs's "trace"): 0 or -errno.
 */
static inline int mkvm_write_file(const char *path, const char *val,
				  int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* finit_module(minikvm.ko): 0 or -errno. */
static inline int mkvm_load(void)
{
	return mkvm_load_params("");
}

/* delete_module("minikvm"): 0 or -errno. */
static inline int mkvm_unload(void)
{
	return syscall(SYS_delete_module, "minikvm", O_NONBLOCK) ? -errno : 0;
}

static inline bool mkvm_loaded(void)
{
	return access("/sys/module/minikvm", F_OK) == 0;
}

/* Load minikvm on the boots where it owns EL2; 0 or -errno. */
static inline int mkvm_load_if_owner(void)
{
	int ret;

	if (!mkvm_boot_minikvm() || !mkvm_dev_is_minikvm())
		return 0;
	ret = mkvm_load();
	return ret == -EEXIST ? 0 : ret;
}

/* The whole kernel log, NUL-terminated; free() it. */
static inline char *mkvm_klog(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;

	if (len <= 0)
		return NULL;
	buf = calloc(1, len + 1);
	if (!buf)
		return NULL;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

/* How many kernel log lines contain @needle (-1 if the log is unreadable). */
static inline int mkvm_klog_count(const char *needle)
{
	char *log = mkvm_klog(), *p;
	int n = 0;

	if (!log)
		return -1;
	for (p = log; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* Milliseconds on CLOCK_MONOTONIC since @start. */
static inline long mkvm_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * membarrier(MEMBARRIER_CMD_GLOBAL) is a synchronize_rcu() from user
 * space: the tests that time RCU grace periods need it.
 */
static inline bool mkvm_has_global_membarrier(void)
{
	int q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return q >= 0 && (q & MEMBARRIER_CMD_GLOBAL);
}

/* @n normal RCU grace periods one after another: ms, or -errno. */
static inline long mkvm_grace_periods_ms(unsigned int n)
{
	struct timespec start;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < n; i++)
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			return -errno;
	return mkvm_ms_since(&start);
}

static inline int mkvm_online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static inline int mkvm_possible_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_CONF);
}

/* Write "0"/"1" to cpuN/online: 0 or -errno. */
static inline int mkvm_cpu_set_online(int cpu, bool online)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* MINIKVM_HYP_PING on @cpu through an open /dev/minikvm: 0 or -errno. */
static inline int mkvm_ping(int fd, int cpu, struct minikvm_hyp_ping *ping)
{
	memset(ping, 0, sizeof(*ping));
	ping->cpu = cpu;
	ping->cookie = 0x5a5a0000ull + cpu;
	return ioctl(fd, MINIKVM_HYP_PING, ping) ? -errno : 0;
}

#endif /* MKVM_UTIL_H */
