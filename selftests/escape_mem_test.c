// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile VMMs against guest memory (issue 7): what a VMM does to the
 * memory behind its memslots must reach stage 2, and a VMM that is
 * reclaimed, throttled or OOM-killed must not hang, deadlock or leak the
 * host.  Each case says what "contained" means:
 *
 *  - tagged_slot_refused: with the tagged-address ABI on, a memslot at a
 *    tagged address is -EINVAL (as on KVM), where it used to be accepted
 *    and kept guest mappings of pages the VMM had freed;
 *  - tagged_vmm_dontneed_reads_zero: a VMM that drops a page through a
 *    tagged pointer takes it away from the guest too: the guest's marker
 *    reads back as 0;
 *  - dontneed_loop_in_memcg: vCPUs fault across a large RAM while a VMM
 *    thread drops that RAM in a loop, inside a memory cgroup that throttles
 *    and reclaims: the guest finishes, the kernel log stays clean (lockdep
 *    on the debug boot: no allocation under the lock the MMU notifier
 *    takes);
 *  - oom_kill_while_faulting: a VMM in a small memory cgroup is OOM-killed
 *    while its vCPU faults: it dies of SIGKILL, no WARN, and a new VM runs;
 *  - sigkill_reap_while_faulting: process_mrelease() (what the OOM reaper
 *    does: non-blocking MMU notifier calls) right after SIGKILL, repeated:
 *    the notifier never fails, no WARN, a new VM runs.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL	55
#define PR_TAGGED_ADDR_ENABLE	(1UL << 0)
#endif

#define PAGE		4096ull
#define MEM_IPA		0xc0000000ull
#define MEM_SIZE	0x10000ull

/* A large RAM for the fault storms: 4 GiB up, one slot. */
#define BIG_IPA		0x100000000ull

MKVM_VM_FIXTURE(mem);

/*
 * x0 = a RAM address, x1 = a marker: store the marker, report what the
 * guest reads there, then (after the host dropped the page) again.
 */
MKVM_GUEST(guest_marker,
	"str	x1, [x0]\n"
	"dsb	sy\n"
	"ldr	x2, [x0]\n"
	G_REPORT("x2")
	"ldr	x2, [x0]\n"
	G_REPORT("x2")
	G_DONE);

/* x0 = base, x1 = size, x2 = stride: write every stride, report, repeat. */
MKVM_GUEST(guest_touch,
	"2:	mov	x3, #0\n"
	"1:	str	x3, [x0, x3]\n"
	"add	x3, x3, x2\n"
	"cmp	x3, x1\n"
	"b.lo	1b\n"
	G_REPORT("x3")
	"b	2b\n");

static uint64_t tag_ptr(const void *p, uint64_t tag)
{
	return (uintptr_t)p | (tag << 56);
}

/*
 * The marker scenario on a VM whose slot at MEM_IPA is @host (as the
 * VMM sees it) and @madv (the pointer the VMM drops it through): the
 * guest stores @marker, the VMM drops the page, the guest reads again.
 * Returns what the guest read the second time; 0 is right.
 */
static uint64_t marker_after_dontneed(struct __test_metadata *_metadata,
				      struct mkvm_vm *vm,
				      volatile uint64_t *host, uint64_t madv,
				      uint64_t marker)
{
	struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	uint64_t seen;

	vcpu_set_reg(vcpu, MKVM_XREG(0), MEM_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(1), marker);
	EXPECT_EQ(marker, vcpu_report(vcpu));
	EXPECT_EQ(marker, host[0]);
	EXPECT_EQ(0, madvise((void *)(uintptr_t)madv, PAGE, MADV_DONTNEED))
		TH_LOG("madvise: %s", strerror(errno));
	EXPECT_EQ(0, host[0]);		/* a fresh zero page for the VMM */
	seen = vcpu_report(vcpu);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	return seen;
}

static void enable_tagged_addr(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE,
			   0, 0, 0))
		TH_LOG("PR_SET_TAGGED_ADDR_CTRL: %s (kernel without "
		       "ARM64_TAGGED_ADDR_ABI?)", strerror(errno));
}

/*
 * gup strips the tag, MMU notifiers report untagged ranges: a tagged
 * slot's mappings would never be invalidated.  KVM: -EINVAL.
 */
TEST_F(mem, tagged_slot_refused)
{
	static const uint64_t tags[] = { 0x01, 0x5a, 0xff };
	uint64_t *mem;
	unsigned int i;
	int ret;

	enable_tagged_addr(_metadata);
	self->vm = vm_create(guest_marker, guest_marker_end);
	mem = mkvm_alloc(MEM_SIZE);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		volatile uint64_t *tagged =
			(volatile uint64_t *)(uintptr_t)tag_ptr(mem, tags[i]);

		/* The tagged pointer is good for the VMM itself. */
		tagged[0] = tags[i];
		ASSERT_EQ(tags[i], mem[0]);
		ret = _vm_set_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE,
				     tag_ptr(mem, tags[i]));
		EXPECT_EQ(-EINVAL, ret)
			TH_LOG("tag %#llx", (unsigned long long)tags[i]);
		if (ret)
			continue;
		/* Accepted: show what it costs, once. */
		EXPECT_EQ(0, marker_after_dontneed(_metadata, self->vm, mem,
						   (uintptr_t)mem, 0x7a66ed))
			TH_LOG("the guest still reads the page the VMM freed");
		return;
	}
	/* The same memory untagged is a good slot. */
	EXPECT_EQ(0, _vm_set_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE,
				    (uintptr_t)mem));
	munmap(mem, MEM_SIZE);
}

/* The VMM drops the page through a tagged pointer: the guest sees zero. */
TEST_F(mem, tagged_vmm_dontneed_reads_zero)
{
	uint64_t *mem;

	enable_tagged_addr(_metadata);
	self->vm = vm_create(guest_marker, guest_marker_end);
	mem = vm_add_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE);
	EXPECT_EQ(0, marker_after_dontneed(_metadata, self->vm,
			(volatile uint64_t *)(uintptr_t)tag_ptr(mem, 0x3c),
			tag_ptr(mem, 0xc3), 0x600dcafe));
}

/*
 * Memory cgroups (v2).  /sys/fs/cgroup is mounted if it is not; each
 * test gets its own child group, removed afterwards.
 */
#define CGROUP_ROOT	"/sys/fs/cgroup"

struct memcg {
	char path[128];
};

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return mkvm_write_file(path, val, 0);
}

/* A "key value" line of a cgroup file such as memory.events; -1 if none. */
static long long read_key(const char *dir, const char *file, const char *key)
{
	char path[256], name[64];
	long long val, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &val) == 2)
		if (!strcmp(name, key))
			ret = val;
	fclose(f);
	return ret;
}

/* A fresh group @name with memory.max @max and memory.high @high. */
static int memcg_create(struct memcg *cg, const char *name,
			const char *max, const char *high)
{
	char ctrl[256];
	FILE *f;
	int ret;

	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	f = fopen(CGROUP_ROOT "/cgroup.controllers", "re");
	if (!f)
		return -errno;
	if (!fgets(ctrl, sizeof(ctrl), f))
		ctrl[0] = '\0';
	fclose(f);
	if (!strstr(ctrl, "memory"))
		return -EOPNOTSUPP;
	ret = write_file(CGROUP_ROOT, "cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(cg->path, sizeof(cg->path), CGROUP_ROOT "/%s", name);
	rmdir(cg->path);		/* left over from a killed run */
	if (mkdir(cg->path, 0755))
		return -errno;
	ret = write_file(cg->path, "memory.max", max);
	if (!ret)
		ret = write_file(cg->path, "memory.high", high);
	if (ret)
		rmdir(cg->path);
	return ret;
}

static void memcg_destroy(struct memcg *cg)
{
	rmdir(cg->path);
}

/*
 * Run @fn(@arg) in a child process inside @cg, killed by SIGALRM after
 * @timeout_s; its wait status.
 */
static int memcg_run(struct memcg *cg, int (*fn)(void *), void *arg,
		     unsigned int timeout_s)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (write_file(cg->path, "cgroup.procs", "0")) {
			perror("join the memory cgroup");
			_exit(KSFT_FAIL);
		}
		alarm(timeout_s);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static const char *status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
	return buf;
}

/*
 * Kernel log lines that fail a boot (scripts/guest-init.sh), counted in
 * the part of the log after @skip bytes.
 */
static const char *const bad_log[] = {
	"WARNING:", "BUG:", "Oops", "circular locking", "possible recursive",
	"inconsistent lock", "sleeping function called", "callback failed",
	"INFO: task", "soft lockup", "Call trace:",
};

/*
 * Mark the kernel log where a test begins; klog_bad_since() looks only
 * after the mark (all of the log if the ring buffer lost it).
 */
static const char *klog_mark(const char *test)
{
	static char mark[96];
	int fd;

	snprintf(mark, sizeof(mark), "escape_mem_test: %s begins (%d.%ld)",
		 test, getpid(), (long)time(NULL));
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, mark, strlen(mark)) < 0)
			perror("/dev/kmsg");
		close(fd);
	}
	return mark;
}

/*
 * Bad lines in the log after @mark (NULL: all of it); with @oom_ok, an OOM
 * killer's report (from "invoked oom-killer" to its "Killed process" line,
 * a stack dump included) is expected and skipped.  Prints what it counts.
 */
static int klog_bad_since(const char *mark, bool oom_ok)
{
	char *log = mkvm_klog(), *from, *line, *save = NULL;
	bool in_oom = false;
	unsigned int i;
	int n = 0;

	if (!log)
		return -1;
	from = mark ? strstr(log, mark) : NULL;
	for (line = strtok_r(from ? from : log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (oom_ok && strstr(line, "invoked oom-killer"))
			in_oom = true;
		if (in_oom) {
			if (strstr(line, "Killed process"))
				in_oom = false;
			continue;
		}
		for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++) {
			if (strstr(line, bad_log[i])) {
				ksft_print_msg("kernel log: %s\n", line);
				n++;
				break;
			}
		}
	}
	free(log);
	return n;
}

/*
 * The OOM killer's report carries a stack dump ("Call trace:"), which the
 * boot's log check counts as a failure.  Once this test has checked that
 * the log holds nothing bad but that report, it empties the log, so that
 * the boot's check still judges every other line of every other test.
 */
static void klog_forget_checked_oom_report(void)
{
	if (klog_bad_since(NULL, true) == 0)
		klogctl(5 /* SYSLOG_ACTION_CLEAR */, NULL, 0);
}

/* A fresh VM outside any limit still runs a guest: the host is fine. */
static void host_still_runs_vms(struct __test_metadata *_metadata)
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;

	vm = vm_create(guest_marker, guest_marker_end);
	vm_add_memory(vm, 1, 0, MEM_IPA, MEM_SIZE);
	vcpu = vm_vcpu_add(vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(0), MEM_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xa11fe);
	EXPECT_EQ(0xa11fe, vcpu_report(vcpu));
	EXPECT_EQ(0xa11fe, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* A VM in the calling process: @nr_vcpus vCPUs each touching its share. */
struct storm {
	struct mkvm_vm *vm;
	uint8_t *ram;
	uint64_t size;
	int nr_vcpus;
	struct mkvm_vcpu *vcpus[4];
	pthread_t threads[4];
	uint64_t passes;	/* how many passes each vCPU makes; 0: forever */
	uint64_t touched[4];	/* bytes the vCPU reported, each pass */
	volatile int stop;
	uint64_t dropped;	/* MADV_DONTNEED calls made */
	unsigned int pause_us;	/* between two MADV_DONTNEED calls */
};

static void storm_create(struct storm *s, uint64_t size, int nr_vcpus,
			 uint64_t stride)
{
	uint64_t share = size / nr_vcpus;
	int i;

	s->vm = vm_create(guest_touch, guest_touch_end);
	s->ram = vm_add_memory(s->vm, 1, 0, BIG_IPA, size);
	/*
	 * Small pages: a storm of 4 KiB faults is the point.  With huge
	 * pages each touch would fault in (and zero) 2 MiB under a memory.high
	 * of 8 MiB, which on the oracle's KVM took ten times as long.
	 */
	MKVM_CHECK(!madvise(s->ram, size, MADV_NOHUGEPAGE), "madvise: %s",
		   strerror(errno));
	s->size = size;
	s->nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++) {
		s->vcpus[i] = vm_vcpu_add(s->vm, i);
		vcpu_set_reg(s->vcpus[i], MKVM_XREG(0), BIG_IPA + i * share);
		vcpu_set_reg(s->vcpus[i], MKVM_XREG(1), share);
		vcpu_set_reg(s->vcpus[i], MKVM_XREG(2), stride);
	}
}

struct storm_vcpu {
	struct storm *s;
	int i;
};

static void *storm_vcpu_fn(void *arg)
{
	struct storm_vcpu *v = arg;
	struct storm *s = v->s;
	uint64_t pass;

	for (pass = 0; !s->passes || pass < s->passes; pass++)
		s->touched[v->i] = vcpu_report(s->vcpus[v->i]);
	return NULL;
}

/*
 * Drop the RAM 2 MiB at a time, round and round, until told to stop.
 * Each drop is an invalidation, and a fault that overlaps one in time is
 * retried (Documentation/memory.rst): back to back they would starve the
 * guest, as they would on KVM, so the dropper pauses between them.
 */
static void *storm_dontneed_fn(void *arg)
{
	const uint64_t chunk = 2ull << 20;
	struct storm *s = arg;
	uint64_t off = 0;

	while (!s->stop) {
		MKVM_CHECK(!madvise(s->ram + off, chunk, MADV_DONTNEED),
			   "madvise: %s", strerror(errno));
		s->dropped++;
		off = (off + chunk) % s->size;
		if (s->pause_us)
			usleep(s->pause_us);
	}
	return NULL;
}

static void storm_run(struct storm *s, bool dontneed)
{
	struct storm_vcpu v[4];
	pthread_t dropper;
	int i;

	for (i = 0; i < s->nr_vcpus; i++) {
		v[i] = (struct storm_vcpu){ s, i };
		MKVM_CHECK(!pthread_create(&s->threads[i], NULL,
					   storm_vcpu_fn, &v[i]),
			   "pthread_create");
	}
	if (dontneed)
		MKVM_CHECK(!pthread_create(&dropper, NULL, storm_dontneed_fn, s),
			   "pthread_create");
	for (i = 0; i < s->nr_vcpus; i++)
		pthread_join(s->threads[i], NULL);
	s->stop = 1;
	if (dontneed)
		pthread_join(dropper, NULL);
}

/*
 * The guest RAM of the fault storm, and the limits it runs under.  QEMU
 * gives the minikvm and oracle boots 1 GiB, the debug boot 2 GiB
 * (scripts/qemu.sh); the slot is MAP_NORESERVE and the dropper keeps what
 * is resident small, so a 1 GiB slot fits on every boot.  The guest
 * touches it every 64 KiB: each of its 512 2 MiB blocks gets a table page
 * and 32 faults.  One fault costs ~0.3 ms of TCG time on a busy host
 * (~10x on the debug boot), so every 4 KiB page would be 262,144 faults,
 * far beyond a boot's time budget; 16,384 take ~10 s here.
 * memory.high (8 MiB) is what makes reclaim run: charges above it reclaim
 * and throttle the faulting thread; memory.max (96 MiB) only guards the
 * host should the dropper fall behind.
 */
#define STORM_SIZE	(1ull << 30)
#define STORM_STRIDE	(64ull << 10)
#define STORM_PAUSE_US	1000
#define STORM_HIGH	"8M"
#define STORM_MAX	"96M"

struct storm_result {
	uint64_t touched[4];
	uint64_t dropped;
	double seconds;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int storm_worker(void *arg)
{
	struct storm_result *res = arg;
	struct storm s = { .passes = 1, .pause_us = STORM_PAUSE_US };
	double start = now_s();
	int i;

	storm_create(&s, STORM_SIZE, 2, STORM_STRIDE);
	storm_run(&s, true);
	res->seconds = now_s() - start;
	for (i = 0; i < s.nr_vcpus; i++)
		res->touched[i] = s.touched[i];
	res->dropped = s.dropped;
	return 0;
}

TEST_F_TIMEOUT(mem, dontneed_loop_in_memcg, 900)
{
	const char *mark = klog_mark("dontneed_loop_in_memcg");
	struct storm_result *res;
	struct memcg cg;
	char buf[64];
	int status, ret;

	ret = memcg_create(&cg, "mkvm-storm", STORM_MAX, STORM_HIGH);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no memory controller");
	ASSERT_EQ(0, ret) TH_LOG("memory cgroup: %s", strerror(-ret));
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);

	/* The worker dies of SIGALRM before the harness gives up on us. */
	status = memcg_run(&cg, storm_worker, res, 840);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("worker: %s; memory.events oom_kill %lld",
		       status_str(status, buf, sizeof(buf)),
		       read_key(cg.path, "memory.events", "oom_kill"));
	EXPECT_EQ(STORM_SIZE / 2, res->touched[0]);
	EXPECT_EQ(STORM_SIZE / 2, res->touched[1]);
	/* The VMM did drop RAM under the guest, more than once over. */
	EXPECT_LT(STORM_SIZE / (2ull << 20), res->dropped);
	/* ... and the guest's faults did run into the limit and reclaim. */
	EXPECT_LT(0, read_key(cg.path, "memory.events", "high"));
	ksft_print_msg("%.1f s, %llu MADV_DONTNEED calls; memory.events high %lld, max %lld\n",
		       res->seconds, (unsigned long long)res->dropped,
		       read_key(cg.path, "memory.events", "high"),
		       read_key(cg.path, "memory.events", "max"));
	EXPECT_EQ(0, klog_bad_since(mark, false));
	memcg_destroy(&cg);
	munmap(res, sizeof(*res));
}

/* Fault forever in 256 MiB of RAM; the memory cgroup allows 16 MiB. */
#define OOM_SIZE	(256ull << 20)
#define OOM_MAX		"16M"

static int oom_worker(void *arg)
{
	struct storm s = { .passes = 0 };

	storm_create(&s, OOM_SIZE, 1, PAGE);
	storm_run(&s, false);
	return KSFT_FAIL;		/* never: the OOM killer comes first */
}

TEST_F_TIMEOUT(mem, oom_kill_while_faulting, 300)
{
	const char *mark = klog_mark("oom_kill_while_faulting");
	struct memcg cg;
	char buf[64];
	int status, ret;

	ret = memcg_create(&cg, "mkvm-oom", OOM_MAX, "max");
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no memory controller");
	ASSERT_EQ(0, ret) TH_LOG("memory cgroup: %s", strerror(-ret));
	status = memcg_run(&cg, oom_worker, NULL, 240);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("worker: %s", status_str(status, buf, sizeof(buf)));
	EXPECT_LE(1, read_key(cg.path, "memory.events", "oom_kill"));
	memcg_destroy(&cg);

	host_still_runs_vms(_metadata);
	EXPECT_EQ(0, klog_bad_since(mark, true));
	klog_forget_checked_oom_report();
}

/*
 * SIGKILL, then process_mrelease() at once: the dying VMM's memory is
 * reaped with non-blocking MMU notifier calls while its vCPUs may still be
 * in a fault and its dropper thread in an invalidation.
 */
#define REAP_ROUNDS	8
#define REAP_SIZE	(16ull << 20)

static int reap_worker(void *arg)
{
	struct storm s = { .passes = 0, .pause_us = 100 };
	int *ready = arg;

	storm_create(&s, REAP_SIZE, 2, PAGE);
	/* One pass first, so that the parent kills a VM in full swing. */
	s.touched[0] = vcpu_report(s.vcpus[0]);
	__atomic_store_n(ready, 1, __ATOMIC_RELEASE);
	storm_run(&s, true);
	return KSFT_FAIL;
}

TEST_F_TIMEOUT(mem, sigkill_reap_while_faulting, 600)
{
	const char *mark = klog_mark("sigkill_reap_while_faulting");
	int round, status, pidfd;
	int *ready;
	char buf[64];
	pid_t pid;

	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ready);
	for (round = 0; round < REAP_ROUNDS; round++) {
		*ready = 0;
		fflush(stdout);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			alarm(120);
			_exit(reap_worker(ready));
		}
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		ASSERT_LE(0, pidfd);
		while (!__atomic_load_n(ready, __ATOMIC_ACQUIRE)) {
			/* A worker that died on its own failed to set up. */
			ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
				TH_LOG("round %d: worker %s", round,
				       status_str(status, buf, sizeof(buf)));
			usleep(1000);
		}
		/* A little later each round: other moments of the storm. */
		usleep(20000 + round * 5000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		/* 0, or ESRCH if it was already gone: both fine. */
		if (syscall(SYS_process_mrelease, pidfd, 0))
			EXPECT_EQ(ESRCH, errno)
				TH_LOG("process_mrelease: %s", strerror(errno));
		close(pidfd);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: worker %s", round,
			       status_str(status, buf, sizeof(buf)));
	}
	munmap(ready, sizeof(*ready));
	host_still_runs_vms(_metadata);
	EXPECT_EQ(0, klog_bad_since(mark, false));
}

TEST_HARNESS_MAIN
