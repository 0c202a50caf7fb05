"""wiretag: classify, train and evaluate wiretag models from Python.

A thin layer over libwiretag's embedding API (wt_api.h) through ctypes:
the same tags as `wiretag classify`, the same model files as `wiretag
train`, the same report as `wiretag eval --json`.

    import wiretag
    m = wiretag.Model("/usr/share/wiretag/conflict-v2.wtm")
    m.classify({"title": "...", "text": "..."})   # [(label, score), ...]
    m.classify_many(articles)                      # one C call per batch
    wiretag.train(data=["train.jsonl"], out="m.wtm", cv=5)
    wiretag.evaluate(m, "test.jsonl", by="source") # dict

A Model may be shared by any number of threads: classification does not
change it, and the GIL is released while the C library works.
"""
import ctypes
import json
import os
from ctypes import POINTER, byref, c_char, c_char_p, c_float, c_size_t, \
    c_uint32, c_ubyte, c_void_p

from . import _lib

__all__ = ["Model", "train", "evaluate", "Error", "ModelError",
           "InputError", "FileError", "library_path", "__version__"]

_C, library_path = _lib.load()
__version__ = _C.wt_api_version().decode()

_ERRSTR_SIZE = 1024
_JSON, _TEXT = 0, 1  # wt_input_t


class Error(Exception):
    """A failure reported by libwiretag. str(e) is the library's message
    (errstr); e.code is its wt_err_t and e.name that code's name
    ("model_checksum", "json", "io", ...)."""

    def __init__(self, message, code=0, name="unknown"):
        super().__init__(message)
        self.code = code
        self.name = name


class ModelError(Error):
    """A model file that is truncated, corrupt, of another format version
    or not a wiretag model."""


class InputError(Error, ValueError):
    """A document, option or argument the library refused."""


class FileError(Error, OSError):
    """A file that could not be read or written."""


_INPUT_ERRORS = {"json", "not_object", "field_missing", "field_type", "utf8",
                 "too_large", "labels", "invalid_arg"}


def _raise(code, errstr):
    name = _C.wt_err_name(code).decode()
    msg = errstr.value.decode("utf-8", "replace") or name
    if name.startswith("model_"):
        cls = ModelError
    elif name == "io":
        cls = FileError
    elif name in _INPUT_ERRORS:
        cls = InputError
    else:
        cls = Error
    raise cls(msg, code, name)


def _path(p):
    return os.fsencode(os.fspath(p))


def _encode(doc):
    """One document as (bytes, kind): a str is plain text, a dict a JSON
    article, bytes a JSON article as it came (a Kafka payload)."""
    if isinstance(doc, str):
        return doc.encode("utf-8", "surrogatepass"), _TEXT
    if isinstance(doc, (bytes, bytearray, memoryview)):
        return bytes(doc), _JSON
    if isinstance(doc, dict):
        return json.dumps(doc, ensure_ascii=False).encode("utf-8",
                                                          "surrogatepass"), _JSON
    raise TypeError(f"wiretag: a document is a str (text), a dict (JSON "
                    f"article) or bytes (JSON), not {type(doc).__name__}")


class Model:
    """A loaded .wtm model. Immutable; use it from any number of threads.

    Model(path) raises FileError if the file cannot be read and ModelError
    if it is not a valid model, with the library's message."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._h = None
        handle = c_void_p()
        errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
        code = _C.wt_model_load(_path(path), byref(handle), errstr,
                                _ERRSTR_SIZE)
        if code:
            _raise(code, errstr)
        self._h = handle
        n = _C.wt_model_nlabels(handle)
        self.labels = tuple(_C.wt_model_label(handle, i).decode()
                            for i in range(n))
        self.thresholds = tuple(_C.wt_model_threshold(handle, i)
                                for i in range(n))
        self.name = _C.wt_model_name(handle).decode()
        self.id = _C.wt_model_id(handle).decode()
        self.multilabel = bool(_C.wt_model_is_multilabel(handle))

    def close(self):
        """Free the model now (it is freed when collected otherwise). No
        other thread may be using it."""
        h, self._h = self._h, None
        if h:
            _C.wt_model_destroy(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<wiretag.Model {self.name} {self.id} labels={list(self.labels)}>"

    def _handle(self):
        if not self._h:
            raise Error("wiretag: the model is closed")
        return self._h

    def classify(self, doc):
        """Tags of one document: a list of (label, score), the labels whose
        score passes their threshold (a single-label model: its top label),
        highest first. doc is a str (plain text), a dict (a JSON article:
        the model's text fields are read, e.g. "title" and "text") or bytes
        (a JSON article as it came). Raises InputError for a document the
        library cannot read."""
        return self.classify_many((doc,))[0]

    def classify_many(self, docs, batch_size=4096):
        """classify() of every document of an iterable, as a list, in
        order. Each batch of batch_size documents is one call into the C
        library, with the GIL released. Raises InputError at the first
        document that cannot be read, naming its index in the batch."""
        h = self._handle()
        nlabels = len(self.labels)
        labels = self.labels
        out = []
        batch = []
        for doc in docs:
            batch.append(_encode(doc))
            if len(batch) == batch_size:
                out.extend(self._batch(h, batch, nlabels, labels, len(out)))
                batch = []
        if batch:
            out.extend(self._batch(h, batch, nlabels, labels, len(out)))
        return out

    @staticmethod
    def _batch(h, batch, nlabels, labels, first):
        n = len(batch)
        bufs = [b for b, _ in batch]
        c_docs = (c_char_p * n)(*bufs)
        c_lens = (c_size_t * n)(*map(len, bufs))
        c_kinds = (c_ubyte * n)(*(k for _, k in batch))
        c_labels = (c_uint32 * (n * nlabels))()
        c_scores = (c_float * (n * nlabels))()
        c_ntags = (c_uint32 * n)()
        errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
        code = _C.wt_api_classify_batch(h, n, c_docs, c_lens, c_kinds,
                                        c_labels, c_scores, c_ntags, errstr,
                                        _ERRSTR_SIZE)
        if code:
            if first:
                errstr.value = (f"batch from document {first}: ".encode()
                                + errstr.value)
            _raise(code, errstr)
        res = []
        for i in range(n):
            base = i * nlabels
            res.append([(labels[c_labels[base + t]], c_scores[base + t])
                        for t in range(c_ntags[i])])
        return res


def train(data=None, spec=None, out=None, **options):
    """Train a model as `wiretag train` does, write it to out, and return
    it loaded. data: one labeled JSON Lines file or a list of them (a
    source each); spec: a training spec (options override it). options are
    the command's, with underscores: name, fields ("a,b" or a list),
    ngrams, bits, min_df, fold_digits, signed, no_idf, solver ("lr", "svm",
    "l1lr"), C, C_grid, cv, multilabel, threads, seed. With the same
    options and SOURCE_DATE_EPOCH the file is the CLI's, byte for byte."""
    if out is None:
        raise InputError("wiretag.train: out= names the model file to write",
                         3, "invalid_arg")
    o = dict(options)
    if data is not None:
        if isinstance(data, (str, bytes, os.PathLike)):
            data = [data]
        o["data"] = [os.fsdecode(os.fspath(d)) for d in data]
    if spec is not None:
        o["spec"] = os.fsdecode(os.fspath(spec))
    if isinstance(o.get("fields"), (list, tuple)):
        o["fields"] = ",".join(o["fields"])
    if "C_grid" in o:
        o["C_grid"] = [float(c) for c in o["C_grid"]]
    if "C" in o:
        o["C"] = float(o["C"])
    errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
    code = _C.wt_api_train(json.dumps(o).encode(), _path(out), errstr,
                           _ERRSTR_SIZE)
    if code:
        _raise(code, errstr)
    return Model(out)


def evaluate(model, file, by=None, labels=None, ignore_unknown=False):
    """Evaluate a model (a Model or a .wtm path) on a labeled JSON Lines
    file, as `wiretag eval --json` does, and return its report as a dict:
    docs, failed, micro_f1, macro_f1, example_f1, accuracy, per_label,
    unknown_labels, and with by=FIELD also "by" and "groups". labels limits
    scoring to some model labels (a list or "a,b")."""
    m = model if isinstance(model, Model) else Model(model)
    if isinstance(labels, (list, tuple)):
        labels = ",".join(labels)
    opts = _lib.wt_eval_opts_t(labels.encode() if labels else None,
                               1 if ignore_unknown else 0,
                               by.encode() if by is not None else None)
    report = POINTER(c_char)()
    errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
    code = _C.wt_api_eval(m._handle(), _path(file), byref(opts),
                          byref(report), errstr, _ERRSTR_SIZE)
    if code:
        _raise(code, errstr)
    try:
        return json.loads(ctypes.string_at(report).decode("utf-8"))
    finally:
        _C.wt_api_free(report)
