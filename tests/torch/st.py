"""A minimal safetensors reader and writer on plain numpy (the `safetensors` package is not assumed).

Format: an 8-byte little-endian u64 header length, a JSON header mapping each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data area, which follows the
header), an optional "__metadata__" entry of strings, then the raw little-endian data.
Written from the format description only; shares no code with dlg's TypeScript implementation.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "F16": "<f2", "U8": "u1"}
_NAMES = {np.dtype(v).newbyteorder("<").str: k for k, v in _DTYPES.items()}


def read(path):
    """Returns (tensors: dict name -> ndarray, metadata: dict)."""
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    tensors = {}
    for name, v in header.items():
        begin, end = v["data_offsets"]
        arr = np.frombuffer(b[base + begin : base + end], dtype=_DTYPES[v["dtype"]]).reshape(v["shape"])
        tensors[name] = arr.copy()
    return tensors, meta


def write(path, tensors, metadata=None):
    """Writes a dict name -> ndarray (float32, int32, ...) in insertion order."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, pos = [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        le = arr.astype(arr.dtype.newbyteorder("<"))
        raw = le.tobytes()
        header[name] = {"dtype": _NAMES[le.dtype.str], "shape": list(arr.shape), "data_offsets": [pos, pos + len(raw)]}
        blobs.append(raw)
        pos += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
