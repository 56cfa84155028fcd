"""A stand-in for the `pickle` module inside numpy.lib.format and numpy.lib.npyio.

The .npy oracle puts this module where NumPy looks up `pickle`, so that numpy.load's own read path
(header parsing, npz member handling, `read_array`) reaches the recording restricted unpickler
instead of the real one: `load(fp, **kw)` unpickles with `RecordingUnpickler`, with the keyword
arguments NumPy passes (encoding, fix_imports). Every other attribute (UnpicklingError, dump,
HIGHEST_PROTOCOL...) is the real pickle module's.

`configure(unpickler_class)` must be called once before use.
"""

import pickle as _pickle

_unpickler_class = None


def configure(unpickler_class):
    global _unpickler_class
    _unpickler_class = unpickler_class


def load(file, **kwargs):
    if _unpickler_class is None:
        raise RuntimeError("npy_shim.configure() was not called")
    return _unpickler_class(file, **kwargs).load()


def __getattr__(name):
    return getattr(_pickle, name)
