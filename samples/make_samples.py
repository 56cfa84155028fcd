#!/usr/bin/python3
"""Regenerate the bundled sample files (run with Debian's /usr/bin/python3 + python3-numpy).

The NumPy tutorial's example data, saved the ways people share it (pickles of protocols 2, 4
and 5, .npy, .npz and compressed .npz), plus one pickle that
would run a command if loaded with pickle.load (it is built from harmless bytes and never
loaded here). Deterministic: fixed seed, fixed protocols."""
import os
import pickle
import sys

import numpy as np

out = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261126)
arr = rng.integers(0, 1000, size=10, dtype=np.int64)
seed = {
    "array": arr,
    "description": "A million random integers",
    "list": [5.4, 9.1, 3.4],
    "another_array": np.arange(5.0),
}
for proto in (2, 4, 5):
    with open(os.path.join(out, f"seed_dict_p{proto}.pkl"), "wb") as f:
        pickle.dump(seed, f, protocol=proto)
# The same arrays as np.save and np.savez write them, for `npguard show` and `npguard convert`
# (zip members carry a timestamp, so the .npz bytes change with each run; their contents do not).
np.save(os.path.join(out, "seed_array.npy"), arr)
np.savez(os.path.join(out, "seed_dict.npz"), array=arr, another_array=seed["another_array"])
np.savez_compressed(os.path.join(out, "seed_dict_compressed.npz"), array=arr,
                    another_array=seed["another_array"])

# What `class P: __reduce__ = lambda self: (os.system, ("echo pwned",))` pickles to with
# protocol 2, written out by hand so that nothing here ever calls os.system.
evil = (b"\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.")
with open(os.path.join(out, "evil_os_system_p2.pkl"), "wb") as f:
    f.write(evil)
print("wrote samples to", out, file=sys.stderr)
