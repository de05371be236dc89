#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside QEMU (scripts/bench.sh): the microbenchmarks, the Linux guest
# boot three times, virtio-net and virtio-blk throughput, on this boot's
# KVM-API device.  One line per figure:
#   BENCH <boot> <name> <value>
# mkvm.bench=micro,boot,virtio,dirtylog,qemu,passthrough on the kernel command line (make
# bench BENCH=...) runs only those parts; default: all.
dev=/dev/minikvm
# oracle, oracle-vhe: the kernel's KVM (scripts/guest-init.sh).
[ -n "$MKVM_DEV" ] && dev=$MKVM_DEV
# mkvm.modparams=a=1,b=2 (make bench MODPARAMS=...): minikvm's module
# parameters, to compare settings (halt polling) in one run.
params=$(sed -n 's/.*mkvm\.modparams=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
[ "$dev" = /dev/minikvm ] && insmod /lib/minikvm.ko $params
only=$(sed -n 's/.*mkvm\.bench=\([^ ]*\).*/\1/p' /proc/cmdline)
want() {
	case ",${only:-$1}," in *",$1,"*) return 0 ;; esac
	return 1
}
want micro && microbench --dev "$dev" | while read -r name ns; do
	echo "BENCH $MKVM_BOOT $name-ns/op $ns"
done
# With each boot's exits (all vCPUs, from minivmm --stats), and on
# minikvm its stage-2 faults (RAM and MMIO alike; Documentation/memory.rst).
want boot && for i in 1 2 3; do
	boot_time guest-shell-reached -- minivmm run --dev "$dev" \
		-k /guest/Image -i /guest/rootfs.cpio.gz -c 2 -m 256 --stats \
		-p 'console=ttyAMA0 quiet guest_cmd="echo guest-shell-reached"' \
		2>/tmp/boot-stats |
	while read -r _ shell _ off _ st; do
		[ "$st" = 0 ] || echo "BENCH $MKVM_BOOT linux-boot-failed-$i $st"
		echo "BENCH $MKVM_BOOT linux-to-shell-ms#$i $shell"
		echo "BENCH $MKVM_BOOT linux-to-poweroff-ms#$i $off"
	done
	for stat in exits mkvm_stage2_faults; do
		tr ' ' '\n' < /tmp/boot-stats | sed -n "s/^$stat=//p" |
			awk -v n="BENCH $MKVM_BOOT linux-boot-$stat#$i" \
			    '{ s += $1; k++ } END { if (k) print n, s }'
	done
done
# virtio (issue 11): a Linux guest on a tap device, its data path in
# minivmm's I/O thread (tap) or in vhost-net (vhost).  The host's end is
# net_peer; throughputs are timed on this boot's clock, the ping and the
# disk figures on the guest's.  Each backend boots four guests one after
# the other (Documentation/io.rst, "Measuring the TCP rows"):
#   idle  brings eth0 up and powers off: the baseline of the counters;
#   g2h   sends 8 MiB to net_peer over a new TCP connection, net_rounds
#         times (mkvm.netrounds=N, make bench NET_ROUNDS=N; default 15);
#   h2g   receives 8 MiB from it, net_rounds times;
#   ping  pings the host 20 times and, on the tap backend, measures the
#         virtio-blk disk: 64 MiB written and read with direct I/O in
#         1 MiB requests, each eight times over (with SEG_MAX one pass
#         takes only 4 to 9 of the guest clock's 10 ms steps), and 4 KiB
#         direct reads one at a time (16384 of them) (sequential offsets:
#         the image is in this boot's tmpfs, so no offset costs more than
#         another) (mkvm.netdisk=0, make bench NET_DISK=0: no disk).
# A direction's throughput is the median of its transfers, with the
# lowest and highest beside it (-min, -max).  Its counters per MiB moved
# are those of its guest less the idle guest's (minivmm --stats: the
# vCPU's stats fd, the same names on minikvm and KVM; minivmm's own
# ioeventfd kicks and irqfd raises; the guest's virtio interrupts; the
# CPU time of minivmm's vCPU and network I/O threads and of vhost's
# worker), and net_peer's CPU time per MiB (the median over its
# transfers).  Under -icount a thread's CPU time is the virtual time it
# spent on its CPU, the other CPUs' turns included: how long it was busy
# or polling, not its instructions.
# The guest's packets sent per guest-to-host transfer (eth0's transmit
# count around it, in /proc/net/dev): about 150 for the 8 MiB when its
# TCP coalesces writes into 64 KiB segments, thousands when every write
# leaves at once (Documentation/io.rst).
# Threads are pinned (mkvm.netpin=0, make bench NET_PIN=0: not): net_peer
# to CPU 3, minivmm's vCPU thread to CPU 1, its network I/O thread and
# vhost's worker to CPU 2, minivmm's other threads to CPU 0 with the rest
# of this boot.  Left to the scheduler, the threads' placement changed
# from boot to boot, and with it the order in which QEMU's round-robin
# runs them (io.rst).
net_bytes=$((8 << 20))
net_rounds=$(sed -n 's/.*mkvm\.netrounds=\([0-9]*\).*/\1/p' /proc/cmdline)
net_rounds=${net_rounds:-15}
net_pin=$(sed -n 's/.*mkvm\.netpin=\([01]\).*/\1/p' /proc/cmdline)
net_pin=${net_pin:-1}
net_disk=$(sed -n 's/.*mkvm\.netdisk=\([01]\).*/\1/p' /proc/cmdline)
net_up='ip link set eth0 up; ip addr add 192.168.33.15/24 dev eth0;
ping -c 1 -w 5 192.168.33.1 >/dev/null;'
net_end='grep -e virtio -e arch_timer -e IPI /proc/interrupts'
net_loop() { # CMD: CMD net_rounds times, in the guest's shell
	echo "i=0; while [ \$i -lt $net_rounds ]; do $1; i=\$((i + 1)); done;"
}
net_cmd_idle=$net_up
net_cmd_g2h="$net_up $(net_loop 'grep eth0: /proc/net/dev; dd if=/dev/zero bs=64k count=128 2>/dev/null | nc 192.168.33.1 5001')
grep eth0: /proc/net/dev;"
net_cmd_h2g="$net_up $(net_loop 'nc 192.168.33.1 5002 </dev/null >/dev/null')"
net_cmd_ping="$net_up ping -c 20 -i 0.2 192.168.33.1 | grep round-trip;"
# busybox's dd prints no times: /proc/uptime around each run (10 ms steps).
blk_cmd='read t0 x < /proc/uptime;
for i in 1 2 3 4 5 6 7 8; do
dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct 2>/dev/null; done;
read t1 x < /proc/uptime; echo blk-write $t0 $t1;
for i in 1 2 3 4 5 6 7 8; do
dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct 2>/dev/null; done;
read t2 x < /proc/uptime; echo blk-read $t1 $t2;
dd if=/dev/vda of=/dev/null bs=4k count=16384 iflag=direct 2>/dev/null;
read t3 x < /proc/uptime; echo blk-4k $t2 $t3;'
# CPU mask for each of the guest's threads, by name (minivmm names them).
net_pin_threads() { # PID
	[ "$net_pin" = 1 ] || return 0
	want_t=2
	[ "$backend" = vhost ] && want_t=3
	for _ in $(seq 400); do
		got=0
		for t in /proc/$1/task/*; do
			case $(cat "$t/comm" 2>/dev/null) in
			vcpu0) m=2 ;;
			io-virtio-net|vhost-*) m=4 ;;
			*) continue ;;
			esac
			taskset -p $m "${t##*/}" >/dev/null 2>&1 && got=$((got + 1))
		done
		[ $got -ge $want_t ] && echo "# $backend: pinned $got threads" && return 0
		sleep 0.05
	done
	echo "# $backend: pinned only $got threads"
}
net_guest() { # NAME: that guest, its console and stats in /tmp/net-NAME.out
	eval "cmd=\$net_cmd_$1"
	[ "$1" = ping ] && [ "$backend" = tap ] && [ "$net_disk" != 0 ] &&
		cmd="$cmd $blk_cmd"
	pin=
	[ "$net_pin" = 1 ] && pin="taskset 1"
	$pin minivmm run --dev "$dev" -k /guest/Image -i /guest/rootfs.cpio.gz -m 256 \
		-d /tmp/bench-disk.img \
		-n "tap,ifname=mkvmtap0,host_ip=192.168.33.1/24$opt" \
		-p "console=ttyAMA0 quiet guest_cmd=\"$(echo $cmd $net_end)\"" --stats \
		> "/tmp/net-$1.out" 2>&1 &
	vm=$!
	net_pin_threads $vm
	wait $vm || echo "BENCH $MKVM_BOOT net-$backend-$1-failed 1"
	# The guest's own lines, for the log.
	tr -d '\r' < "/tmp/net-$1.out" | grep -E '^blk-|round-trip|dd:|stats|net:|cpu_ns|virtio|arch_timer|IPI[0-9]|eth0:' |
		sed "s/^/# guest $backend-$1: /"
}
# Counters of guest NAME less the idle guest's, per MiB it moved.
net_per_mib() { # NAME DIRECTION
	tr -d '\r' < /tmp/net-idle.out > /tmp/net-a
	tr -d '\r' < "/tmp/net-$1.out" > /tmp/net-b
	awk -v p="BENCH $MKVM_BOOT net-$backend-$2" -v mib=$((net_rounds * 8)) '
		FNR == 1 { f++ }
		/minivmm: stats:/ { gsub(/,/, "")
			for (i = 2; i <= NF; i++) {
				if ($(i - 1) == "ioeventfd" && $i == "kicks") v[f, "ioeventfd-kicks"] = $(i + 1)
				if ($(i - 1) == "irqfd" && $i == "raises") v[f, "irqfd-raises"] = $(i + 1)
			} }
		/vcpu0 stats:/ { for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) v[f, kv[1]] = kv[2] }
		/^ *[0-9]+:/ && /virtio/ { v[f, "guest-virtio-irqs"] += $2 }
		/minivmm: .* thread cpu_ns / { v[f, $2 "-cpu-us"] = $5 / 1000 }
		END { n = split("exits mmio_exit_user mmio_exit_kernel ioeventfd-kicks irqfd-raises guest-virtio-irqs wfi_exit_stat halt_successful_poll halt_wakeup vcpu0-cpu-us io-virtio-net-cpu-us vhost-worker-cpu-us", k, " ")
			for (i = 1; i <= n; i++)
				if ((1, k[i]) in v && (2, k[i]) in v)
					printf "%s-%s/MiB %.1f\n", p, k[i], (v[2, k[i]] - v[1, k[i]]) / mib }' \
		/tmp/net-a /tmp/net-b
}
want_net() { want virtio || want "virtio-$1"; }
want_net tap || want_net vhost && dd if=/dev/zero of=/tmp/bench-disk.img bs=1M count=65 2>/dev/null
for backend in tap vhost; do
	want_net $backend || continue
	opt=
	[ "$backend" = vhost ] && opt=,vhost=on
	# The host's CPU time over the run (user nice system idle ...
	# irq softirq, in ticks of all CPUs): busy or waiting.
	read -r _ c0 < /proc/stat
	pin=
	[ "$net_pin" = 1 ] && pin="taskset 8"
	$pin net_peer 5001 5002 $net_bytes 600 "$net_rounds" > /tmp/net_peer.out 2>/dev/null &
	peer=$!
	sleep 1
	for g in idle g2h h2g ping; do
		net_guest $g
	done
	kill $peer 2>/dev/null
	wait $peer
	read -r _ c1 < /proc/stat
	echo "# host cpu ticks (user nice sys idle iowait irq softirq): $(echo $c0 $c1 |
		awk '{ for (i = 1; i <= 7; i++) printf "%d ", $(i + 10) - $i }')"
	sed "s/^/# net_peer $backend: /" /tmp/net_peer.out
	tr -d '\r' < /tmp/net-ping.out | awk -v b="$MKVM_BOOT" -v n="$backend" '
		function secs() { return $3 - $2 > 0 ? $3 - $2 : 0.01 }
		/round-trip/ { split($4, t, "/"); print "BENCH " b " net-" n "-ping-us " int(t[2] * 1000) }
		/^blk-write / { print "BENCH " b " blk-seq-write-64M-MiB/s " sprintf("%.1f", 8 * 64 / secs()) }
		/^blk-read / { print "BENCH " b " blk-seq-read-64M-MiB/s " sprintf("%.1f", 8 * 64 / secs()) }
		/^blk-4k / { print "BENCH " b " blk-4k-read-iops " int(16384 / secs()) }'
	# Medians (the lower middle one of an even count), lowest, highest.
	{ cat /tmp/net_peer.out
	  tr -d '\r' < /tmp/net-g2h.out | awk '/eth0:/ { sub(/.*eth0:/, "")
		if (tx != "") print "g2h-packets", $10 - tx; tx = $10 }'
	} | awk -v p="BENCH $MKVM_BOOT net-$backend" '
		function row(name, key, scale,   a, n, i, j, x) {
			n = 0
			for (i = 1; i <= cnt[key]; i++) {
				x = val[key, i]
				for (j = n; j > 0 && a[j] > x; j--)
					a[j + 1] = a[j]
				a[j + 1] = x
				n++
			}
			if (!n) { print p "-" name " 0"; return }
			printf "%s-%s %.1f\n", p, name, a[int((n + 1) / 2)] / scale
			printf "%s-%s-min %.1f\n", p, name, a[1] / scale
			printf "%s-%s-max %.1f\n", p, name, a[n] / scale
		}
		{ val[$1, ++cnt[$1]] = $2 }
		$3 == "cpu-ns" { val[$1 "-cpu", ++cnt[$1 "-cpu"]] = $4 }
		END { row("guest-to-host-MB/s", "from-guest-kbps", 1000)
		      row("host-to-guest-MB/s", "to-guest-kbps", 1000)
		      row("guest-to-host-packets", "g2h-packets", 1)
		      row("guest-to-host-peer-cpu-us/MiB", "from-guest-kbps-cpu", 8000)
		      row("host-to-guest-peer-cpu-us/MiB", "to-guest-kbps-cpu", 8000) }'
	net_per_mib g2h guest-to-host
	net_per_mib h2g host-to-guest
done
rm -f /tmp/bench-disk.img /tmp/net-*.out /tmp/net-a /tmp/net-b

# passthrough (issue 12): the machine's NVMe controller given to a
# 1-vCPU minivmm guest with --vfio, against a virtio-blk disk on a 16 MiB
# file in this boot's tmpfs, against this boot itself reading the same
# namespace through its own nvme driver.  selftests/guest/blkread (in the
# guest's rootfs; the host runs the same binary, unpacked from it) reads
# 64 MiB in 1 MiB requests and 4096 4 KiB requests at random offsets, one
# at a time, all direct I/O, timed on the boot's clock.  Exits per 4 KiB
# read: the vCPU's exits (minivmm --stats, the stats fd, the same
# counters on minikvm and KVM) in a guest doing the 4096 random reads
# and nothing else, less those of the same guest that only boots and
# powers off, over 4096.  The host reads twice: with the SMMU translating
# its driver's DMA (the boot's default) and with it bypassed.
pt_find_nvme() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && [ ! -e "$d/physfn" ] &&
			echo "${d##*/}" && return
	done
}
pt_bind() { # BDF DRIVER ("" for nvme)
	echo "$2" > "/sys/bus/pci/devices/$1/driver_override"
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		echo "$1" > "/sys/bus/pci/devices/$1/driver/unbind"
	echo "$1" > /sys/bus/pci/drivers_probe
}
pt_host_ns() { # BDF: the host driver's namespace, waited for
	for _ in $(seq 100); do
		for n in /sys/bus/pci/devices/$1/nvme/nvme*/nvme*n*; do
			[ -b "/dev/${n##*/}" ] && echo "/dev/${n##*/}" && return
		done
		sleep 0.1
	done
}
pt_guest() { # NAME GUEST_CMD: one guest, its console and stats in /tmp/pt-NAME.out
	minivmm run --dev "$dev" -k /guest/Image -i /guest/rootfs.cpio.gz -m 256 \
		--vfio "$pt_bdf" -d /tmp/pt-disk.img --stats \
		-p "console=ttyAMA0 quiet guest_cmd=\"$2\"" > "/tmp/pt-$1.out" 2>&1 ||
		echo "BENCH $MKVM_BOOT pt-$1-failed 1"
	tr -d '\r' < "/tmp/pt-$1.out" | grep -E '^pt-|^blkread|stats' | sed "s/^/# pt-$1: /"
}
pt_stat() { # NAME STAT: the vCPU's counter STAT in that guest
	tr -d '\r' < "/tmp/pt-$1.out" | sed -n "s/.*vcpu0 stats:.* $2=\([0-9]*\).*/\1/p"
}
pt_figures() { # FILE: BENCH lines of blkread's output, after "pt-dev LABEL"
	tr -d '\r' < "$1" | awk -v b="$MKVM_BOOT" '
		/^pt-dev / { d = $2 }
		/^blkread seq-MB\/s/ { print "BENCH " b " pt-" d "-seq-read-MB/s " $3 }
		/^blkread 4k-rand-iops/ { print "BENCH " b " pt-" d "-4k-randread-iops " $3 }
		/^blkread error/ { print "BENCH " b " pt-" d "-failed 1" }'
}
if want passthrough; then
	pt_bdf=$(pt_find_nvme)
	pt_ns=$(pt_host_ns "$pt_bdf")
	mkdir -p /tmp/pt-root
	(cd /tmp/pt-root && zcat /guest/rootfs.cpio.gz | cpio -id bin/blkread 2>/dev/null)
	if [ -z "$pt_bdf" ] || [ -z "$pt_ns" ] || [ ! -x /tmp/pt-root/bin/blkread ]; then
		echo "BENCH $MKVM_BOOT pt-setup-failed 1"
	else
		{ echo pt-dev host-nvme; /tmp/pt-root/bin/blkread "$pt_ns" 64 4096; } > /tmp/pt-host.out
		# The host's driver maps and unmaps every request in the SMMU
		# (the DMA API: a command-queue round trip to QEMU's SMMUv3
		# per unmap), where VFIO maps the guest's RAM once.  The same
		# reads with the IOMMU group in identity (bypass) mode: the
		# host's figure without that cost.
		pt_grp=$(readlink "/sys/bus/pci/devices/$pt_bdf/iommu_group")
		pt_grp=/sys/kernel/iommu_groups/${pt_grp##*/}/type
		pt_type=$(cat "$pt_grp")
		echo "$pt_bdf" > "/sys/bus/pci/devices/$pt_bdf/driver/unbind"
		if echo identity > "$pt_grp"; then
			echo "$pt_bdf" > /sys/bus/pci/drivers_probe
			pt_ns=$(pt_host_ns "$pt_bdf")
			[ -n "$pt_ns" ] && { echo pt-dev host-nvme-iommu-bypass
				/tmp/pt-root/bin/blkread "$pt_ns" 64 4096; } >> /tmp/pt-host.out
			echo "$pt_bdf" > "/sys/bus/pci/devices/$pt_bdf/driver/unbind"
			echo "$pt_type" > "$pt_grp"
		fi
		sed 's/^/# pt-host: /' /tmp/pt-host.out
		pt_figures /tmp/pt-host.out
		dd if=/dev/zero of=/tmp/pt-disk.img bs=1M count=16 2>/dev/null
		pt_bind "$pt_bdf" vfio-pci
		pt_guest idle "echo pt-idle"
		pt_guest nvme "echo pt-dev passthrough-nvme; blkread /dev/nvme0n1 0 4096"
		pt_guest vda "echo pt-dev virtio-blk; blkread /dev/vda 0 4096"
		pt_guest seq "echo pt-dev passthrough-nvme; blkread /dev/nvme0n1 64 0; echo pt-dev virtio-blk; blkread /dev/vda 64 0"
		for k in nvme vda seq; do pt_figures "/tmp/pt-$k.out"; done
		# All exits; of them, WFI (the vCPU idle until the completion's
		# interrupt) and MMIO handled in minivmm (a notification).
		for st in exits wfi_exit_stat mmio_exit_user; do
			e0=$(pt_stat idle $st)
			for k in nvme:passthrough-nvme vda:virtio-blk; do
				e=$(pt_stat "${k%%:*}" $st)
				[ -n "$e0" ] && [ -n "$e" ] &&
					echo "BENCH $MKVM_BOOT pt-${k#*:}-$st/4k-read $(awk -v a="$e0" -v e="$e" 'BEGIN { printf "%.2f", (e - a) / 4096 }')"
			done
		done
		pt_bind "$pt_bdf" ""
		rm -f /tmp/pt-disk.img /tmp/pt-*.out
	fi
	rm -rf /tmp/pt-root
fi

# The kernel's dirty_log_perf_test (issue 8): 2 vCPUs each writing 16 MiB,
# 3 rounds of dirtying and collecting (manual protection: GET, then CLEAR).
# Times in microseconds of the boot's clock.
kst=/kvm-selftests/dirty_log_perf_test
if want dirtylog && [ -x "$kst" ]; then
	[ "$dev" = /dev/minikvm ] && ln -sf /dev/minikvm /dev/kvm
	"$kst" -b 16M -v 2 -i 3 -m 6 2>&1 | tr -d '\r' | awk -v b="$MKVM_BOOT" '
		function us(s) { sub(/s\.?$/, "", s); return int(s * 1000000) }
		/^Populate memory time:/ { print "BENCH " b " dirtylog-populate-us " us($4) }
		/^Enabling dirty logging time:/ { print "BENCH " b " dirtylog-enable-us " us($5) }
		/dirty memory time:/ { if ($2 > 1) { dirty += us($6); n++ } }
		/^Get dirty log over/ { sub(/.*Avg /, ""); sub(/\/iteration.*/, "")
			print "BENCH " b " dirtylog-get-us/iter " us($0) }
		/^Clear dirty log over/ { sub(/.*Avg /, ""); sub(/\/iteration.*/, "")
			print "BENCH " b " dirtylog-clear-us/iter " us($0) }
		/^Disabling dirty logging time:/ { print "BENCH " b " dirtylog-disable-us " us($5) }
		END { if (n) print "BENCH " b " dirtylog-redirty-us/iter " int(dirty / n)
		      else print "BENCH " b " dirtylog-perf-test-failed 1" }'
fi

# QEMU on this boot's KVM API (issue 10), from the disk bench.sh attaches,
# with qemu_test's own runs: its Linux guest (2 vCPUs, 256 MiB, a virtio
# disk) from QEMU's start to the guest's shell and to QEMU's exit, three
# times, each split where QEMU lets the guest run (before: QEMU's start,
# which in the first run reads its binary from disk; after: the guest's
# boot), with minikvm's stage-2 faults on RAM up to the shell; a save
# of the running guest (migrate to a file: QEMU's total time) and its
# restore (a second QEMU, until the guest runs again); a live migration
# over TCP while the guest rewrites 8 MiB (QEMU's total time and
# downtime).  Times in ms of this boot's clock.
qt=/bin/qemu_test
if want qemu && [ -x "$qt" ]; then
	for i in 1 2 3; do
		"$qt" -r qemu.boots_linux_smp_disk_poweroff 2>&1 | tr -d '\r' |
		awk -v b="$MKVM_BOOT" -v i="$i" '
			/guest: init after/ { shell = $5
				print "BENCH " b " qemu-linux-to-shell-ms#" i " " $5
				print "BENCH " b " qemu-linux-to-exit-ms#" i " " $10 }
			/guest: running after/ && $5 >= 0 {
				print "BENCH " b " qemu-start-to-guest-run-ms#" i " " $5
				print "BENCH " b " qemu-guest-run-to-shell-ms#" i " " shell - $5
				if ($(NF - 4) >= 0)
					print "BENCH " b " qemu-s2-ram-faults-to-shell#" i " " $(NF - 4) }
			/^not ok/ { print "BENCH " b " qemu-boot-failed-" i " 1" }'
	done
	"$qt" -r saved.migrate_file.guest_goes_on 2>&1 | tr -d '\r' |
	awk -v b="$MKVM_BOOT" '
		/# migrate took/ { print "BENCH " b " qemu-save-256M-ms " $4 }
		/# restore took/ { print "BENCH " b " qemu-restore-256M-ms " $4 }
		/^not ok/ { print "BENCH " b " qemu-save-restore-failed 1" }'
	"$qt" -r live.its_off.tcp_while_guest_writes 2>&1 | tr -d '\r' |
	awk -v b="$MKVM_BOOT" '
		/# live migration:/ { print "BENCH " b " qemu-live-migration-ms " $4
			print "BENCH " b " qemu-live-downtime-ms " $9
			print "BENCH " b " qemu-live-dirty-syncs " $11 }
		/^not ok/ { print "BENCH " b " qemu-live-migration-failed 1" }'
fi
