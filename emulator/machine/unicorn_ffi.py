"""Our own thin ctypes binding to libunicorn: only the calls elfemu makes, x86-64 only.

Why not the official `unicorn` package: importing it costs ~30 ms of CPU (typing, inspect,
pathlib, importlib.resources...); this module costs ~5, nearly all of it the dlopen. It loads
the very same libunicorn.so.2 from the installed package (pinned unicorn==2.1.4) without running
the package's __init__, and takes the numeric constants from the package's own generated files
(unicorn_const.py, x86_const.py), executed by path, so no number is copied by hand.

The library itself is elfemu's own build when there is one: `make install` builds the pinned
Unicorn's source, x86 only, with the patches in emulator/machine/libunicorn/patches, into
<venv>/libunicorn/current/ (see libunicorn/build.py). Without it elfemu runs on the wheel's
library and says so once on stderr. ELFEMU_LIBUNICORN=wheel picks the wheel's library quietly;
ELFEMU_LIBUNICORN=DIR looks for the build in DIR instead of <venv>/libunicorn/current.

Semantics follow the official binding where elfemu relies on them: hook callbacks get
(uc, ..., user_data); an exception raised in a hook stops the CPU and is re-raised by emu_start;
errors are UcError(errno); the engine is closed (uc_close) when the Uc object is collected.
"""

import ctypes
import os
import sys
import types
import weakref
from importlib.machinery import SourceFileLoader


def _package_dir() -> str:
    """The installed unicorn package's directory, found as `import unicorn` would find it, but
    without importing it (a top-level find_spec runs no package code)."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        spec = find_spec("unicorn", None) if find_spec else None
        if spec is not None and spec.submodule_search_locations:
            return list(spec.submodule_search_locations)[0]
    raise ImportError("elfemu needs the unicorn package (pip install unicorn==2.1.4)")


def _constants(name: str) -> types.ModuleType:
    """One of unicorn's generated constant files (plain assignments, no imports), by path."""
    loader = SourceFileLoader(f"unicorn.{name}", os.path.join(PACKAGE_DIR, f"{name}.py"))
    mod = types.ModuleType(loader.name)
    mod.__file__ = loader.path
    exec(loader.get_code(loader.name), mod.__dict__)  # from the package's __pycache__, as an import would
    return mod


def _load_library(path: str) -> ctypes.CDLL:
    """dlopen with lazy binding. ctypes.CDLL always asks for RTLD_NOW, which resolves all ~7800
    PLT entries of this 24 MB library up front (~1.2 ms of startup) though few are ever called."""
    try:
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
        handle = dlopen(os.fsencode(path), os.RTLD_LAZY | os.RTLD_LOCAL)
    except AttributeError:  # no dlopen in the global namespace: let ctypes do it
        handle = None
    return ctypes.CDLL(path, handle=handle) if handle else ctypes.CDLL(path)


PACKAGE_DIR = _package_dir()
unicorn_const = _constants("unicorn_const")
x86_const = _constants("x86_const")
UC, X = unicorn_const, x86_const

# Prototype-free functions (the handle is a c_void_p, ints go as C int, pointers by byref): the
# hot ones pay no per-call argument conversion. Those with 64-bit arguments get prototypes.
def _choose_library() -> tuple[str, str | None]:
    """(path of the libunicorn.so.2 to load, directory of elfemu's build or None for the wheel's)."""
    wheel = os.path.join(PACKAGE_DIR, "lib", "libunicorn.so.2")
    choice = os.environ.get("ELFEMU_LIBUNICORN", "")
    if choice == "wheel":
        return wheel, None
    build = choice or os.path.join(sys.prefix, "libunicorn", "current")
    built = os.path.join(build, "libunicorn.so.2")
    if os.path.exists(built):
        build = os.path.realpath(build)
        return os.path.join(build, "libunicorn.so.2"), build
    print(f"elfemu: no patched libunicorn in {build} (make install builds it): using the unicorn wheel's library,"
          " slower on big programs", file=sys.stderr)
    return wheel, None


def library_info() -> dict:
    """What `elfemu --version` shows: the library loaded and, for elfemu's build, its manifest."""
    info = {"path": LIB_PATH, "build": LIB_BUILD, "patches": []}
    if LIB_BUILD:
        import json

        try:
            with open(os.path.join(LIB_BUILD, "manifest.json")) as f:
                info.update(json.load(f))
        except (OSError, ValueError):
            pass
    return info


LIB_PATH, LIB_BUILD = _choose_library()
lib = _load_library(LIB_PATH)
_u64, _vp = ctypes.c_uint64, ctypes.c_void_p
lib.uc_emu_start.argtypes = [_vp, _u64, _u64, _u64, ctypes.c_size_t]
lib.uc_mem_map_ptr.argtypes = [_vp, _u64, _u64, ctypes.c_uint32, _vp]
lib.uc_mem_unmap.argtypes = [_vp, _u64, _u64]
lib.uc_mem_protect.argtypes = [_vp, _u64, _u64, ctypes.c_uint32]
lib.uc_mem_read.argtypes = [_vp, _u64, ctypes.c_char_p, _u64]
lib.uc_mem_write.argtypes = [_vp, _u64, ctypes.c_char_p, _u64]
lib.uc_hook_add.argtypes = [_vp, ctypes.POINTER(ctypes.c_size_t), ctypes.c_int, _vp, _vp, _u64, _u64]  # + varargs
lib.uc_hook_del.argtypes = [_vp, ctypes.c_size_t]
lib.uc_ctl.argtypes = [_vp, ctypes.c_int]  # + varargs
lib.uc_strerror.restype = ctypes.c_char_p
_reg_read, _reg_write, _emu_stop = lib.uc_reg_read, lib.uc_reg_write, lib.uc_emu_stop

UC_ERR_OK = UC.UC_ERR_OK
UC_HOOK_INTR, UC_HOOK_INSN, UC_HOOK_CODE, UC_HOOK_BLOCK = (UC.UC_HOOK_INTR, UC.UC_HOOK_INSN,
                                                           UC.UC_HOOK_CODE, UC.UC_HOOK_BLOCK)
UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_HOOK_MEM_INVALID = (UC.UC_HOOK_MEM_READ, UC.UC_HOOK_MEM_WRITE,
                                                            UC.UC_HOOK_MEM_INVALID)

# Native hook signatures (uc.h): the engine handle first, the user-data pointer last.
_HOOK_INTR = ctypes.CFUNCTYPE(None, _vp, ctypes.c_uint32, _vp)
_HOOK_CODE = ctypes.CFUNCTYPE(None, _vp, _u64, ctypes.c_uint32, _vp)  # UC_HOOK_CODE and UC_HOOK_BLOCK
_HOOK_MEM = ctypes.CFUNCTYPE(None, _vp, ctypes.c_int, _u64, ctypes.c_int, ctypes.c_int64, _vp)
_HOOK_MEM_INVALID = ctypes.CFUNCTYPE(ctypes.c_bool, _vp, ctypes.c_int, _u64, ctypes.c_int, ctypes.c_int64, _vp)
_HOOK_SYSCALL = ctypes.CFUNCTYPE(None, _vp, _vp)
_HOOK_RDTSC = ctypes.CFUNCTYPE(ctypes.c_int, _vp, _vp)  # uc_cb_insn_cpuid_t: nonzero skips the instruction
_MEM_ACCESS_HOOKS = UC.UC_HOOK_MEM_READ | UC.UC_HOOK_MEM_WRITE | UC.UC_HOOK_MEM_FETCH | UC.UC_HOOK_MEM_READ_AFTER

# Registers wider than 64 bits: x87 FPn/STn are (mantissa, exponent); XMM/YMM/ZMM are ints of 2/4/8
# qwords. GDTR/IDTR/LDTR/TR/MSR take structs elfemu never needs: refused rather than overrun.
_FP = "fp"
_WIDE: dict[int, object] = {}
for _i in range(8):
    _WIDE[X.UC_X86_REG_FP0 + _i] = _WIDE[X.UC_X86_REG_ST0 + _i] = _FP
for _i in range(32):
    _WIDE[X.UC_X86_REG_XMM0 + _i], _WIDE[X.UC_X86_REG_YMM0 + _i], _WIDE[X.UC_X86_REG_ZMM0 + _i] = 2, 4, 8
for _r in (X.UC_X86_REG_GDTR, X.UC_X86_REG_IDTR, X.UC_X86_REG_LDTR, X.UC_X86_REG_TR, X.UC_X86_REG_MSR):
    _WIDE[_r] = None


class _MemRegion(ctypes.Structure):
    _fields_ = [("begin", ctypes.c_uint64), ("end", ctypes.c_uint64), ("perms", ctypes.c_uint32)]


class UcError(Exception):
    """A libunicorn call failed; errno is the UC_ERR_* code, str() libunicorn's own message."""

    def __init__(self, errno: int, *details):
        super().__init__(errno, *details)
        self.errno = errno

    def __str__(self) -> str:
        return lib.uc_strerror(self.errno).decode("ascii", "replace")


def _close(handle: ctypes.c_void_p, after: list) -> None:
    """The finalizer: close the engine, then run what must wait for it (memory.py frees host pages)."""
    lib.uc_close(handle)
    for fn, args in after:
        fn(*args)
    after.clear()


class UcContext:
    """A saved CPU context (uc_context_save), freed with the object."""

    def __init__(self, handle: ctypes.c_void_p):
        self._ctx = ctypes.c_void_p()
        status = lib.uc_context_alloc(handle, ctypes.byref(self._ctx))
        if status != UC_ERR_OK:
            self._ctx = None
            raise UcError(status)

    def __del__(self, _free=lib.uc_context_free) -> None:
        if self._ctx:
            _free(self._ctx)


class Uc:
    """One x86-64 Unicorn engine."""

    def __init__(self):
        self.handle = ctypes.c_void_p()
        status = lib.uc_open(UC.UC_ARCH_X86, UC.UC_MODE_64, ctypes.byref(self.handle))
        if status != UC_ERR_OK:
            raise UcError(status)
        self._callbacks: dict[int, object] = {}  # hook handle -> ctypes callback, kept alive while hooked
        self._hook_exception: BaseException | None = None
        self._after_close: list = []
        weakref.finalize(self, _close, self.handle, self._after_close)

    def after_close(self, fn, *args) -> None:
        """Call fn(*args) once the engine is closed (the object collected, or at exit). The
        arguments must not refer to this Uc, or it is never collected."""
        self._after_close.append((fn, args))

    # ----- running ---------------------------------------------------------------
    def emu_start(self, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        """Run from begin; UcError on a CPU error, or re-raises the first exception a hook raised."""
        self._hook_exception = None
        status = lib.uc_emu_start(self.handle, begin, until, timeout, count)
        exc, self._hook_exception = self._hook_exception, None  # no uc -> traceback -> uc cycle left behind
        if status != UC_ERR_OK:
            raise UcError(status)
        if exc is not None:
            raise exc

    def emu_stop(self) -> None:
        """Safe from any thread (ctypes drops the GIL while the CPU runs)."""
        status = _emu_stop(self.handle)
        if status != UC_ERR_OK:
            raise UcError(status)

    # ----- registers -----------------------------------------------------------
    def reg_read(self, reg_id: int):
        """An int; (mantissa, exponent) for x87 registers."""
        kind = _WIDE.get(reg_id, 1)
        if kind == 1:
            val = ctypes.c_uint64()
            status = _reg_read(self.handle, reg_id, ctypes.byref(val))
            if status != UC_ERR_OK:
                raise UcError(status, reg_id)
            return val.value
        if kind is None:
            raise UcError(UC.UC_ERR_ARG, reg_id)
        buf = (ctypes.c_uint64 * (2 if kind == _FP else kind))()
        status = _reg_read(self.handle, reg_id, buf)
        if status != UC_ERR_OK:
            raise UcError(status, reg_id)
        if kind == _FP:
            return buf[0], buf[1] & 0xFFFF
        return int.from_bytes(bytes(buf), "little")

    def reg_write(self, reg_id: int, value) -> None:
        """value: an int (masked to the register's width); (mantissa, exponent) for x87 registers."""
        kind = _WIDE.get(reg_id, 1)
        if kind == 1:
            status = _reg_write(self.handle, reg_id, ctypes.byref(ctypes.c_uint64(value)))
        elif kind is None:
            raise UcError(UC.UC_ERR_ARG, reg_id)
        elif kind == _FP:
            mantissa, exponent = value
            status = _reg_write(self.handle, reg_id, (ctypes.c_uint64 * 2)(mantissa, exponent & 0xFFFF))
        else:
            data = (value & ((1 << (64 * kind)) - 1)).to_bytes(8 * kind, "little")
            status = _reg_write(self.handle, reg_id, ctypes.create_string_buffer(data, len(data)))
        if status != UC_ERR_OK:
            raise UcError(status, reg_id)

    # ----- memory ----------------------------------------------------------------
    def mem_map_ptr(self, address: int, size: int, perms: int, ptr: int) -> None:
        """Map [address, address+size) onto host memory at ptr, which the caller owns."""
        status = lib.uc_mem_map_ptr(self.handle, address, size, perms, ptr)
        if status != UC_ERR_OK:
            raise UcError(status)

    def mem_unmap(self, address: int, size: int) -> None:
        status = lib.uc_mem_unmap(self.handle, address, size)
        if status != UC_ERR_OK:
            raise UcError(status)

    def mem_protect(self, address: int, size: int, perms: int) -> None:
        status = lib.uc_mem_protect(self.handle, address, size, perms)
        if status != UC_ERR_OK:
            raise UcError(status)

    def mem_read(self, address: int, size: int) -> bytes:
        buf = ctypes.create_string_buffer(size)
        status = lib.uc_mem_read(self.handle, address, buf, size)
        if status != UC_ERR_OK:
            raise UcError(status, address, size)
        return buf.raw

    def mem_write(self, address: int, data: bytes) -> None:
        data = bytes(data)
        status = lib.uc_mem_write(self.handle, address, data, len(data))
        if status != UC_ERR_OK:
            raise UcError(status, address, len(data))

    def mem_regions(self) -> list[tuple[int, int, int]]:
        """Every mapped range as (begin, end inclusive, perms), as Unicorn itself sees them."""
        regions, count = ctypes.POINTER(_MemRegion)(), ctypes.c_uint32()
        status = lib.uc_mem_regions(self.handle, ctypes.byref(regions), ctypes.byref(count))
        if status != UC_ERR_OK:
            raise UcError(status)
        try:
            return [(regions[i].begin, regions[i].end, regions[i].perms) for i in range(count.value)]
        finally:
            lib.uc_free(regions)

    # ----- hooks -------------------------------------------------------------------
    def _hook_failed(self, exc: BaseException) -> None:
        """In a hook: keep the first exception for emu_start to raise, and stop the CPU."""
        if self._hook_exception is None:
            self._hook_exception = exc
        _emu_stop(self.handle)

    def hook_add(self, htype: int, callback, user_data=None, begin: int = 1, end: int = 0) -> int:
        """callback(uc, <the hook's arguments>, user_data), as the official binding calls it:
        INTR (intno), CODE and BLOCK (address, size), MEM_READ/WRITE/... (access, address, size,
        value), MEM_*_INVALID (the same, returning True to continue). Syscalls: hook_syscall."""
        uc = self
        if htype == UC_HOOK_INTR:
            def wrapper(_h, intno, _ud):
                try:
                    callback(uc, intno, user_data)
                except BaseException as exc:
                    uc._hook_failed(exc)
            cfunc = _HOOK_INTR(wrapper)
        elif htype in (UC_HOOK_CODE, UC_HOOK_BLOCK):
            def wrapper(_h, address, size, _ud):
                try:
                    callback(uc, address, size, user_data)
                except BaseException as exc:
                    uc._hook_failed(exc)
            cfunc = _HOOK_CODE(wrapper)
        elif htype and not htype & ~_MEM_ACCESS_HOOKS:
            def wrapper(_h, access, address, size, value, _ud):
                try:
                    callback(uc, access, address, size, value, user_data)
                except BaseException as exc:
                    uc._hook_failed(exc)
            cfunc = _HOOK_MEM(wrapper)
        elif htype and not htype & ~UC_HOOK_MEM_INVALID:
            def wrapper(_h, access, address, size, value, _ud):
                try:
                    return bool(callback(uc, access, address, size, value, user_data))
                except BaseException as exc:
                    uc._hook_failed(exc)
                    return False
            cfunc = _HOOK_MEM_INVALID(wrapper)
        else:
            raise UcError(UC.UC_ERR_ARG, htype)
        return self._add(htype, cfunc, begin, end)

    def hook_syscall(self, fn, arg) -> int:
        """Call fn(arg) at every `syscall` instruction. Every guest syscall goes through here, so
        the native callback calls fn directly: no uc argument, no extra Python frame."""
        uc = self

        def wrapper(_h, _ud):
            try:
                fn(arg)
            except BaseException as exc:
                uc._hook_failed(exc)
        return self._add(UC_HOOK_INSN, _HOOK_SYSCALL(wrapper), 1, 0, ctypes.c_int(X.UC_X86_INS_SYSCALL))

    def hook_rdtsc(self, fn) -> int:
        """Call fn() at every `rdtsc`: the value it returns is what the guest reads (EDX:EAX), instead
        of the host's TSC. The debugger records and replays it, as it does system calls."""
        uc = self

        def wrapper(_h, _ud):
            try:
                value = fn()
                uc.reg_write(X.UC_X86_REG_RAX, value & 0xFFFF_FFFF)
                uc.reg_write(X.UC_X86_REG_RDX, value >> 32 & 0xFFFF_FFFF)
                return 1
            except BaseException as exc:
                uc._hook_failed(exc)
                return 0
        return self._add(UC_HOOK_INSN, _HOOK_RDTSC(wrapper), 1, 0, ctypes.c_int(X.UC_X86_INS_RDTSC))

    def _add(self, htype: int, cfunc, begin: int, end: int, *extra) -> int:
        handle = ctypes.c_size_t()
        # cfunc itself, not ctypes.cast(cfunc, ...): cast makes cfunc refer to itself, and that cycle
        # would keep this Uc alive until a garbage collection.
        status = lib.uc_hook_add(self.handle, ctypes.byref(handle), htype, cfunc, None, begin, end, *extra)
        if status != UC_ERR_OK:
            raise UcError(status)
        self._callbacks[handle.value] = cfunc
        return handle.value

    def hook_native(self, htype: int, fn_addr: int, user_data: int, begin: int = 1, end: int = 0) -> int:
        """A hook whose callback is native code at fn_addr (no Python, no GIL), given user_data."""
        handle = ctypes.c_size_t()
        status = lib.uc_hook_add(self.handle, ctypes.byref(handle), htype, ctypes.c_void_p(fn_addr),
                                 ctypes.c_void_p(user_data), begin, end)
        if status != UC_ERR_OK:
            raise UcError(status)
        self._callbacks[handle.value] = fn_addr
        return handle.value

    def hook_del(self, handle: int) -> None:
        status = lib.uc_hook_del(self.handle, handle)
        if status != UC_ERR_OK:
            raise UcError(status)
        del self._callbacks[handle]

    def drop_hooks(self) -> None:
        """Delete every hook and forget its callback. For an engine that is done (an image
        execve replaced): the callbacks tie it into reference cycles, so without this it would
        be closed, and its memory freed, only at some later garbage collection."""
        for handle in list(self._callbacks):
            self.hook_del(handle)
        self._hook_exception = None

    # ----- contexts ----------------------------------------------------------------
    def context_save(self) -> UcContext:
        ctx = UcContext(self.handle)
        status = lib.uc_context_save(self.handle, ctx._ctx)
        if status != UC_ERR_OK:
            raise UcError(status)
        return ctx

    def context_restore(self, ctx: UcContext) -> None:
        status = lib.uc_context_restore(self.handle, ctx._ctx)
        if status != UC_ERR_OK:
            raise UcError(status)

    # ----- controls (uc_ctl) -----------------------------------------------------------
    def _ctl_write(self, ctl: int, *args) -> None:
        status = lib.uc_ctl(self.handle, (UC.UC_CTL_IO_WRITE << 30) | (len(args) << 26) | ctl, *args)
        if status != UC_ERR_OK:
            raise UcError(status)

    def ctl_remove_cache(self, begin: int, end: int) -> None:
        """Drop the translated code of [begin, end)."""
        self._ctl_write(UC.UC_CTL_TB_REMOVE_CACHE, ctypes.c_uint64(begin), ctypes.c_uint64(end))

    def ctl_flush_tb(self) -> None:
        """Drop all translated code (hooks added later apply only to code translated after them)."""
        self._ctl_write(UC.UC_CTL_TB_FLUSH)

    def ctl_flush_tlb(self) -> None:
        """Drop every cached guest-to-host address translation."""
        self._ctl_write(UC.UC_CTL_TLB_FLUSH)

    def ctl_set_tlb_mode(self, mode: int) -> None:
        """UC_TLB_CPU (walk the emulated page tables) or UC_TLB_VIRTUAL (map addresses 1:1)."""
        self._ctl_write(UC.UC_CTL_TLB_TYPE, ctypes.c_int(mode))
