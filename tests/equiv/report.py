"""Tallies and the printed summary: counters, and the smallest examples kept per key.

`Examples` keeps, for each key (a rule or a category), the count and the N smallest cases
(smallest input first, ties by case id), each with a one-line description. `fmt_case` prints a case
as a Python bytes literal, cut when long (the whole case can be kept on disk with --keep).
"""

import collections
import heapq


class Examples:
    def __init__(self, keep=10):
        self.keep = keep
        self.count = collections.Counter()
        self.sources = collections.defaultdict(collections.Counter)  # key -> where cases came from
        self._heaps = collections.defaultdict(list)

    def add(self, key, case_id, data, note, source=None):
        self.count[key] += 1
        if source:
            self.sources[key][source] += 1
        heap = self._heaps[key]
        if any(old[2] == data for old in heap):   # the same bytes again: counted, not kept
            return
        item = (-len(data), -case_id, data, note)
        if len(heap) < self.keep:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)

    def examples(self, key):
        """[(case_id, data, note)], smallest first."""
        return [(-cid, data, note) for _, cid, data, note in sorted(self._heaps[key], reverse=True)]

    def replace(self, key, case_id, data, note):
        """Swap the data and note of example case_id under key (for a minimized case)."""
        heap = self._heaps[key]
        for i, item in enumerate(heap):
            if -item[1] == case_id:
                heap[i] = (-len(data), item[1], data, note)
        heapq.heapify(heap)

    def total(self):
        return sum(self.count.values())

    def merge_key(self, key, other, other_key):
        """Move other's examples of other_key under our key (used to decide the name mode)."""
        for cid, data, note in other.examples(other_key):
            self.add(key, cid, data, note)
        self.count[key] += other.count[other_key] - len(other.examples(other_key))
        self.sources[key].update(other.sources[other_key])


def fmt_case(data, limit=600):
    text = repr(bytes(data))
    if len(text) > limit:
        return "%s... (%d bytes; cut)" % (text[:limit], len(data))
    return text


def fmt_counter(counter, limit=None):
    items = counter.most_common(limit)
    return ", ".join("%s %d" % (k, n) for k, n in items) or "-"


def source_of(tag):
    """The generator and the form (or the base) a case came from: 'grammar:frame-skip'."""
    parts = tag.split(":")
    return ":".join(parts[:2]) if parts[0] in ("grammar", "mutate", "text", "npy", "npz") \
        else parts[0]


def print_examples(out, ex, key, indent="      "):
    for cid, data, note in ex.examples(key):
        print("%scase %d: %s" % (indent, cid, fmt_case(data)), file=out)
        for line in note.split("\n") if note else ():
            print("%s    %s" % (indent, line), file=out)
