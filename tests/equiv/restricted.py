"""The oracle's unpickler: CPython's own C unpickler, restricted to the allowlist and recording
every find_class call.

`RecordingUnpickler` is a subclass of `pickle.Unpickler` (the C implementation, `_pickle`) whose
find_class first reports (module, name) through a callback -- before it returns or raises, so that
a crash further on still leaves the pair recorded -- then returns the real object for an
allowlisted pair (NumPy is trusted) and raises `Refused` for any other pair, which stops the load
exactly where an unrestricted CPython would have imported something.

NumPy 2 module names: the allowlist names NumPy 2's modules (`numpy._core.*`, `numpy.rec`), which
NumPy 1.24 does not have. `install_numpy2_names` makes those allowlisted modules importable as
NumPy 2 would provide them (aliases of the NumPy 1.24 modules), with NumPy >= 2.3's
`_frombuffer(buf, dtype, shape, order, axis_order=None)`, so that a pickle written by NumPy 2 loads
here as it would there. Only names on the allowlist are given aliases.
"""

import importlib
import pickle
import sys
import types


class Refused(pickle.UnpicklingError):
    """find_class was asked for a pair outside the allowlist."""


def make_unpickler_class(allowlist, record):
    """A pickle.Unpickler subclass that calls record(module, name) on every find_class and
    refuses pairs outside `allowlist` (a set of (module, name))."""

    class RecordingUnpickler(pickle.Unpickler):
        def find_class(self, module, name):
            record(module, name)
            if (module, name) not in allowlist:
                raise Refused("not on the allowlist: %r %r" % (module, name))
            return super().find_class(module, name)

    return RecordingUnpickler


def _frombuffer_numpy2(buf, dtype, shape, order, axis_order=None):
    """NumPy >= 2.3's numpy._core.numeric._frombuffer: a 1-d view of the buffer reshaped; order
    'K' comes with the axis permutation that restores a non-C, non-Fortran layout."""
    import numpy
    flat = numpy.frombuffer(buf, dtype=dtype)
    if order == "K" and axis_order is not None:
        return flat.reshape(shape, order="C").transpose(axis_order)
    return flat.reshape(shape, order=order)


def _numpy1_module_for(module):
    """The NumPy 1.24 module that plays the part of NumPy 2 module `module`, or None."""
    if module == "numpy.rec":
        return "numpy.core.records"
    if module == "numpy._core" or module.startswith("numpy._core."):
        return "numpy.core" + module[len("numpy._core"):]
    return None


def install_numpy2_names(allowlist):
    """Register sys.modules aliases for allowlisted NumPy 2 modules that do not import here.
    Returns the list of aliased module names."""
    # Probe every module before aliasing any: once "numpy._core" is an alias of numpy.core, an
    # import of a submodule not yet aliased would load NumPy's files a second time.
    missing = []
    for module in sorted({m for m, _ in allowlist}):
        try:
            importlib.import_module(module)
        except ImportError:
            if _numpy1_module_for(module) is not None:
                missing.append(module)
    for module in missing:
        real = importlib.import_module(_numpy1_module_for(module))
        if module.endswith("._core.numeric"):
            # The NumPy 2 numeric module: NumPy 1.24's, with NumPy 2.3's _frombuffer.
            alias = types.ModuleType(module)
            alias.__dict__.update(real.__dict__)
            alias.__name__ = module
            alias._frombuffer = _frombuffer_numpy2
        else:
            alias = real
        # Parents first, so that `import numpy._core.records` finds every level.
        parts = module.split(".")
        for i in range(2, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in sys.modules:
                sys.modules[parent] = importlib.import_module(_numpy1_module_for(parent) or parent)
        sys.modules[module] = alias
    return missing
