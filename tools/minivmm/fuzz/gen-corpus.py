#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus (corpus/TARGET/NAME) in fuzz-vm.c's input language.

Each seed is a guest doing one thing a driver does, or one thing a hostile
guest did to an earlier minivmm (the "bad-" seeds: issue 13's findings), so
that every run of the fuzzers replays them first.  Run it again after a
change of the input language; the files are committed.
"""
import os
import struct

RAM = 0x80000000
BUF = 0x4000          # buffers: post_chain() adds this to a 16-bit offset
VIRTIO = 0x0a000000
STATUS, QUEUE_NUM, QUEUE_READY, QUEUE_SEL = 0x70, 0x38, 0x44, 0x30


def mmio_w(dev, off, val, size=4):
    return bytes([0, dev]) + struct.pack('<HB', off, {1: 0, 2: 1, 4: 2, 8: 3}[size]) + struct.pack('<Q', val)


def mmio_r(dev, off, size=4):
    return bytes([1, dev]) + struct.pack('<HB', off, {1: 0, 2: 1, 4: 2, 8: 3}[size])


def ram(off, data):
    return bytes([2]) + struct.pack('<HB', off, len(data)) + data


def setup(dev, q, lognum=3):
    return bytes([4, dev, q, lognum])


def desc(off, length, write=False, wild_addr=None, wild_len=None, next_=None):
    kind = 2 if write else 0
    out = b''
    if wild_addr is not None:
        kind |= 0x80
        out += struct.pack('<Q', wild_addr)
    else:
        out += struct.pack('<H', off)
    if wild_len is not None:
        kind |= 0x40
        out += struct.pack('<I', wild_len)
    else:
        out += struct.pack('<H', length)
    if next_ is not None:
        kind |= 0x20
        out += struct.pack('<H', next_)
    return bytes([kind]) + out


def chain(dev, q, descs, lognum=3, head=0):
    return bytes([5, dev, q, len(descs) - 1, lognum, head]) + b''.join(
        d[0:1] + d[1:] for d in descs)


def typed(s):
    return bytes([6, len(s)]) + s


def bus(addr, length, write=1):
    return bytes([8]) + struct.pack('<Q', addr) + bytes([length, write])


def blk_req(kind, sector=0, data_len=512, write_data=False):
    hdr = struct.pack('<IIQ', kind, 0, sector)
    return (ram(BUF, hdr) + setup(0, 0) +
            chain(0, 0, [desc(0, 16), desc(0x1000, data_len, write=not write_data),
                         desc(0x2000, 1, write=True)]))


seeds = {
    'virtio_blk': {
        'read': blk_req(0),
        'write': ram(BUF + 0x1000, b'minivmm' * 8) + blk_req(1, 1, write_data=True),
        'flush': blk_req(4, data_len=0),
        'get-id': blk_req(8, data_len=20),
        'unsupported': blk_req(0x77),
        'past-the-end': blk_req(0, sector=0xffffffffffff),
        # Issue 13: a header shorter than 16 bytes gets VIRTIO_BLK_S_IOERR.
        'bad-short-header': setup(0, 0) + chain(0, 0, [desc(0, 7), desc(0x2000, 1, True)]),
        # No writable byte for the status: the device needs a reset.
        'bad-no-status': setup(0, 0) + chain(0, 0, [desc(0, 16)]),
        # The chain loops back to its head.
        'bad-loop': setup(0, 0) + chain(0, 0, [desc(0, 16, next_=0), desc(0, 16, next_=0)]),
        # A buffer wrapping the address space, and one of 4 GiB - 1.
        'bad-wrap': setup(0, 0) + chain(0, 0, [desc(0, 16), desc(0, 0, True, wild_addr=0xfffffffffffffff0, wild_len=0x20)]),
        'bad-huge-len': setup(0, 0) + chain(0, 0, [desc(0, 16), desc(0, 0, True, wild_len=0xffffffff)]),
        # Readable after writable.
        'bad-order': setup(0, 0) + chain(0, 0, [desc(0, 16), desc(0x2000, 1, True), desc(0, 16)]),
        # Reset in the middle, then a request again.
        'reset-reuse': blk_req(0) + bytes([7, 0]) + blk_req(0),
        # Requests in many buffers (SEG_MAX): 100 of 256 bytes read, 60
        # of 512 written, odd sizes with the status byte sharing the last
        # buffer, the header sharing the first, and a chain as long as
        # the ring.
        'read-multi': ram(BUF, struct.pack('<IIQ', 0, 0, 2)) + setup(0, 0, 7) +
        chain(0, 0, [desc(0, 16)] + [desc(0x100 + i * 0x100, 256, True) for i in range(100)] +
              [desc(0xbf00, 1, True)], lognum=7),
        'write-multi': ram(BUF, struct.pack('<IIQ', 1, 0, 3)) + ram(BUF + 0x1000, b'segments' * 8) + setup(0, 0, 7) +
        chain(0, 0, [desc(0, 16)] + [desc(0x1000 + i * 0x200, 512) for i in range(60)] +
              [desc(0xbf00, 1, True)], lognum=7),
        'read-odd-segments': ram(BUF, struct.pack('<IIQ', 0, 0, 5)) + setup(0, 0, 4) +
        chain(0, 0, [desc(0, 16), desc(0x100, 7, True), desc(0x200, 500, True),
                     desc(0x400, 1, True), desc(0x1000, 4097, True)], lognum=4),
        'write-header-shared': ram(BUF, struct.pack('<IIQ', 1, 0, 1) + b'shared' * 8) + setup(0, 0) +
        chain(0, 0, [desc(0, 16 + 1024), desc(0x2000, 1, True)]),
        'read-whole-ring': ram(BUF, struct.pack('<IIQ', 0, 0, 0)) + setup(0, 0, 7) +
        chain(0, 0, [desc(0, 16)] + [desc(0x100 + i * 0x180, 512, True) for i in range(126)] +
              [desc(0xbf00, 1, True)], lognum=7),
        # The config space a driver reads: capacity, size_max, seg_max,
        # blk_size and the topology, at every width.
        'config': b''.join(mmio_r(0, 0x100 + o, s) for o in (0, 8, 12, 20, 24, 25, 26, 28) for s in (1, 2, 4, 8)),
        # Past the end of the disk by one sector, in many buffers.
        'bad-multi-past-the-end': ram(BUF, struct.pack('<IIQ', 0, 0, 127)) + setup(0, 0, 7) +
        chain(0, 0, [desc(0, 16)] + [desc(0x100 + i * 0x100, 256, True) for i in range(4)] +
              [desc(0xbf00, 1, True)], lognum=7),
        # A chain longer than the ring: it loops.
        'bad-multi-loop': setup(0, 0, 7) + chain(0, 0, [desc(0, 16)] + [desc(0x100, 512, True)] * 9 +
                                                 [desc(0x100, 512, True, next_=1)] + [desc(0x100, 512, True)] * 9, lognum=7),
    },
    'virtio_mmio': {
        'rw-chain': setup(0, 0) + chain(0, 0, [desc(0, 100), desc(0x100, 200, True)]),
        'both-queues': setup(0, 0) + setup(0, 1, 7) + chain(0, 1, [desc(0, 8)], lognum=7, head=5),
        'long-chain': setup(0, 0, 7) + chain(0, 0, [desc(i * 64, 64) for i in range(8)], lognum=7),
        # Issue 13's status machine: DRIVER_OK without FEATURES_OK.
        'bad-driver-ok-first': mmio_w(0, STATUS, 7) + mmio_w(0, QUEUE_SEL, 0) + mmio_r(0, STATUS),
        # A queue size that is not a power of two.
        'bad-queue-num': mmio_w(0, STATUS, 3) + mmio_w(0, QUEUE_NUM, 3) + mmio_w(0, QUEUE_READY, 1) + mmio_r(0, QUEUE_READY),
        # An available index running ahead of the ring.
        'bad-avail-idx': setup(0, 0) + bytes([3]) + struct.pack('<HI', 0x800, 0x00400000) + mmio_w(0, 0x50, 0),
        # Accesses of every width, config space included.
        'widths': b''.join(mmio_r(0, o, s) for o in (0, 0x70, 0x100, 0x104) for s in (1, 2, 4, 8)),
        # Issue 13: MMIO lengths above 8 never reach a device; a scan of
        # unclaimed addresses.
        'bad-mmio-len': bus(VIRTIO, 12) + bus(VIRTIO, 0, 0),
        'bad-scan': b''.join(bus(0x10000000 + i * 8, 4) for i in range(40)),
    },
    'virtio_console': {
        'rx': setup(0, 0) + chain(0, 0, [desc(0, 64, True)]) + typed(b'hello, guest'),
        'tx': setup(0, 1) + ram(BUF, b'hello, host\n') + chain(0, 1, [desc(0, 12)]),
        'tx-repeated': setup(0, 1, 6) + chain(0, 1, [desc(0, 0xfff)] * 8, lognum=6),
        # Issue 13: input the guest has no buffers for does not block.
        'rx-no-buffers': setup(0, 0) + typed(b'x' * 200),
        'bad-rx-readable': setup(0, 0) + chain(0, 0, [desc(0, 64)]) + typed(b'abc'),
    },
    # Queue 0 receives, queue 1 transmits; a packet is a 12-byte header
    # and a frame.
    'virtio_net': {
        'tx': setup(0, 1) + ram(BUF, b'\0' * 12 + b'\xff' * 6 + b'\x02' * 6 + b'\x08\x00' + b'x' * 46) + chain(0, 1, [desc(0, 76)]),
        'tx-split': setup(0, 1) + chain(0, 1, [desc(0, 12), desc(0x100, 60), desc(0x200, 1000)]),
        'rx': setup(0, 0) + chain(0, 0, [desc(0, 1526, True)]) + typed(b'\0' * 12 + b'y' * 60),
        'rx-then-packets': setup(0, 0, 4) + chain(0, 0, [desc(0, 100, True)], lognum=4) + typed(b'z' * 80) + typed(b'w' * 200) + typed(b''),
        'rx-no-buffers': setup(0, 0) + typed(b'q' * 100),
        # A receive buffer the device may not write, one too short for
        # the header: the device needs a reset.
        'bad-rx-readable': setup(0, 0) + chain(0, 0, [desc(0, 64)]) + typed(b'abc'),
        'bad-rx-short': setup(0, 0) + chain(0, 0, [desc(0, 4, True)]) + typed(b'abc'),
        # A transmit chain with a writable part, or of 4 GiB - 1 bytes.
        'bad-tx-writable': setup(0, 1) + chain(0, 1, [desc(0, 12), desc(0x100, 60, True)]),
        'bad-tx-huge': setup(0, 1) + chain(0, 1, [desc(0, 12), desc(0, 0, wild_len=0xffffffff)]),
        'bad-tx-loop': setup(0, 1) + chain(0, 1, [desc(0, 12, next_=0), desc(0, 12, next_=0)]),
        'bad-tx-outside': setup(0, 1) + chain(0, 1, [desc(0, 0, wild_addr=0x40000000)]),
        'reset-reuse': setup(0, 0) + chain(0, 0, [desc(0, 1526, True)]) + bytes([7, 0]) + setup(0, 0) + chain(0, 0, [desc(0, 1526, True)]) + typed(b'p' * 64),
        # Headers asking for a checksum and for ECN segmentation, neither
        # negotiated: dropped, not handed to the tap.
        'bad-tx-csum': setup(0, 1) + ram(BUF, b'\x01\0\0\0\0\0\x0e\0\x10\0\0\0' + b'c' * 60) + chain(0, 1, [desc(0, 72)]),
        'bad-tx-gso': setup(0, 1) + ram(BUF, b'\0\x81\x36\0\xa8\x05\0\0\0\0\0\0' + b'g' * 60) + chain(0, 1, [desc(0, 72)]),
    },
    'pl011': {
        'tx': b''.join(mmio_w(1, 0, c, 1) for c in b'hi\n'),
        'rx-fifo': mmio_w(1, 0x2c, 0x10) + mmio_w(1, 0x38, 0x50) + typed(b'0123456789abcdefXYZ') + b''.join(mmio_r(1, 0) for _ in range(20)),
        'ids': b''.join(mmio_r(1, 0xfe0 + 4 * i) for i in range(8)),
        'narrow': mmio_w(1, 0x25, 0x12, 1) + mmio_r(1, 0x26, 2) + mmio_r(1, 1, 1) + mmio_w(1, 0x3e, 0xffff, 2),
    },
}


def image(text_offset=0x80000, image_size=0x100000, flags=0, body=b''):
    hdr = struct.pack('<IIQQQQQQII', 0x14000010, 0, text_offset, image_size,
                      flags, 0, 0, 0, 0x644d5241, 0)
    return hdr + body


def boot(ram_mib, kernel, initrd=None, misaligned=False):
    b = (ram_mib - 1) & 15
    if misaligned:
        b |= 16
    if initrd is not None:
        b |= 32
    return bytes([b]) + struct.pack('<I', len(kernel)) + kernel + (initrd or b'')


seeds['boot'] = {
    'image': boot(8, image(body=b'\0' * 64)),
    'image-initrd': boot(8, image(), b'\x07' * 300),
    'old-image': boot(4, image(image_size=0)),
    'big-endian': boot(8, image(flags=1)),
    'bad-text-offset': boot(8, image(text_offset=0xffffffffffff0000)),
    'bad-image-size': boot(8, image(image_size=0xfffffffffffff000)),
    'too-small': boot(2, image(), b'\1' * 100),
    'misaligned-ram': boot(8, image(), misaligned=True),
    'not-an-image': boot(8, b'MZ' + b'\0' * 100),
}

here = os.path.dirname(os.path.abspath(__file__))
for target, files in seeds.items():
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
