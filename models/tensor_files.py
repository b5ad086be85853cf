"""Read the tensors of a safetensors or `torch.save` file as data: names, dtypes, shapes and
strides first, values only when asked.

Bounds before work: every size a file implies is computed and checked against its limit
before anything is allocated or computed. A tensor's element count comes from its declared
shape and strides, an archive record's size from the zip directory (`ZipInfo.file_size`,
before the record is read), and no tensor's values are read (`StoredTensor.values()`) until
the caller has checked its name, dtype and shape against the model's.

Why not `torch.load(weights_only=True)`: it refuses code but not work. Its allowlist rebuilds
a quantized tensor with `torch._empty_affine_quantized(size)` and calls `bytearray(n)`, so a
few hundred bytes of pickle allocate gigabytes; its zip reader inflates a deflated record of
any size. So a `torch.save` file is read here in three bounded steps:

1. the archive: at most `max_records` records, counted from the raw directory signatures
   before zipfile parses the directory; each stored or deflated; at most `max_bytes`
   uncompressed together; a record is read only up to its declared size, and zipfile checks
   its CRC there;
2. the pickle (`data.pkl`, at most MAX_HEADER_BYTES): first walked opcode by opcode with
   pickletools, which builds nothing, to refuse a memo index beyond the opcodes so far
   (Python's unpickler grows its memo to the largest index named) and tuples nested deeper
   than MAX_NESTING (hashing them recurses once per level: millions of levels crash the
   process); then unpickled with stand-ins, so that a tensor becomes a `StoredTensor` over its
   record's bytes and never a tensor, and every global but those torch.save writes for
   tensors and containers is refused: nothing runs;
3. the values, through `StoredTensor.values()`.

A safetensors file declares each tensor's dtype, shape and byte range in its JSON header (at
most MAX_HEADER_BYTES), read the same way.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import pickletools
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models.spec import SpecError

MAX_HEADER_BYTES = 64 * 1024  # a safetensors header or a pickle: ~100 bytes a tensor
MAX_NESTING = 32  # tuples within tuples in a pickle; a state_dict's nest three deep
MAX_DIMS = 8  # dimensions of one tensor
BOOKKEEPING_RECORDS = 16  # torch.save's records besides its storages: data.pkl, version, ...
DIRECTORY_ENTRY = b"PK\x01\x02"  # the signature that starts each record's zip directory entry
DTYPE_NAMES = {name for name, value in vars(torch).items() if isinstance(value, torch.dtype)}
TORCH_CONSTANTS = DTYPE_NAMES | {  # torch.float32, torch.per_tensor_affine, torch.sparse_coo, ...
    name for name, value in vars(torch).items() if isinstance(value, torch.qscheme | torch.layout)
}
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")  # what values() reads
SAFETENSORS_DTYPES = {  # safetensors' dtype names -> torch's
    "F16": "float16",
    "BF16": "bfloat16",
    "F32": "float32",
    "F64": "float64",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "I8": "int8",
    "I16": "int16",
    "I32": "int32",
    "I64": "int64",
    "U8": "uint8",
    "U16": "uint16",
    "U32": "uint32",
    "U64": "uint64",
    "BOOL": "bool",
    "C64": "complex64",
}
STORAGE_DTYPES = {  # torch.save's storage classes -> the dtype of their elements
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "FloatStorage": "float32",
    "DoubleStorage": "float64",
    "CharStorage": "int8",
    "ShortStorage": "int16",
    "IntStorage": "int32",
    "LongStorage": "int64",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",  # _rebuild_tensor_v3 names the dtype itself
}


@dataclass(frozen=True, slots=True, eq=False)
class StoredTensor:
    """A dense tensor as its file declares it; `values()` is the only step that reads it."""

    dtype: str  # torch's name: "float32", "bfloat16", "int64", ...
    shape: tuple[int, ...]
    stride: tuple[int, ...]  # in elements
    offset: int  # in elements, into `storage`
    storage: memoryview  # the bytes of its record (torch.save) or its byte range (safetensors)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def span(self) -> int:
        """Elements of the storage the view reaches from its offset: 1 + sum((n-1) * stride)."""
        if self.numel == 0:
            return 0
        return 1 + sum(
            (size - 1) * step for size, step in zip(self.shape, self.stride, strict=True)
        )

    def values(self) -> np.ndarray:
        """The values of one of FLOAT_DTYPES in NumPy (bfloat16 widened to float32, exactly).
        This allocates the span's bytes: call it once the shape is checked."""
        if self.numel == 0:
            return np.zeros(self.shape)
        dtype = getattr(torch, self.dtype)
        start = self.offset * dtype.itemsize
        spanned = bytearray(self.storage[start : start + self.span() * dtype.itemsize])
        flat = torch.frombuffer(spanned, dtype=dtype)  # a writable, aligned copy of its bytes
        view = flat.as_strided(self.shape, self.stride)
        return (view.float() if dtype == torch.bfloat16 else view).numpy()


@dataclass(frozen=True, slots=True, eq=False)
class Unsupported:
    """A tensor of a kind never read (quantized, sparse, meta, ...): `kind` says which."""

    kind: str


def read_tensors(data: bytes, max_tensors: int, max_bytes: int) -> tuple[str, Any]:
    """("safetensors" | "torch", what the file holds): for a state_dict, a dict from names to
    StoredTensor (or Unsupported, or whatever else a pickle held)."""
    if looks_like_safetensors(data):
        return "safetensors", read_safetensors(data, max_tensors)
    return "torch", read_torch_file(data, max_tensors, max_bytes)


def looks_like_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON header."""
    if len(data) < 10:
        return False
    (header,) = struct.unpack("<Q", data[:8])
    return header < 2**32 and data[8:9] == b"{"  # a torch zip starts "PK", a pickle 0x80


def brief(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dims(values: object, what: str) -> tuple[int, ...]:
    """A shape or strides: at most MAX_DIMS non-negative 64-bit integers."""
    if (
        not isinstance(values, tuple | list)
        or len(values) > MAX_DIMS
        or not all(type(v) is int and 0 <= v < 2**63 for v in values)
    ):
        raise ValueError(f"its {what} must be a list of at most {MAX_DIMS} integers in [0, 2**63)")
    return tuple(values)


# safetensors


def unreadable_safetensors(reason: str) -> SpecError:
    return SpecError("file", f"the safetensors file could not be read: {reason}")


def read_safetensors(data: bytes, max_tensors: int) -> dict[str, StoredTensor]:
    """The header's tensors over the file's bytes; nothing is copied."""
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_BYTES:
        raise SpecError(
            "file", f"the safetensors header has {length} bytes; the limit is {MAX_HEADER_BYTES}"
        )
    if 8 + length > len(data):
        raise unreadable_safetensors(
            f"its header has {length} bytes but only {len(data) - 8} follow the length"
        )
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, too deep
        raise unreadable_safetensors(f"its header is not JSON: {brief(error)}") from error
    if not isinstance(header, dict):
        raise unreadable_safetensors(f"its header is a JSON {type(header).__name__}, not an object")
    header.pop("__metadata__", None)
    if len(header) > max_tensors:
        raise SpecError("file", f"the file holds {len(header)} tensors; the limit is {max_tensors}")
    body = memoryview(data)[8 + length :]
    return {name: safetensors_entry(name, entry, body) for name, entry in header.items()}


def safetensors_entry(name: str, entry: object, body: memoryview) -> StoredTensor:
    """One header entry {"dtype", "shape", "data_offsets"} as a tensor over its byte range."""
    try:
        if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str):
            raise ValueError("it is not an object with a dtype, a shape and data_offsets")
        kind: str = entry["dtype"]
        shape = dims(entry.get("shape"), "shape")
        begin, end = dims(entry.get("data_offsets"), "data_offsets")
        if not begin <= end <= len(body):
            raise ValueError(f"its data_offsets [{begin}, {end}] are outside the {len(body)} bytes")
    except ValueError as error:
        raise unreadable_safetensors(f"tensor {name!r}: {error}") from error
    dtype = SAFETENSORS_DTYPES.get(kind, kind)
    strides = tuple(math.prod(shape[k + 1 :]) for k in range(len(shape)))  # contiguous
    tensor = StoredTensor(dtype, shape, strides, 0, body[begin:end])
    size = itemsize(dtype)
    if size is not None and tensor.numel * size != end - begin:
        raise unreadable_safetensors(
            f"tensor {name!r} has shape {list(shape)} of {dtype}, {tensor.numel * size} bytes, "
            f"but its data_offsets hold {end - begin}"
        )
    return tensor


def itemsize(dtype: str) -> int | None:
    """Bytes per element of a torch dtype name; None for a name torch does not know."""
    return getattr(torch, dtype).itemsize if dtype in DTYPE_NAMES else None


# torch.save archives


def unreadable_torch(reason: str) -> SpecError:
    return SpecError(
        "file",
        "the file is neither safetensors nor a state_dict saved with torch.save "
        f"(read as data only): {reason}",
    )


def read_torch_file(data: bytes, max_tensors: int, max_bytes: int) -> Any:
    """What the archive's pickle holds, tensors as StoredTensor over their records."""
    if not data.startswith(b"PK\x03\x04"):
        raise unreadable_torch(
            "it is not a zip archive, the format torch.save writes since PyTorch 1.6 (an older "
            "file: load it and save it again with a current PyTorch)"
        )
    archive = open_archive(data, max_tensors + BOOKKEEPING_RECORDS, max_bytes)
    pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
    if len(pickles) != 1 or pickles[0].count("/") != 1:
        raise unreadable_torch(f"the archive has no single <folder>/data.pkl but {pickles[:5]!r}")
    folder = pickles[0].removesuffix("/data.pkl")
    if folder + "/byteorder" in archive.namelist():
        order = read_record(archive, folder + "/byteorder", limit=16)
        if order != b"little":
            raise SpecError(
                "file", f"the file's byte order is {bytes(order)!r}; only b'little' is read"
            )
    pickled = read_record(archive, pickles[0], limit=MAX_HEADER_BYTES)
    check_pickle(pickled)
    unpickler = StateDictUnpickler(
        pickled, lambda key: read_record(archive, f"{folder}/data/{key}")
    )
    try:
        loaded = unpickler.load()
    except SpecError:
        raise
    except Exception as error:  # a refused global, a malformed pickle: never run, only named
        raise unreadable_torch(brief(error)) from error
    if isinstance(loaded, dict):
        for name, value in loaded.items():
            if isinstance(name, str) and isinstance(value, StoredTensor):
                check_fits(name, value)
    return loaded


def open_archive(data: bytes, max_records: int, max_bytes: int) -> zipfile.ZipFile:
    """The zip, its records counted before its directory is parsed and their uncompressed
    sizes checked before any is read."""
    listed = data.count(DIRECTORY_ENTRY)  # one per record, and any the data happens to hold
    if listed > max_records:
        raise SpecError("file", f"the archive has {listed} records; the limit is {max_records}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile's own message says what is wrong
        raise unreadable_torch(f"its zip archive could not be read: {brief(error)}") from error
    total = 0
    for info in archive.infolist():
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SpecError(
                "file",
                f"record {info.filename!r} is compressed with zip method {info.compress_type}; "
                "only stored and deflated records are read",
            )
        total += info.file_size
        if total > max_bytes:
            raise SpecError(
                "file",
                f"record {info.filename!r} holds {info.file_size} bytes uncompressed, which "
                f"brings the archive's records to {total}; the limit is {max_bytes}",
            )
    return archive


def read_record(archive: zipfile.ZipFile, name: str, limit: int | None = None) -> memoryview:
    """A record's bytes, read only up to the size the directory declares."""
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise unreadable_torch(f"the archive has no record {name!r}") from error
    if limit is not None and info.file_size > limit:
        raise SpecError(
            "file", f"record {name!r} holds {info.file_size} bytes; the limit is {limit}"
        )
    try:
        with archive.open(info) as stream:
            record = stream.read(info.file_size)  # zipfile checks the CRC at the declared end
    except Exception as error:  # a bad CRC, a truncated or encrypted record, a bad offset, ...
        raise unreadable_torch(f"record {name!r} could not be read: {brief(error)}") from error
    if len(record) != info.file_size:
        raise unreadable_torch(
            f"record {name!r} has {len(record)} bytes; the directory says {info.file_size}"
        )
    return memoryview(record)


def check_fits(name: str, tensor: StoredTensor) -> None:
    """The view stays within its storage."""
    size = itemsize(tensor.dtype) or 1
    elements = len(tensor.storage) // size
    if tensor.offset + tensor.span() > elements:
        raise SpecError(
            "file",
            f"tensor {name!r} (shape {list(tensor.shape)}, strides {list(tensor.stride)}, offset "
            f"{tensor.offset}) reaches element {tensor.offset + tensor.span()} of a storage of "
            f"{elements}",
        )


# the pickle

TUPLE_OPCODES = {"TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "FROZENSET"}  # hashed recursively
GET_OPCODES = {"GET", "BINGET", "LONG_BINGET"}
PUT_OPCODES = {"PUT", "BINPUT", "LONG_BINPUT"}


def check_pickle(pickled: memoryview) -> None:
    """Walk the opcodes, tracking how deep the tuples on the stack nest, and refuse memo
    indices beyond the opcodes so far and nesting deeper than MAX_NESTING."""
    depths: list[int] = []  # per stack item: tuples within tuples (a list or dict resets it)
    marks: list[int] = []
    memo: dict[int, int] = {}
    try:
        for count, (opcode, arg, _) in enumerate(pickletools.genops(bytes(pickled))):
            popped = pop_operands(opcode, depths, marks)
            if opcode.name == "MARK":
                marks.append(len(depths))
            elif opcode.name in PUT_OPCODES or opcode.name == "MEMOIZE":
                index = len(memo) if opcode.name == "MEMOIZE" else arg
                if not isinstance(index, int) or not 0 <= index <= count:
                    raise ValueError(f"memo index {index} at opcode {count}")
                memo[index] = depths[-1]
            elif opcode.name in GET_OPCODES and isinstance(arg, int):
                depths.append(memo[arg])
            elif opcode.name in TUPLE_OPCODES:
                depths.append(1 + max(popped, default=0))
                if depths[-1] > MAX_NESTING:
                    raise SpecError(
                        "file",
                        f"the file's pickle nests immutable containers {depths[-1]} deep at "
                        f"opcode {count}; the limit is {MAX_NESTING}",
                    )
            else:
                pushed = [item for item in opcode.stack_after if item is not pickletools.markobject]
                depths.extend([popped[-1] if opcode.name == "DUP" else 0] * len(pushed))
    except SpecError:
        raise
    except (ValueError, IndexError, KeyError) as error:
        raise unreadable_torch(f"its pickle is malformed: {brief(error)}") from error


def pop_operands(opcode: pickletools.OpcodeInfo, depths: list[int], marks: list[int]) -> list[int]:
    """Pop what `opcode` takes from the stack: items above the last mark, then fixed ones."""
    before = opcode.stack_before
    popped: list[int] = []
    if pickletools.markobject in before:
        mark = marks.pop()
        popped, depths[mark:] = depths[mark:], []
        before = before[: before.index(pickletools.markobject)]
    for _ in before:
        popped.append(depths.pop())
    return popped


@dataclass(frozen=True, slots=True, eq=False)
class Inert:
    """A global that only describes (torch.Size, torch.device, ...): calling it builds nothing."""

    name: str

    def __call__(self, *args: object, **kwargs: object) -> Inert:
        return self


@dataclass(frozen=True, slots=True, eq=False)
class StorageType:
    """A storage class as a pickle names it (torch.FloatStorage): the dtype it holds."""

    dtype: str


@dataclass(frozen=True, slots=True, eq=False)
class Storage:
    """A storage a pickle references: its record's bytes, their size checked."""

    dtype: str
    data: memoryview


def stored_tensor(
    storage: object, dtype: object, offset: object, size: object, stride: object, metadata: object
) -> StoredTensor | Unsupported:
    """What _rebuild_tensor_v2/v3 would build, as a StoredTensor; its fit is checked by name."""
    if not isinstance(storage, Storage) or dtype not in DTYPE_NAMES:
        raise pickle.UnpicklingError("a tensor without a storage and a dtype")
    if type(offset) is not int or not 0 <= offset < 2**63:
        raise pickle.UnpicklingError("a tensor's storage offset is not an integer in [0, 2**63)")
    shape, strides = dims(size, "shape"), dims(stride, "strides")
    if len(shape) != len(strides):
        raise pickle.UnpicklingError(f"a tensor of shape {list(shape)} has strides {list(strides)}")
    if metadata:
        return Unsupported("a view with its conjugate or negative bit set")
    return StoredTensor(str(dtype), shape, strides, offset, storage.data)


def rebuild_tensor_v2(
    storage: Any,
    offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    hooks: Any = None,
    metadata: Any = None,
) -> StoredTensor | Unsupported:
    """torch._utils._rebuild_tensor_v2: a view of a typed storage."""
    return stored_tensor(storage, getattr(storage, "dtype", None), offset, size, stride, metadata)


def rebuild_tensor_v3(
    storage: Any,
    offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any,
    hooks: Any,
    dtype: Any,
    metadata: Any = None,
) -> StoredTensor | Unsupported:
    """torch._utils._rebuild_tensor_v3: a view of an untyped storage, its dtype named."""
    return stored_tensor(storage, dtype, offset, size, stride, metadata)


def unsupported(kind: str) -> Callable[..., Unsupported]:
    return lambda *args, **kwargs: Unsupported(kind)


STAND_INS: dict[str, Any] = {
    "collections.OrderedDict": OrderedDict,
    "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": lambda data, *_: data,
    "torch._utils._rebuild_parameter_with_state": lambda data, *_: data,
    "torch._utils._rebuild_qtensor": unsupported("quantized"),
    "torch._utils._rebuild_sparse_tensor": unsupported("sparse"),
    "torch._utils._rebuild_sparse_csr": unsupported("sparse"),
    "torch._utils._rebuild_nested_tensor": unsupported("nested"),
    "torch._utils._rebuild_meta_tensor_no_storage": unsupported(
        "on the meta device (it has no values)"
    ),
    "torch._utils._rebuild_wrapper_subclass": unsupported("a tensor subclass"),
    "torch._utils._rebuild_device_tensor_from_numpy": unsupported("saved from another device"),
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": unsupported("saved from another device"),
    "torch._tensor._rebuild_from_type_v2": unsupported(
        "a tensor subclass or a tensor with Python attributes"
    ),
    **{
        name: Inert(name)
        for name in (
            "torch.Tensor",
            "torch.nn.parameter.Parameter",
            "torch.Size",
            "torch.device",
            "torch.serialization._get_layout",
        )
    },
}


class StateDictUnpickler(pickle.Unpickler):
    """Unpickles what torch.save writes for a state_dict without building a tensor; refuses
    every other global, so nothing runs."""

    def __init__(self, pickled: memoryview, record: Callable[[str], memoryview]) -> None:
        super().__init__(io.BytesIO(pickled))
        self.record = record
        self.storages: dict[str, Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        path = f"{module}.{name}"
        if path in STAND_INS:
            return STAND_INS[path]
        if module in ("torch", "torch.storage") and name in STORAGE_DTYPES:
            return StorageType(STORAGE_DTYPES[name])
        if module == "torch" and name in TORCH_CONSTANTS:
            return name
        raise pickle.UnpicklingError(
            f"its pickle names the global {path}, which is not allowed: only tensors and "
            "containers are read, nothing runs"
        )

    def persistent_load(self, pid: Any) -> Storage:
        """("storage", storage type, key, location, numel): record data/<key>, size checked."""
        if not (
            isinstance(pid, tuple)
            and len(pid) == 5
            and pid[0] == "storage"
            and isinstance(pid[1], StorageType)
            and isinstance(pid[2], str)
            and type(pid[4]) is int
        ):
            raise pickle.UnpicklingError("a persistent id that is not a storage")
        _, kind, key, _, numel = pid
        if key not in self.storages:
            data = self.record(key)
            expected = numel * (itemsize(kind.dtype) or 1)
            if len(data) != expected:
                raise SpecError(
                    "file",
                    f"storage {key!r} holds {len(data)} bytes; its {numel} {kind.dtype} elements "
                    f"need {expected}",
                )
            self.storages[key] = Storage(kind.dtype, data)
        return self.storages[key]
