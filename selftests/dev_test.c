// SPDX-License-Identifier: GPL-2.0
/*
 * The system fd: /dev/minikvm answers like /dev/kvm.  Runs against minikvm
 * and, on the oracle boot, against the kernel's own KVM.
 */
#include <termios.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"

FIXTURE(sysfd) {
	int fd;
};

FIXTURE_SETUP(sysfd)
{
	ASSERT_EQ(0, mkvm_load_if_owner());
	self->fd = open(mkvm_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", mkvm_dev_path(),
				      strerror(errno));
}

FIXTURE_TEARDOWN(sysfd)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sysfd, api_version)
{
	EXPECT_EQ(12, ioctl(self->fd, KVM_GET_API_VERSION, 0));
}

TEST_F(sysfd, api_version_with_argument)
{
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* Table of ioctls the system fd does not know: KVM on arm64 says EINVAL. */
static const unsigned long unknown_ioctls[] = {
	_IO(KVMIO, 0xff),
	_IOW(KVMIO, 0x7f, int),
	TCGETS,
	0,
};

TEST_F(sysfd, unknown_ioctls)
{
	unsigned int i;

	for (i = 0; i < sizeof(unknown_ioctls) / sizeof(unknown_ioctls[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, unknown_ioctls[i], 0))
			TH_LOG("ioctl %#lx", unknown_ioctls[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("ioctl %#lx", unknown_ioctls[i]);
	}
}

TEST_F(sysfd, check_extension_unknown)
{
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, 0xdead));
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, -1L));
}

/* minikvm's own system-fd ioctl validates its pointer and every field. */
TEST_F(sysfd, hyp_ping_bad_arguments)
{
	struct minikvm_hyp_ping ping = { 0 };

	if (!mkvm_dev_is_minikvm())
		SKIP(return, "MINIKVM_HYP_PING is a minikvm extension");

	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* A read-only buffer: read succeeds, the write-back must fail. */
	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING,
			    (void *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
			    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
			    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"));
	EXPECT_EQ(EFAULT, errno);

	ping.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING, &ping));
	EXPECT_EQ(EINVAL, errno);
	ping.flags = 0;
	ping.cpu = 4096;
	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING, &ping));
	EXPECT_EQ(EINVAL, errno);
	ping.cpu = 0xffffffff;
	EXPECT_EQ(-1, ioctl(self->fd, MINIKVM_HYP_PING, &ping));
	EXPECT_EQ(EINVAL, errno);

	ping.cpu = 0;
	EXPECT_EQ(0, ioctl(self->fd, MINIKVM_HYP_PING, &ping));
	EXPECT_EQ(~0ull, ping.answer);
}

TEST_HARNESS_MAIN
