// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds wired into the VM, as KVM's virt/kvm/eventfd.c offers them:
 *
 * - KVM_IOEVENTFD: a guest MMIO write matching an address, a length and
 *   optionally a value signals an eventfd inside the kernel; the vCPU goes
 *   on without an exit to the VMM (a virtqueue notification, serviced by
 *   an I/O thread or vhost).
 * - KVM_IRQFD: signalling an eventfd raises a GSI, which the routing table
 *   (KVM_SET_GSI_ROUTING) turns into an SPI of the vGIC.  With
 *   KVM_IRQFD_FLAG_RESAMPLE the SPI is level-triggered: it stays high until
 *   the guest EOIs it, then the line drops and a second eventfd (the
 *   resamplefd) tells the VMM to look at its device again.
 *
 * The hot paths cannot sleep - a guest MMIO write in the run loop, the
 * eventfd wakeup callback (called with the eventfd's wait-queue lock held
 * and interrupts off), an EOI noticed after an exit - so they read the
 * ioeventfd list, the resamplers and the routing table under RCU, and the
 * vGIC's line-set path takes its lock irqsave.  An irqfd is torn down by a
 * work item, because the wakeup that reports the eventfd's close cannot
 * take itself off the wait queue it is called from; VM teardown and
 * deassign wait for those work items, so no irqfd outlives its VM.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "mkvm.h"

/*
 * The ioeventfds of one VM: every guest MMIO write outside the vGIC walks
 * them under rcu_read_lock(), so their number is bounded (a VMM needs one
 * per virtqueue: QEMU's largest machines use hundreds).  KVM keeps them
 * in a sorted array per bus; past this, -ENOSPC as for a full KVM bus.
 */
#define MKVM_MAX_IOEVENTFDS	4096

/* KVM's limits: KVM_MAX_IRQ_ROUTES, and arm64's KVM_IRQCHIP_NUM_PINS. */
#define MKVM_MAX_IRQ_ROUTES	4096
#define MKVM_IRQCHIP_NUM_PINS	(1020 - 32)

#define IOEVENTFD_VALID_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | \
				 KVM_IOEVENTFD_FLAG_PIO | \
				 KVM_IOEVENTFD_FLAG_DEASSIGN | \
				 KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)

/*
 * The bus an ioeventfd listens on.  arm64 has no port I/O and no CCW, but
 * KVM accepts those flags there and files the ioeventfd on a bus that is
 * never written: the same here, so a VMM sees the same answers.
 */
enum ioeventfd_bus {
	BUS_MMIO,
	BUS_PIO,
	BUS_CCW,
};

struct mkvm_ioeventfd {
	struct list_head list;		/* vm->ev.ioeventfds, RCU */
	u64 addr;
	u32 len;			/* 0: any length */
	enum ioeventfd_bus bus;
	bool wildcard;			/* no KVM_IOEVENTFD_FLAG_DATAMATCH */
	u64 datamatch;
	struct eventfd_ctx *eventfd;
};

struct mkvm_irq_route {
	u32 type;		/* 0 (none), KVM_IRQ_ROUTING_IRQCHIP or _MSI */
	u32 pin;		/* IRQCHIP: SPI number, INTID - 32 */
	struct kvm_msi msi;	/* MSI: the message, for the ITS */
};

/* Replaced whole on every update; readers hold rcu_read_lock(). */
struct mkvm_irq_routing {
	struct rcu_head rcu;
	u32 nr_gsis;
	s16 chip[MKVM_IRQCHIP_NUM_PINS];	/* pin -> GSI, or -1 */
	struct mkvm_irq_route map[];		/* by GSI */
};

/* The resampling irqfds of one GSI: one line, acked once for all. */
struct mkvm_irqfd_resampler {
	struct list_head link;		/* vm->ev.resamplers, RCU */
	u32 gsi;
	struct list_head irqfds;	/* by resample_link, RCU */
};

struct mkvm_irqfd {
	struct mkvm_vm *vm;
	u32 gsi;
	struct eventfd_ctx *eventfd;
	struct list_head list;		/* vm->ev.irqfds, under irqfd_lock */
	bool active;			/* on that list */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
	struct work_struct inject;	/* an MSI route's injection */
	struct mkvm_irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resample_link;
};

/* Where irqfd teardowns run; flushed to wait for them all. */
static struct workqueue_struct *irqfd_cleanup_wq;

/* ---- ioeventfd ------------------------------------------------------ */

static enum ioeventfd_bus ioeventfd_bus(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return BUS_PIO;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return BUS_CCW;
	return BUS_MMIO;
}

/*
 * Would a write that one of them accepts also be accepted by the other?
 * As KVM: the same address on the same bus, unless both look at the
 * length and differ in it, or both match values and differ in them.
 */
static bool ioeventfd_collides(const struct mkvm_ioeventfd *a,
			       const struct mkvm_ioeventfd *b)
{
	if (a->bus != b->bus || a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	return a->len == b->len &&
	       (a->wildcard || b->wildcard || a->datamatch == b->datamatch);
}

static int ioeventfd_assign(struct mkvm_vm *vm, const struct kvm_ioeventfd *args)
{
	struct mkvm_ioeventfd *p, *q;
	struct eventfd_ctx *eventfd;
	int ret = 0;

	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~IOEVENTFD_VALID_FLAGS)
		return -EINVAL;
	/* Without a length there is no value to compare. */
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		ret = -ENOMEM;
		goto put_eventfd;
	}
	p->addr = args->addr;
	p->len = args->len;
	p->bus = ioeventfd_bus(args->flags);
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	if (!p->wildcard)
		p->datamatch = args->datamatch;
	p->eventfd = eventfd;

	mutex_lock(&vm->ev.io_lock);
	if (vm->ev.nr_ioeventfds >= MKVM_MAX_IOEVENTFDS) {
		ret = -ENOSPC;
		goto unlock;
	}
	list_for_each_entry(q, &vm->ev.ioeventfds, list) {
		if (ioeventfd_collides(p, q)) {
			ret = -EEXIST;
			goto unlock;
		}
	}
	list_add_tail_rcu(&p->list, &vm->ev.ioeventfds);
	vm->ev.nr_ioeventfds++;
	mutex_unlock(&vm->ev.io_lock);
	return 0;

unlock:
	mutex_unlock(&vm->ev.io_lock);
	kfree(p);
put_eventfd:
	eventfd_ctx_put(eventfd);
	return ret;
}

/* As KVM, deassign checks no argument but the fd: a bad one is -ENOENT. */
static int ioeventfd_deassign(struct mkvm_vm *vm,
			      const struct kvm_ioeventfd *args)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	enum ioeventfd_bus bus = ioeventfd_bus(args->flags);
	struct mkvm_ioeventfd *p, *found = NULL;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	mutex_lock(&vm->ev.io_lock);
	list_for_each_entry(p, &vm->ev.ioeventfds, list) {
		if (p->bus != bus || p->eventfd != eventfd ||
		    p->addr != args->addr || p->len != args->len ||
		    p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != args->datamatch))
			continue;
		list_del_rcu(&p->list);
		vm->ev.nr_ioeventfds--;
		found = p;
		break;
	}
	mutex_unlock(&vm->ev.io_lock);
	eventfd_ctx_put(eventfd);
	if (!found)
		return -ENOENT;
	/*
	 * A vCPU may be signalling it right now.  Expedited, as KVM's
	 * synchronize_srcu_expedited() on its I/O bus: QEMU deassigns its
	 * virtqueues' ioeventfds one by one at every device start and
	 * reset, and a normal grace period took 24 ms each in the test
	 * boot (7 of its 8 deassigns come before the guest's first
	 * instruction).
	 */
	synchronize_rcu_expedited();
	eventfd_ctx_put(found->eventfd);
	kfree(found);
	return 0;
}

/**
 * mkvm_ioeventfd() - KVM_IOEVENTFD
 * @vm:		the VM
 * @args:	the ioeventfd, copied from the VMM
 *
 * Return: 0; -EINVAL for a length other than 0, 1, 2, 4 or 8, a range
 * that wraps, an unknown flag or a value match without a length; -EBADF
 * or -EINVAL for an fd that is not an eventfd; -EEXIST when an ioeventfd
 * already takes such writes; -ENOSPC when the VM has MKVM_MAX_IOEVENTFDS;
 * -ENOENT to deassign one that does not exist; -ENOMEM.
 */
int mkvm_ioeventfd(struct mkvm_vm *vm, const struct kvm_ioeventfd *args)
{
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(vm, args);
	return ioeventfd_assign(vm, args);
}

/**
 * mkvm_ioeventfd_write() - signal the ioeventfd a guest MMIO write hits
 * @vm:		the VM
 * @addr:	the guest physical address written
 * @len:	the access size, 1 to 8 bytes
 * @data:	the value written (only its low @len bytes count)
 *
 * The address must be the ioeventfd's exactly; its length, unless 0, the
 * access's; its value, if it has one, the value written.  The first that
 * matches is signalled, as the first device on KVM's bus takes the write.
 *
 * Return: true if an eventfd took the write (the guest moves on).
 */
bool mkvm_ioeventfd_write(struct mkvm_vm *vm, u64 addr, u32 len, u64 data)
{
	struct mkvm_ioeventfd *p;
	bool hit = false;

	if (list_empty(&vm->ev.ioeventfds))
		return false;
	if (len < 8)
		data &= BIT_ULL(8 * len) - 1;
	rcu_read_lock();
	list_for_each_entry_rcu(p, &vm->ev.ioeventfds, list) {
		if (p->bus != BUS_MMIO || p->addr != addr)
			continue;
		if (p->len && (p->len != len ||
			       (!p->wildcard && p->datamatch != data)))
			continue;
		eventfd_signal(p->eventfd);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

/* ---- GSI routing ---------------------------------------------------- */

static struct mkvm_irq_routing *routing_alloc(u32 nr_gsis)
{
	struct mkvm_irq_routing *rt;
	unsigned int i;

	rt = kvzalloc(struct_size(rt, map, nr_gsis), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return NULL;
	rt->nr_gsis = nr_gsis;
	for (i = 0; i < MKVM_IRQCHIP_NUM_PINS; i++)
		rt->chip[i] = -1;
	return rt;
}

static void routing_install(struct mkvm_vm *vm, struct mkvm_irq_routing *rt)
{
	struct mkvm_irq_routing *old;

	mutex_lock(&vm->ev.irq_lock);
	old = rcu_replace_pointer(vm->ev.routing, rt,
				  lockdep_is_held(&vm->ev.irq_lock));
	mutex_unlock(&vm->ev.irq_lock);
	if (old)
		kvfree_rcu(old, rcu);
}

/* Raise or lower what @gsi routes to; under rcu_read_lock(). */
static void route_set(struct mkvm_vm *vm, const struct mkvm_irq_routing *rt,
		      u32 gsi, bool level)
{
	const struct mkvm_irq_route *r;

	if (!rt || gsi >= rt->nr_gsis)
		return;
	r = &rt->map[gsi];
	/* MSI routes go through irqfd_inject_msi(), not here. */
	if (r->type == KVM_IRQ_ROUTING_IRQCHIP)
		mkvm_arch_set_spi(vm, r->pin, level);
}

static void gsi_set(struct mkvm_vm *vm, u32 gsi, bool level)
{
	rcu_read_lock();
	route_set(vm, rcu_dereference(vm->ev.routing), gsi, level);
	rcu_read_unlock();
}

/* One entry of KVM_SET_GSI_ROUTING, checked as KVM checks it on arm64. */
static int routing_add(struct mkvm_irq_routing *rt,
		       const struct kvm_irq_routing_entry *ue)
{
	struct mkvm_irq_route *r = &rt->map[ue->gsi];

	if (ue->type == KVM_IRQ_ROUTING_MSI ? ue->flags & ~KVM_MSI_VALID_DEVID
					     : ue->flags)
		return -EINVAL;
	/* With one irqchip, a GSI has at most one route. */
	if (r->type)
		return -EINVAL;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->u.irqchip.irqchip >= 1 ||
		    ue->u.irqchip.pin >= MKVM_IRQCHIP_NUM_PINS)
			return -EINVAL;
		r->pin = ue->u.irqchip.pin;
		rt->chip[r->pin] = ue->gsi;
		break;
	case KVM_IRQ_ROUTING_MSI:
		/* Checked when it fires, as KVM: no ITS yet is no error. */
		r->msi.address_lo = ue->u.msi.address_lo;
		r->msi.address_hi = ue->u.msi.address_hi;
		r->msi.data = ue->u.msi.data;
		r->msi.devid = ue->u.msi.devid;
		r->msi.flags = ue->flags;
		break;
	default:
		return -EINVAL;
	}
	r->type = ue->type;
	return 0;
}

/**
 * mkvm_set_gsi_routing() - KVM_SET_GSI_ROUTING
 * @vm:		the VM
 * @argp:	struct kvm_irq_routing and its entries, in the VMM
 *
 * The new table replaces the old one whole.  IRQCHIP routes take a GSI to
 * an SPI (pin n is INTID 32 + n); MSI routes to the message an irqfd
 * sends the ITS (mkvm_arch_set_msi()): without an ITS, or without
 * KVM_MSI_VALID_DEVID, it goes nowhere, as in KVM.
 *
 * Return: 0; -EINVAL for flags, more than 4096 entries, a GSI of 4096 or
 * more, a GSI given twice, an unknown type or entry flag, an irqchip other
 * than 0 or a pin of 988 or more; -EFAULT; -ENOMEM.
 */
int mkvm_set_gsi_routing(struct mkvm_vm *vm,
			 struct kvm_irq_routing __user *argp)
{
	struct kvm_irq_routing_entry *ue = NULL;
	struct mkvm_irq_routing *rt;
	struct kvm_irq_routing hdr;
	u32 i, nr_gsis = 0;
	int ret;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nr > MKVM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_array_user(argp->entries, hdr.nr, sizeof(*ue));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	for (i = 0; i < hdr.nr; i++) {
		if (ue[i].gsi >= MKVM_MAX_IRQ_ROUTES) {
			ret = -EINVAL;
			goto free_entries;
		}
		nr_gsis = max(nr_gsis, ue[i].gsi + 1);
	}
	rt = routing_alloc(nr_gsis);
	if (!rt) {
		ret = -ENOMEM;
		goto free_entries;
	}
	for (i = 0; i < hdr.nr; i++) {
		ret = routing_add(rt, &ue[i]);
		if (ret) {
			kvfree(rt);
			goto free_entries;
		}
	}
	routing_install(vm, rt);
	ret = 0;
free_entries:
	kvfree(ue);
	return ret;
}

/**
 * mkvm_irq_routing_default() - GSI n to SPI n, as KVM sets up at vGIC init
 * @vm:		the VM
 * @nr_spis:	how many SPIs the vGIC has
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_irq_routing_default(struct mkvm_vm *vm, u32 nr_spis)
{
	struct mkvm_irq_routing *rt;
	u32 i;

	nr_spis = min_t(u32, nr_spis, MKVM_IRQCHIP_NUM_PINS);
	rt = routing_alloc(nr_spis);
	if (!rt)
		return -ENOMEM;
	for (i = 0; i < nr_spis; i++) {
		rt->map[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt->map[i].pin = i;
		rt->chip[i] = i;
	}
	routing_install(vm, rt);
	return 0;
}

/* ---- irqfd ---------------------------------------------------------- */

/*
 * The eventfd fired: raise the GSI.  Like KVM on arm64, the line is only
 * ever raised here: an edge SPI latches it, a level one stays high until
 * its resampler lowers it on EOI (or the VMM does with KVM_IRQ_LINE).
 * An MSI route is delivered here if the ITS has its translation cached;
 * else it goes to a work item: the ITS translates under mutexes, and this
 * runs in the eventfd's wakeup, interrupts off (KVM too falls back to a
 * work item when its translation cache misses).
 */
static void irqfd_inject(struct mkvm_irqfd *irqfd)
{
	const struct mkvm_irq_routing *rt;
	bool slow = false;

	rcu_read_lock();
	rt = rcu_dereference(irqfd->vm->ev.routing);
	if (rt && irqfd->gsi < rt->nr_gsis &&
	    rt->map[irqfd->gsi].type == KVM_IRQ_ROUTING_MSI)
		slow = mkvm_arch_set_msi_atomic(irqfd->vm,
						&rt->map[irqfd->gsi].msi) < 0;
	else
		route_set(irqfd->vm, rt, irqfd->gsi, true);
	rcu_read_unlock();
	if (slow)
		schedule_work(&irqfd->inject);
}

/* The work item of an irqfd with an MSI route: the route as it is now. */
static void irqfd_inject_msi(struct work_struct *work)
{
	struct mkvm_irqfd *irqfd = container_of(work, struct mkvm_irqfd,
						inject);
	const struct mkvm_irq_routing *rt;
	struct kvm_msi msi;
	bool found;

	rcu_read_lock();
	rt = rcu_dereference(irqfd->vm->ev.routing);
	found = rt && irqfd->gsi < rt->nr_gsis &&
		rt->map[irqfd->gsi].type == KVM_IRQ_ROUTING_MSI;
	if (found)
		msi = rt->map[irqfd->gsi].msi;
	rcu_read_unlock();
	/* Dropped if not translated, as KVM's irqfd does. */
	if (found)
		mkvm_arch_set_msi(irqfd->vm, &msi);
}

/* Under irqfd_lock: off the list, and have the work item free it. */
static void irqfd_deactivate(struct mkvm_irqfd *irqfd)
{
	list_del_init(&irqfd->list);
	WRITE_ONCE(irqfd->active, false);
	queue_work(irqfd_cleanup_wq, &irqfd->shutdown);
}

/*
 * Called by the eventfd with its wait-queue lock held, interrupts off:
 * nothing here sleeps.
 */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct mkvm_irqfd *irqfd = container_of(wait, struct mkvm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct mkvm_vm *vm = irqfd->vm;
	unsigned long iflags;
	int ret = 0;
	u64 cnt;

	if (flags & EPOLLIN) {
		/* Consume the count: the next signal is a new wakeup. */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		if (READ_ONCE(irqfd->active))
			irqfd_inject(irqfd);
		ret = 1;
	}
	if (flags & EPOLLHUP) {
		/* The eventfd is being closed: let go of it. */
		spin_lock_irqsave(&vm->ev.irqfd_lock, iflags);
		if (irqfd->active)
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->ev.irqfd_lock, iflags);
	}
	return ret;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct mkvm_irqfd *irqfd = container_of(pt, struct mkvm_irqfd, pt);

	/* First in line and exclusive: the count is ours to consume. */
	add_wait_queue_priority(wqh, &irqfd->wait);
}

/* Join (or start) the resampler of the irqfd's GSI; under irq_lock. */
static int resampler_attach(struct mkvm_irqfd *irqfd)
{
	struct mkvm_vm *vm = irqfd->vm;
	struct mkvm_irqfd_resampler *r;

	list_for_each_entry(r, &vm->ev.resamplers, link)
		if (r->gsi == irqfd->gsi)
			goto found;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->gsi = irqfd->gsi;
	INIT_LIST_HEAD(&r->irqfds);
	list_add_rcu(&r->link, &vm->ev.resamplers);
found:
	irqfd->resampler = r;
	list_add_rcu(&irqfd->resample_link, &r->irqfds);
	return 0;
}

/*
 * Leave the resampler; the last one out lowers the line, which nobody
 * would lower otherwise.  Under irq_lock.
 */
static void resampler_detach(struct mkvm_irqfd *irqfd)
{
	struct mkvm_irqfd_resampler *r = irqfd->resampler;
	struct mkvm_vm *vm = irqfd->vm;
	bool last;

	list_del_rcu(&irqfd->resample_link);
	last = list_empty(&r->irqfds);
	if (last)
		list_del_rcu(&r->link);
	/*
	 * An EOI in flight may still signal our resamplefd, or walk r.
	 * Expedited, as KVM's synchronize_srcu_expedited() on its irq_srcu,
	 * for the same reason as an ioeventfd's deassign: QEMU detaches a
	 * VFIO device's INTx irqfd at every reset and switch to MSI, and a
	 * normal grace period took 24 ms in the test boot.
	 */
	synchronize_rcu_expedited();
	if (!last)
		return;
	gsi_set(vm, r->gsi, false);
	kfree(r);
}

/*
 * The irqfd is off the VM's list; take it off the eventfd's wait queue
 * and free it.  irq_lock first: an assign still between publishing the
 * irqfd and polling the eventfd holds it, and must finish queueing the
 * wait entry before this can take it away.
 */
static void irqfd_shutdown(struct work_struct *work)
{
	struct mkvm_irqfd *irqfd = container_of(work, struct mkvm_irqfd,
						shutdown);
	struct mkvm_vm *vm = irqfd->vm;
	u64 cnt;

	mutex_lock(&vm->ev.irq_lock);
	/* Takes the wait-queue lock: no wakeup of ours runs after this. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler)
		resampler_detach(irqfd);
	mutex_unlock(&vm->ev.irq_lock);
	/* No wakeup queues it again: the last MSI is through. */
	flush_work(&irqfd->inject);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

static int irqfd_assign(struct mkvm_vm *vm, const struct kvm_irqfd *args)
{
	struct eventfd_ctx *eventfd, *resamplefd;
	struct mkvm_irqfd *irqfd, *tmp;
	struct file *file;
	__poll_t events;
	int ret;

	if (!mkvm_arch_irqchip_ready(vm))
		return -EAGAIN;
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_LIST_HEAD(&irqfd->resample_link);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	INIT_WORK(&irqfd->inject, irqfd_inject_msi);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue_proc);

	/* The file, not just the context: vfs_poll() needs it. */
	file = fget(args->fd);
	if (!file) {
		ret = -EBADF;
		goto free_irqfd;
	}
	eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(eventfd)) {
		ret = PTR_ERR(eventfd);
		goto put_file;
	}
	irqfd->eventfd = eventfd;
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(resamplefd)) {
			ret = PTR_ERR(resamplefd);
			goto put_eventfd;
		}
		irqfd->resamplefd = resamplefd;
	}

	mutex_lock(&vm->ev.irq_lock);
	if (irqfd->resamplefd) {
		ret = resampler_attach(irqfd);
		if (ret)
			goto unlock;
	}
	spin_lock_irq(&vm->ev.irqfd_lock);
	list_for_each_entry(tmp, &vm->ev.irqfds, list) {
		if (tmp->eventfd == eventfd) {
			/* One eventfd drives one irqfd of a VM. */
			spin_unlock_irq(&vm->ev.irqfd_lock);
			ret = -EBUSY;
			goto detach;
		}
	}
	list_add_tail(&irqfd->list, &vm->ev.irqfds);
	irqfd->active = true;
	spin_unlock_irq(&vm->ev.irqfd_lock);
	/* Queue the wakeup, and catch a signal that came before it. */
	events = vfs_poll(file, &irqfd->pt);
	/* Still under irq_lock: a deassign cannot have freed it yet. */
	if (events & EPOLLIN)
		irqfd_inject(irqfd);
	mutex_unlock(&vm->ev.irq_lock);
	/* Held until now: an EPOLLHUP cannot come before the wait entry. */
	fput(file);
	return 0;

detach:
	if (irqfd->resampler)
		resampler_detach(irqfd);
unlock:
	mutex_unlock(&vm->ev.irq_lock);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
put_eventfd:
	eventfd_ctx_put(eventfd);
put_file:
	fput(file);
free_irqfd:
	kfree(irqfd);
	return ret;
}

/* As KVM, deassigning what is not assigned is no error. */
static int irqfd_deassign(struct mkvm_vm *vm, const struct kvm_irqfd *args)
{
	struct mkvm_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	spin_lock_irq(&vm->ev.irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->ev.irqfds, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->ev.irqfd_lock);
	eventfd_ctx_put(eventfd);
	/* No interrupt from it once this returns. */
	flush_workqueue(irqfd_cleanup_wq);
	return 0;
}

/**
 * mkvm_irqfd() - KVM_IRQFD
 * @vm:		the VM
 * @args:	the irqfd, copied from the VMM
 *
 * Return: 0; -EINVAL for an unknown flag or an fd that is not an eventfd;
 * -EBADF for a closed fd; -EAGAIN before the vGIC is initialised; -EBUSY
 * when the eventfd already drives an irqfd of this VM; -ENOMEM.  The GSI
 * is not checked (KVM does not either): one without a route raises nothing.
 */
int mkvm_irqfd(struct mkvm_vm *vm, const struct kvm_irqfd *args)
{
	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, args);
	return irqfd_assign(vm, args);
}

/**
 * mkvm_irqfd_acked() - the guest has EOIed a level-triggered SPI
 * @vm:		the VM
 * @pin:	the SPI, INTID - 32
 *
 * If resampling irqfds drive the GSI routed to @pin, lower its line (or it
 * would be pending again at once) and signal their resamplefds.  Called by
 * the vGIC with no lock held, preemptible or not.
 */
void mkvm_irqfd_acked(struct mkvm_vm *vm, u32 pin)
{
	struct mkvm_irqfd_resampler *r;
	struct mkvm_irq_routing *rt;
	struct mkvm_irqfd *irqfd;
	int gsi;

	if (list_empty(&vm->ev.resamplers))
		return;
	rcu_read_lock();
	rt = rcu_dereference(vm->ev.routing);
	if (!rt || pin >= MKVM_IRQCHIP_NUM_PINS || rt->chip[pin] < 0)
		goto unlock;
	gsi = rt->chip[pin];
	list_for_each_entry_rcu(r, &vm->ev.resamplers, link) {
		if (r->gsi != gsi)
			continue;
		route_set(vm, rt, gsi, false);
		list_for_each_entry_rcu(irqfd, &r->irqfds, resample_link)
			eventfd_signal(irqfd->resamplefd);
	}
unlock:
	rcu_read_unlock();
}

/* ---- the VM's life -------------------------------------------------- */

/**
 * mkvm_eventfd_vm_init() - a new VM: no ioeventfds, irqfds or routes
 * @vm:		the VM
 */
void mkvm_eventfd_vm_init(struct mkvm_vm *vm)
{
	mutex_init(&vm->ev.io_lock);
	INIT_LIST_HEAD(&vm->ev.ioeventfds);
	spin_lock_init(&vm->ev.irqfd_lock);
	INIT_LIST_HEAD(&vm->ev.irqfds);
	mutex_init(&vm->ev.irq_lock);
	INIT_LIST_HEAD(&vm->ev.resamplers);
	RCU_INIT_POINTER(vm->ev.routing, NULL);
}

/**
 * mkvm_eventfd_vm_destroy() - the VM is going: drop every eventfd
 * @vm:		the VM, before its vCPUs and vGIC are freed
 *
 * The eventfds themselves may live on in the VMM: after this nothing of
 * the VM is reachable from them.
 */
void mkvm_eventfd_vm_destroy(struct mkvm_vm *vm)
{
	struct mkvm_ioeventfd *p, *ptmp;
	struct mkvm_irqfd *irqfd, *tmp;

	spin_lock_irq(&vm->ev.irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->ev.irqfds, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->ev.irqfd_lock);
	/* Every teardown, ours and those an eventfd's close queued. */
	flush_workqueue(irqfd_cleanup_wq);

	/* No vCPU runs any more: no RCU reader of the ioeventfds is left. */
	list_for_each_entry_safe(p, ptmp, &vm->ev.ioeventfds, list) {
		list_del(&p->list);
		eventfd_ctx_put(p->eventfd);
		kfree(p);
	}
	kvfree(rcu_dereference_protected(vm->ev.routing, true));
}

/**
 * mkvm_eventfd_module_init() - the irqfd teardown workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_eventfd_module_init(void)
{
	irqfd_cleanup_wq = alloc_workqueue("minikvm-irqfd-cleanup", 0, 0);
	return irqfd_cleanup_wq ? 0 : -ENOMEM;
}

/**
 * mkvm_eventfd_module_exit() - every VM is gone: free the workqueue
 */
void mkvm_eventfd_module_exit(void)
{
	destroy_workqueue(irqfd_cleanup_wq);
}
