"""Whether a JPEG's entropy-coded data holds every block its header promises.

libjpeg decodes a JPEG cut short without an error when an end-of-image marker follows the
cut: it warns "premature end of data segment" and fills the missing blocks with zeros (flat
gray). TensorFlow's decoder does not report that warning, so :func:`jpeg_data_complete`
reads the scans themselves: it parses the markers, then walks each scan's Huffman codes
block by block, as a decoder does, without computing a pixel, and answers whether the data
ran out before the last block. The pipeline calls it only for a file whose bottom-right
block decodes as flat gray (:mod:`.crops`), so it never refuses a valid image and costs
nothing for the others.

Baseline and extended sequential Huffman JPEGs (SOF0, SOF1) are read whole; of progressive
ones (SOF2) every scan's extent is found and the DC and first AC scans are walked, but not
the refinement scans (they only sharpen an image that is already there). Arithmetic-coded
and lossless JPEGs are answered None (cannot tell).
"""

import functools

import numpy as np

# Marker codes
SOI, EOI, SOS, DHT, DRI = 0xD8, 0xD9, 0xDA, 0xC4, 0xDD
HUFFMAN_SEQUENTIAL = (0xC0, 0xC1)
HUFFMAN_PROGRESSIVE = 0xC2
OTHER_FRAMES = (0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
RESTARTS = range(0xD0, 0xD8)


class _Truncated(Exception):
    """The data ended inside a segment or a scan."""


@functools.lru_cache(maxsize=64)
def _lookup_table(counts, symbols):
    """A 65,536-entry table: the next 16 bits -> (code length << 8) | symbol (0: no code).

    Cached by the table's bytes: most encoders write the same few tables into every file.
    """
    table = np.zeros(1 << 16, np.int32)
    code, k = 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            if k >= len(symbols):
                raise ValueError("a Huffman table lists fewer symbols than codes")
            shift = 16 - length
            table[code << shift : (code + 1) << shift] = (length << 8) | symbols[k]
            code, k = code + 1, k + 1
        code <<= 1
    return table.tolist()


def _segments(data):
    """``(marker, payload start, payload end)`` for each marker segment up to and including
    each SOS (the scan's data follows), and the scans' data extents.

    Yields ``("segment", marker, start, end)`` and ``("scan", start, end)``.
    """
    n, i = len(data), 2
    while True:
        while i < n and data[i] != 0xFF:  # garbage between segments (libjpeg skips it)
            i += 1
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise _Truncated
        marker = data[i]
        i += 1
        if marker == EOI:
            return
        if marker in RESTARTS or marker == 0x01:
            continue
        if i + 2 > n:
            raise _Truncated
        length = (data[i] << 8) | data[i + 1]
        if length < 2 or i + length > n:
            raise _Truncated
        yield "segment", marker, i + 2, i + length
        i += length
        if marker == SOS:
            start = i
            while True:  # the scan's data runs to the first marker that is not RSTn or 00
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    raise _Truncated
                follower = data[i + 1]
                if follower == 0 or follower in RESTARTS or follower == 0xFF:
                    i += 1 if follower == 0xFF else 2
                    continue
                break
            yield "scan", start, i


class _Bits:
    """The bits of one restart interval's data, byte stuffing removed: ``words[i]`` holds
    the 32 bits from byte ``i`` on, so the next 16 bits at bit ``p`` are one shift away."""

    def __init__(self, chunk):
        raw = chunk.replace(b"\xff\x00", b"\xff")
        self.size = 8 * len(raw)
        padded = np.frombuffer(raw + b"\0\0\0\0", np.uint8).astype(np.uint32)
        words = (padded[:-3] << 24) | (padded[1:-2] << 16) | (padded[2:-1] << 8) | padded[3:]
        self.words = words.tolist()


def _walk(bits, count, blocks):
    """Walks ``count`` MCUs of ``bits``; ``blocks`` lists ``(dc table or None, ac table or
    None, first coefficient, last coefficient)`` per block of an MCU. Raises _Truncated
    when the codes run past the data (or a code is not in its table)."""
    words, size, pos, eob_run = bits.words, bits.size, 0, 0
    for _ in range(count):
        for dc, ac, start, end in blocks:
            if dc is not None:
                entry = dc[(words[pos >> 3] >> (16 - (pos & 7))) & 0xFFFF]
                if not entry:
                    raise _Truncated
                pos += (entry >> 8) + (entry & 0xFF)  # the code, then its value's bits
            if ac is None:
                continue
            if eob_run:
                eob_run -= 1
                continue
            k = start
            while k <= end:
                entry = ac[(words[pos >> 3] >> (16 - (pos & 7))) & 0xFFFF]
                if not entry:
                    raise _Truncated
                pos += entry >> 8
                run, bits_ = (entry >> 4) & 15, entry & 15
                if bits_:
                    k += run + 1
                    pos += bits_
                elif run == 15:
                    k += 16
                elif dc is None and start > 0:  # a progressive EOB run (EOBn)
                    extra = (words[pos >> 3] >> (32 - (pos & 7) - run)) & ((1 << run) - 1)
                    eob_run = (1 << run) - 1 + (extra if run else 0)
                    pos += run
                    break
                else:  # end of block
                    break
        if pos > size:
            raise _Truncated


def jpeg_data_complete(data):
    """True if every scan of the JPEG ``data`` (bytes) holds all its blocks, False if the data
    ends before the last block (or inside a marker segment, or before any scan), None if it
    cannot tell (not a JPEG, or an arithmetic-coded or lossless one).

    A Huffman code that does not exist in its table counts as data ending early: libjpeg
    decodes past it with a warning, and the pixels after it are not the image's.
    """
    data = bytes(data)
    if data[:2] != b"\xff\xd8":
        return None
    tables, restart, frame, progressive, walked = {}, 0, None, False, 0
    try:
        scans = _segments(data)
        for item in scans:
            if item[0] == "segment":
                _, marker, start, end = item
                payload = data[start:end]
                if marker == DHT:
                    i = 0
                    while i + 17 <= len(payload):
                        kind_id, counts = payload[i], payload[i + 1 : i + 17]
                        total = sum(counts)
                        symbols = payload[i + 17 : i + 17 + total]
                        tables[(kind_id >> 4, kind_id & 15)] = _lookup_table(
                            bytes(counts), bytes(symbols)
                        )
                        i += 17 + total
                elif marker == DRI:
                    restart = (payload[0] << 8) | payload[1]
                elif marker in HUFFMAN_SEQUENTIAL or marker == HUFFMAN_PROGRESSIVE:
                    height = (payload[1] << 8) | payload[2]
                    width = (payload[3] << 8) | payload[4]
                    components = {}
                    for c in range(payload[5]):
                        cid, hv = payload[6 + 3 * c], payload[7 + 3 * c]
                        components[cid] = (hv >> 4, hv & 15)
                    frame = (height, width, components)
                    progressive = marker == HUFFMAN_PROGRESSIVE
                elif marker in OTHER_FRAMES:
                    return None
                elif marker == SOS:
                    if frame is None:
                        return None
                    scan_header = payload
            else:
                _, start, end = item
                if not _scan_complete(data[start:end], scan_header, frame, tables, restart,
                                      progressive):
                    return False
                walked += 1
    except (_Truncated, ValueError, KeyError, IndexError):  # cut short, or garbled headers
        return False
    return walked > 0  # an end marker before any scan: cut in the headers


def _refinement(scan_header):
    n = scan_header[0]
    spectral_start, approximation = scan_header[1 + 2 * n], scan_header[3 + 2 * n]
    return (approximation >> 4) > 0 or (spectral_start > 0 and n > 1)


def _scan_complete(chunk, header, frame, tables, restart, progressive):
    height, width, components = frame
    h_max = max(h for h, _ in components.values())
    v_max = max(v for _, v in components.values())
    n = header[0]
    scan_components = [(header[1 + 2 * j], header[2 + 2 * j]) for j in range(n)]
    spectral_start, spectral_end = header[1 + 2 * n], header[2 + 2 * n]
    if progressive and _refinement(header):
        return True  # not walked (see the module docstring)
    blocks = []
    for cid, table_ids in scan_components:
        h, v = components[cid]
        dc = tables[(0, table_ids >> 4)] if spectral_start == 0 else None
        ac = tables[(1, table_ids & 15)] if spectral_end > 0 else None
        repeat = h * v if n > 1 else 1
        blocks += [(dc, ac, max(spectral_start, 1), spectral_end)] * repeat
    if n > 1:
        mcus = -(-width // (8 * h_max)) * -(-height // (8 * v_max))
    else:  # one component: its blocks one at a time, cropped to the component's size
        h, v = components[scan_components[0][0]]
        comp_w = -(-width * h // h_max)
        comp_h = -(-height * v // v_max)
        mcus = -(-comp_w // 8) * -(-comp_h // 8)
    if restart:
        chunks = _split_at_restarts(chunk)
        per = [restart] * (len(chunks) - 1) + [mcus - restart * (len(chunks) - 1)]
        if per[-1] <= 0 or per[-1] > restart:
            return False
    else:
        chunks, per = [chunk], [mcus]
    for part, count in zip(chunks, per, strict=True):
        _walk(_Bits(part), count, blocks)
    return True


def _split_at_restarts(chunk):
    parts, start, i = [], 0, 0
    while True:
        i = chunk.find(b"\xff", i)
        if i < 0 or i + 1 >= len(chunk):
            break
        if chunk[i + 1] in RESTARTS:
            parts.append(chunk[start:i])
            start = i = i + 2
        else:
            i += 2
    parts.append(chunk[start:])
    return parts
