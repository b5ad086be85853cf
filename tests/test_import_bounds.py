"""Nothing an import sends can take a worker down (issue 10): every size a file implies is
checked before anything is allocated, every hostile file is a 422 that names the field, the
value and the limit, and the server's peak memory stays flat.

The hostile files are built here: a stride-0 view declaring billions of elements over one
stored float, a deflated record that inflates a thousandfold, a pickle asking for
`bytearray(10**9)` or nesting tuples millions deep, tensors on the meta device or quantized,
thousands of archive records, sizes in the zip directory that lie.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterator

import httpx
import numpy as np
import pytest
import torch
from safetensors.torch import save as safetensors_bytes
from torch import nn

from models.importer import from_state_dict, import_file
from models.spec import SpecError
from tests.server_process import Server, running_server

VOCAB = "abcde"
MEMORY_BUDGET = 200 * 2**20  # peak RSS growth allowed for any upload


def lstm_state() -> dict[str, torch.Tensor]:
    """A valid state_dict: nn.LSTM(5, 4) and its readout, under the default names."""
    torch.manual_seed(0)
    rnn, readout = nn.LSTM(len(VOCAB), 4), nn.Linear(4, len(VOCAB))
    return {**rnn.state_dict(), **{f"readout.{k}": v for k, v in readout.state_dict().items()}}


def saved(value: object, **options: bool) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer, **options)
    return buffer.getvalue()


def with_tensor(name: str, value: object) -> bytes:
    """A torch.save file of the valid state_dict with one entry replaced."""
    return saved({**lstm_state(), name: value})


def quantized() -> torch.Tensor:
    with warnings.catch_warnings():  # torch deprecates quantized tensors; files still hold them
        warnings.simplefilter("ignore")
        return torch.quantize_per_tensor(torch.zeros(16, 4), 0.1, 0, torch.qint8)


class Calls:
    """Pickles as the call `func(*args)`: what a hostile pickle asks its loader to run."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


class Storage:
    """A storage as torch.save references it: record archive/data/<key>, `numel` floats."""

    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel


class Forger(pickle.Pickler):
    """Pickles like torch.save: a Storage becomes the persistent id torch.save writes."""

    def persistent_id(self, obj: object):
        if isinstance(obj, Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def forged_pickle(name: str, storage: Storage, size: tuple, stride: tuple) -> bytes:
    """A state_dict pickle of one tensor viewing `storage` with any shape and strides."""
    hooks: collections.OrderedDict = collections.OrderedDict()
    tensor = Calls(torch._utils._rebuild_tensor_v2, storage, 0, size, stride, False, hooks)
    buffer = io.BytesIO()
    Forger(buffer, protocol=2).dump({name: tensor})
    return buffer.getvalue()


def archive(pickled: bytes, records: dict[str, bytes] | None = None) -> bytes:
    """A zip laid out like torch.save's around a pickle and its storage records."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("archive/data.pkl", pickled)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/version", "3\n")
        for name, data in (records or {}).items():
            zf.writestr(f"archive/{name}", data)
    return buffer.getvalue()


def forged(numel: int, size: tuple, stride: tuple, record_bytes: int) -> bytes:
    """weight_hh_l0 viewing a storage of `numel` floats whose record has `record_bytes`."""
    pickled = forged_pickle("weight_hh_l0", Storage("0", numel), size, stride)
    return archive(pickled, {"data/0": bytes(record_bytes)})


def deflated_zeros(numel: int) -> bytes:
    """One float32 tensor of `numel` zeros, its record deflated to about a thousandth; written
    in chunks, so building it takes no memory."""
    pickled = forged_pickle("weight_hh_l0", Storage("0", numel), (numel,), (1,))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", pickled)
        zf.writestr("archive/version", "3\n")
        with zf.open("archive/data/0", "w", force_zip64=True) as record:
            chunk = bytes(2**20)
            full, rest = divmod(numel * 4, len(chunk))
            for _ in range(full):
                record.write(chunk)
            record.write(chunk[:rest])
    return buffer.getvalue()


def nested_tuples(depth: int) -> bytes:
    """A dict whose key is a tuple nested `depth` deep: hashing it recurses `depth` times."""
    return archive(b"\x80\x02}" + b")" + b"\x85" * depth + b"K\x01s.")


def rewritten(data: bytes, replace: dict[str, bytes], extra: int = 0) -> bytes:
    """The archive with some records' contents replaced and `extra` empty records added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as zf:
        for info in source.infolist():
            zf.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for k in range(extra):
            zf.writestr(f"archive/extra/{k}", b"")
    return buffer.getvalue()


def lying_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size in the zip directory set to `size`."""
    patched = bytearray(data)
    entry = patched.find(b"PK\x01\x02")
    while patched[entry + 46 : entry + 46 + len(name)] != name.encode():
        entry = patched.find(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", patched, entry + 24, size)
    return bytes(patched)


def safetensors_raw(header: bytes, body: bytes = b"") -> bytes:
    """A safetensors file from its header's JSON text, written by hand."""
    return struct.pack("<Q", len(header)) + header + body


# name -> (build the file, vocab, what the 422's message says)
HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "stride-0 view 16000x16000": (
        lambda: with_tensor("weight_hh_l0", torch.zeros(1).expand(16000, 16000)),
        VOCAB,
        "tensor 'weight_hh_l0' has shape [16000, 16000]: 256000000 elements; the limit is 262144",
    ),
    "stride-0 view 10^6x10^6": (
        lambda: with_tensor("weight_hh_l0", torch.zeros(1).expand(10**6, 10**6)),
        VOCAB,
        "tensor 'weight_hh_l0' has shape [1000000, 1000000]: 1000000000000 elements",
    ),
    "deflated record of 400 MB": (
        lambda: deflated_zeros(100_000_000),
        VOCAB,
        "record 'archive/data/0' holds 400000000 bytes uncompressed, which brings the "
        "archive's records to 400000",
    ),
    "meta tensor 10^6x10^6": (
        lambda: with_tensor("weight_hh_l0", torch.empty(10**6, 10**6, device="meta")),
        VOCAB,
        "tensor 'weight_hh_l0' is on the meta device (it has no values); expected dense values "
        "(the supported dtypes are float16, bfloat16, float32, float64)",
    ),
    "quantized tensor": (
        lambda: with_tensor("weight_hh_l0", quantized()),
        VOCAB,
        "tensor 'weight_hh_l0' is quantized; expected dense values",
    ),
    "bytearray(10**9) in the pickle": (
        lambda: with_tensor("weight_hh_l0", Calls(bytearray, 10**9)),
        VOCAB,
        "its pickle names the global __builtin__.bytearray, which is not allowed",
    ),
    "tuples nested 3 million deep": (
        lambda: nested_tuples(3_000_000),
        VOCAB,
        "record 'archive/data.pkl' holds 3000008 bytes; the limit is 65536",
    ),
    "5000 archive records": (
        lambda: rewritten(saved(lstm_state()), {}, extra=5000),
        VOCAB,
        "the archive has 5012 records; the limit is 34",
    ),
    "a record's size lies (larger)": (
        lambda: lying_size(saved(lstm_state()), "archive/data/0", 2**31),
        VOCAB,
        "record 'archive/data/0' holds 2147483648 bytes uncompressed",
    ),
    "a record's size lies (smaller)": (
        lambda: lying_size(saved(lstm_state()), "archive/data/0", 8),
        VOCAB,
        "record 'archive/data/0' could not be read: Bad CRC-32",
    ),
    "safetensors declaring 10^6x10^6 over 4 bytes": (
        lambda: safetensors_raw(
            b'{"weight_hh_l0": {"dtype": "F32", "shape": [1000000, 1000000], '
            b'"data_offsets": [0, 4]}}',
            bytes(4),
        ),
        VOCAB,
        "tensor 'weight_hh_l0' has shape [1000000, 1000000] of float32, 4000000000000 bytes, "
        "but its data_offsets hold 4",
    ),
    "a lone surrogate in the vocab": (
        lambda: saved(lstm_state()),
        '["\\ud800", "b", "c", "d", "e"]',
        "vocab entry '\\ud800' is a lone surrogate, not a character",
    ),
}


def upload(client, data: bytes, vocab: str = VOCAB):
    return client.post(
        "/api/models/import", files={"file": ("model.pt", data)}, data={"vocab": vocab}
    )


def message(response) -> str:
    return " | ".join(item["msg"] for item in response.json()["detail"])


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_each_hostile_file_is_a_422_naming_field_value_and_limit(client, kind):
    build, vocab, expected = HOSTILE[kind]
    response = upload(client, build(), vocab)
    assert response.status_code == 422, response.text
    assert expected in message(response)
    field = "vocab" if "vocab" in kind else "file"
    assert response.json()["detail"][0]["loc"] == ["body", field]


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Server, int]]:
    """A real server warmed up by a valid import, and its peak RSS then: the baseline."""
    with running_server() as started:
        response = httpx.post(
            f"{started.url}/api/models/import",
            files={"file": ("model.pt", saved(lstm_state()))},
            data={"vocab": VOCAB},
        )
        assert response.status_code == 200, response.text
        yield started, peak_rss(started.process.pid)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/<pid>/status")
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_leaves_the_server_peak_memory_flat(server, kind):
    started, baseline = server
    build, vocab, expected = HOSTILE[kind]
    response = httpx.post(
        f"{started.url}/api/models/import",
        files={"file": ("model.pt", build())},
        data={"vocab": vocab},
        timeout=120,
    )
    assert response.status_code == 422 and expected in message(response), response.text
    grown = peak_rss(started.process.pid) - baseline
    assert grown < MEMORY_BUDGET, f"{kind}: the peak RSS grew by {grown / 2**20:.0f} MB"
    assert started.process.poll() is None and "Traceback" not in started.log_text()


# What real files hold


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
@pytest.mark.parametrize("writer", ["safetensors", "torch"])
def test_half_and_bfloat16_files_import_exactly(client, dtype, writer):
    state = {name: value.to(dtype) for name, value in lstm_state().items()}
    response = upload(client, safetensors_bytes(state) if writer == "safetensors" else saved(state))
    assert response.status_code == 200, response.text
    for name, value in state.items():
        imported = np.array(response.json()["state_dict"][name])
        np.testing.assert_array_equal(imported, value.double().numpy())


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (torch.zeros(16, 4, dtype=torch.int32), "int32"),
        (torch.zeros(16, 4, dtype=torch.float8_e4m3fn), "float8_e4m3fn"),
        (torch.zeros(16, 4, dtype=torch.bool), "bool"),
    ],
)
@pytest.mark.parametrize("writer", ["safetensors", "torch"])
def test_an_unsupported_dtype_is_named_with_the_supported_ones(client, value, dtype, writer):
    state = {**lstm_state(), "weight_hh_l0": value}
    response = upload(client, safetensors_bytes(state) if writer == "safetensors" else saved(state))
    assert response.status_code == 422
    assert (
        f"tensor 'weight_hh_l0' holds {dtype} values; the supported dtypes are float16, "
        "bfloat16, float32, float64"
    ) in message(response)


def test_views_are_read_through_their_strides(client):
    """A transposed weight and a stride-0 bias, of the expected shapes, import as their values."""
    weight = lstm_state()["weight_hh_l0"]
    state = {
        **lstm_state(),
        "weight_hh_l0": weight.t().contiguous().t(),  # strides (1, 16)
        "bias_hh_l0": torch.full((1,), 0.25).expand(16),  # stride 0
    }
    response = upload(client, saved(state))
    assert response.status_code == 200, response.text
    spec = response.json()["state_dict"]
    np.testing.assert_array_equal(spec["weight_hh_l0"], weight.double().numpy())
    assert spec["bias_hh_l0"] == [0.25] * 16


def test_the_python_api_names_meta_and_quantized_tensors():
    for value, kind in [
        (torch.empty(16, 4, device="meta"), "on the meta device"),
        (quantized(), "quantized"),
    ]:
        with pytest.raises(SpecError, match=f"tensor 'weight_hh_l0' is {kind}"):
            from_state_dict({**lstm_state(), "weight_hh_l0": value}, VOCAB)


def test_a_signalling_nan_is_named_non_finite_without_a_warning():
    """float32 signalling NaNs widen to float64 with an FPU 'invalid' flag; no warning leaks."""
    snan = torch.frombuffer(bytearray(b"\x01\x00\x80\x7f" * 64), dtype=torch.float32)
    data = safetensors_bytes({**lstm_state(), "weight_hh_l0": snan.reshape(16, 4)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SpecError, match="tensor 'weight_hh_l0' has 64 non-finite value"):
            import_file(data, VOCAB)


# Malformed files: each named, none read further

MALFORMED: dict[str, tuple[Callable[[], bytes], str]] = {
    "a view beyond its storage": (
        lambda: forged(4, (16, 4), (4, 1), 16),
        "tensor 'weight_hh_l0' (shape [16, 4], strides [4, 1], offset 0) reaches element 64 "
        "of a storage of 4",
    ),
    "a storage record of the wrong size": (
        lambda: forged(64, (16, 4), (4, 1), 16),
        "storage '0' holds 16 bytes; its 64 float32 elements need 256",
    ),
    "negative strides": (
        lambda: forged(64, (16, 4), (-4, 1), 256),
        "its strides must be a list of at most 8 integers in [0, 2**63)",
    ),
    "tuples nested 60000 deep": (
        lambda: nested_tuples(60_000),
        "the file's pickle nests immutable containers 33 deep at opcode 35; the limit is 32",
    ),
    "a memo index of 2**31": (
        lambda: archive(b"\x80\x02}r\xff\xff\xff\x7f."),
        "its pickle is malformed: memo index 2147483647 at opcode 2",
    ),
    "a truncated pickle": (
        lambda: archive(b"\x80\x02}q\x00(X\x05\x00\x00"),
        "its pickle is malformed",
    ),
    "the legacy torch.save format": (
        lambda: saved(lstm_state(), _use_new_zipfile_serialization=False),
        "it is not a zip archive, the format torch.save writes since PyTorch 1.6",
    ),
    "a big-endian file": (
        lambda: rewritten(saved(lstm_state()), {"archive/byteorder": b"big"}),
        "the file's byte order is b'big'; only b'little' is read",
    ),
    "a key that is not a string": (
        lambda: saved({**lstm_state(), 3: torch.zeros(1)}),
        "a state_dict key is of type int; tensor names are text",
    ),
    "a key with a lone surrogate": (
        lambda: saved({**lstm_state(), "\ud800": torch.zeros(1)}),
        "the state_dict key '\\ud800' is a lone surrogate, not text",
    ),
    "a safetensors key with a lone surrogate": (
        lambda: safetensors_raw(
            b'{"\\ud800": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', bytes(4)
        ),
        "the state_dict key '\\ud800' is a lone surrogate, not text",
    ),
    "a safetensors header over the limit": (
        lambda: safetensors_raw(b"{" + b" " * 300_000 + b"}"),
        "the safetensors header has 300002 bytes; the limit is 65536",
    ),
    "a safetensors header longer than the file": (
        lambda: struct.pack("<Q", 1000) + b"{}",
        "its header has 1000 bytes but only 2 follow the length",
    ),
    "safetensors data_offsets outside the data": (
        lambda: safetensors_raw(
            b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', bytes(4)
        ),
        "tensor 'a': its data_offsets [0, 8] are outside the 4 bytes",
    ),
    "500 safetensors tensors": (
        lambda: safetensors_bytes({f"t{k}": torch.zeros(1) for k in range(500)}),
        "the file holds 500 tensors; the limit is 18",
    ),
    "20 tensors viewing one storage": (
        lambda: saved({**lstm_state(), **{f"view{k}": torch.zeros(1) for k in range(14)}}),
        "the state_dict holds 20 entries; the limit is 18",
    ),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_each_malformed_file_is_a_422_saying_what_is_wrong(client, kind):
    build, expected = MALFORMED[kind]
    response = upload(client, build())
    assert response.status_code == 422, response.text
    assert expected in message(response)
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
