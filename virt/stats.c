// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD on a VM or a vCPU: a read-only fd holding KVM's binary
 * statistics format (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"):
 *
 *   header | id string | descriptors | data
 *
 * Everything but the data is fixed when the fd is made; the data is the
 * live value of each counter, read at the time of the read().  Counters
 * that KVM has too carry KVM's name and meaning; minikvm's own start with
 * "mkvm_".  The fd holds a reference on the VM, so that it stays readable
 * after the VM and vCPU fds are closed, as in KVM.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include "mkvm.h"

struct stat_def {
	const char *name;
	size_t field;		/* offset in struct mkvm_{vm,vcpu}_stat */
};

#define STAT(type, f)		{ #f, offsetof(struct type, f) }
#define MKVM_STAT(type, f)	{ "mkvm_" #f, offsetof(struct type, f) }

/*
 * KVM's arm64 "remote_tlb_flush" counts only its dirty-logging flushes
 * (stage-2 unmaps invalidate as they go there), so minikvm's count of
 * VM-wide flushes carries its own name.
 */
static const struct stat_def vm_stats[] = {
	MKVM_STAT(mkvm_vm_stat, tlb_flushes),
	MKVM_STAT(mkvm_vm_stat, tlb_ipa_flushes),
	MKVM_STAT(mkvm_vm_stat, s2_tables_replaced),
};

static const struct stat_def vcpu_stats[] = {
	STAT(mkvm_vcpu_stat, exits),
	STAT(mkvm_vcpu_stat, wfi_exit_stat),
	STAT(mkvm_vcpu_stat, wfe_exit_stat),
	STAT(mkvm_vcpu_stat, hvc_exit_stat),
	STAT(mkvm_vcpu_stat, mmio_exit_user),
	STAT(mkvm_vcpu_stat, mmio_exit_kernel),
	STAT(mkvm_vcpu_stat, signal_exits),
	STAT(mkvm_vcpu_stat, halt_attempted_poll),
	STAT(mkvm_vcpu_stat, halt_successful_poll),
	STAT(mkvm_vcpu_stat, halt_wakeup),
	STAT(mkvm_vcpu_stat, halt_poll_success_ns),
	STAT(mkvm_vcpu_stat, halt_poll_fail_ns),
	STAT(mkvm_vcpu_stat, halt_wait_ns),
	MKVM_STAT(mkvm_vcpu_stat, stage2_faults),
	MKVM_STAT(mkvm_vcpu_stat, sysreg_exits),
	MKVM_STAT(mkvm_vcpu_stat, irq_exits),
};

/* The larger table sizes the snapshot buffer of stats_read(). */
static_assert(ARRAY_SIZE(vm_stats) <= ARRAY_SIZE(vcpu_stats));

/* What one stats fd serves. */
struct stats_file {
	struct mkvm_vm *vm;	/* referenced */
	const void *counters;	/* &vm->stat or &vcpu->stat */
	const struct stat_def *defs;
	unsigned int n;
	size_t meta_size;	/* header + id + descriptors = data offset */
	u8 meta[];
};

/* Userspace's struct kvm_stats_desc ends in a flexible name[]. */
static size_t desc_size(void)
{
	return offsetof(struct kvm_stats_desc, name) + KVM_STATS_NAME_SIZE;
}

/* Lays out the header, the id string and the descriptors in sf->meta. */
static void stats_fill_meta(struct stats_file *sf, const char *id)
{
	struct kvm_stats_header *h = (void *)sf->meta;
	unsigned int i;

	h->flags = 0;
	h->name_size = KVM_STATS_NAME_SIZE;
	h->num_desc = sf->n;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + KVM_STATS_NAME_SIZE;
	h->data_offset = h->desc_offset + sf->n * desc_size();
	strscpy(sf->meta + h->id_offset, id, KVM_STATS_NAME_SIZE);

	for (i = 0; i < sf->n; i++) {
		struct kvm_stats_desc *d = (void *)(sf->meta + h->desc_offset +
						    i * desc_size());

		/* Every counter only grows, in plain events. */
		d->flags = KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE |
			   KVM_STATS_BASE_POW10;
		d->exponent = 0;
		d->size = 1;
		d->offset = i * sizeof(u64);
		d->bucket_size = 0;
		strscpy(d->name, sf->defs[i].name, KVM_STATS_NAME_SIZE);
	}
}

static ssize_t stats_read(struct file *file, char __user *buf, size_t len,
			  loff_t *ppos)
{
	struct stats_file *sf = file->private_data;
	u64 data[ARRAY_SIZE(vcpu_stats)];
	size_t data_size = sf->n * sizeof(u64);
	loff_t pos = *ppos;
	size_t done = 0, chunk;
	unsigned int i;

	if (pos < 0)
		return -EINVAL;
	if (pos < sf->meta_size && len) {
		chunk = min_t(size_t, len, sf->meta_size - pos);
		if (copy_to_user(buf, sf->meta + pos, chunk))
			return -EFAULT;
		done += chunk;
		pos += chunk;
	}
	if (done < len && pos < sf->meta_size + data_size) {
		/* One snapshot per read(): each value is one load. */
		for (i = 0; i < sf->n; i++)
			data[i] = READ_ONCE(*(const u64 *)(sf->counters +
							   sf->defs[i].field));
		chunk = min_t(size_t, len - done,
			      sf->meta_size + data_size - pos);
		if (copy_to_user(buf + done,
				 (u8 *)data + (pos - sf->meta_size), chunk))
			return done ? done : -EFAULT;
		done += chunk;
		pos += chunk;
	}
	*ppos = pos;
	return done;
}

static int stats_release(struct inode *inode, struct file *file)
{
	struct stats_file *sf = file->private_data;

	mkvm_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

static const struct file_operations mkvm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= stats_read,
	.release	= stats_release,
	.llseek		= noop_llseek,
};

static int stats_fd(struct mkvm_vm *vm, const void *counters,
		    const struct stat_def *defs, unsigned int n,
		    const char *id)
{
	size_t meta_size = sizeof(struct kvm_stats_header) +
			   KVM_STATS_NAME_SIZE + n * desc_size();
	struct stats_file *sf;
	struct file *file;
	int fd, ret;

	sf = kzalloc(struct_size(sf, meta, meta_size), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->vm = vm;
	sf->counters = counters;
	sf->defs = defs;
	sf->n = n;
	sf->meta_size = meta_size;
	stats_fill_meta(sf, id);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto free_sf;
	}
	file = anon_inode_getfile("minikvm-stats", &mkvm_stats_fops, sf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto put_fd;
	}
	/* Readers pread() each section at its offset, as with KVM. */
	file->f_mode |= FMODE_PREAD;
	refcount_inc(&vm->users);
	fd_install(fd, file);
	return fd;

put_fd:
	put_unused_fd(fd);
free_sf:
	kfree(sf);
	return ret;
}

/**
 * mkvm_vm_stats_fd() - KVM_GET_STATS_FD on a VM fd
 * @vm:		the VM
 *
 * The id is "kvm-PID", PID that of the caller, as KVM names a VM after the
 * thread that created it (only that process may drive the VM).
 *
 * Return: a new read-only fd, or -ENOMEM, -EMFILE.
 */
int mkvm_vm_stats_fd(struct mkvm_vm *vm)
{
	char id[KVM_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d", task_pid_nr(current));
	return stats_fd(vm, &vm->stat, vm_stats, ARRAY_SIZE(vm_stats), id);
}

/**
 * mkvm_vcpu_stats_fd() - KVM_GET_STATS_FD on a vCPU fd
 * @vcpu:	the vCPU
 *
 * Return: a new read-only fd, or -ENOMEM, -EMFILE.
 */
int mkvm_vcpu_stats_fd(struct mkvm_vcpu *vcpu)
{
	char id[KVM_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d/vcpu-%u", task_pid_nr(current),
		 vcpu->id);
	return stats_fd(vcpu->vm, &vcpu->stat, vcpu_stats,
			ARRAY_SIZE(vcpu_stats), id);
}
