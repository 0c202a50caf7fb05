"""The Python API (pipeline/python) against the C library and the CLI:
the same tags as `wiretag classify`, the same report as `wiretag eval
--json`, the same model file as `wiretag train`, and the C library's
messages in its exceptions."""
import json
import shutil
import subprocess
import threading

import pytest

import wiretag


def run_cli(cli, *args, env=None, check=True):
    p = subprocess.run([cli, *map(str, args)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env)
    if check and p.returncode:
        raise AssertionError(f"wiretag {args}: exit {p.returncode}: {p.stderr}")
    return p


@pytest.fixture(scope="module")
def model(default_model):
    return wiretag.Model(default_model)


@pytest.fixture(scope="module")
def articles(fixtures):
    with open(fixtures / "articles.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_model_card_matches_cli(model, cli, default_model):
    card = json.loads(run_cli(cli, "model", "info", "--json", default_model).stdout)
    assert model.name == "conflict-v2" == card["name"]
    assert model.id == card["model_id"]
    assert len(model.id) == 16
    assert set(model.labels) == {"military_action", "diplomacy", "militancy"}
    assert model.multilabel == card["multilabel"]
    assert "conflict-v2" in repr(model)


def test_classify_sample(model, articles):
    tags = model.classify(articles[0])  # foreign ministers, border talks
    assert tags and tags[0][0] == "diplomacy" and tags[0][1] > 0.5
    assert all(isinstance(l, str) and isinstance(s, float) for l, s in tags)
    # Plain text classifies as text; bytes as a JSON article.
    assert model.classify("Foreign ministers agree to resume border talks")[0][0] == "diplomacy"
    assert model.classify(json.dumps(articles[0]).encode()) == tags


def test_classify_equals_cli(model, cli, fixtures, articles):
    out = run_cli(cli, "classify", "-m", model.path, fixtures / "articles.jsonl").stdout
    cli_tags = [[(t["label"], t["score"]) for t in json.loads(line)["wiretag"]["labels"]]
                for line in out.splitlines()]
    py_tags = [model.classify(a) for a in articles]
    assert len(cli_tags) == len(py_tags) == len(articles)
    for c, p in zip(cli_tags, py_tags):
        # The CLI prints scores with 6 significant digits.
        assert [(l, float(f"{s:.6g}")) for l, s in p] == c
        scores = [s for _, s in p]
        assert scores == sorted(scores, reverse=True)
        for l, s in p:
            assert s >= model.thresholds[model.labels.index(l)]


def test_classify_many_equals_one_by_one(model, articles, fixtures):
    with open(fixtures / "multi.jsonl", encoding="utf-8") as f:
        multi = [json.loads(line) for line in f]
    docs = (articles + [a["text"] for a in articles] + multi
            + [json.dumps(m).encode() for m in multi[:10]] + ["", "ünïcödé текст"])
    one_by_one = [model.classify(d) for d in docs]
    assert model.classify_many(docs) == one_by_one
    # Several batches, from a generator.
    assert model.classify_many((d for d in docs), batch_size=7) == one_by_one
    assert model.classify_many([]) == []


def test_classify_many_releases_the_gil(model, articles):
    # Two threads classify at once with one model and get what one does.
    docs = articles * 200
    want = model.classify_many(docs)
    got = [None, None]

    def work(i):
        got[i] = model.classify_many(docs, batch_size=50)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want, want]


def test_bad_documents_raise_with_the_c_message(model, articles):
    with pytest.raises(wiretag.InputError) as e:
        model.classify(b"{not json")
    assert e.value.name == "json" and "document 0" in str(e.value)
    with pytest.raises(wiretag.InputError) as e:
        model.classify({"headline": "no text field"})
    assert e.value.name == "field_missing"
    with pytest.raises(wiretag.InputError) as e:
        model.classify_many([articles[0], articles[1], {"text": 5}])
    assert e.value.name == "field_type" and "document 2" in str(e.value)
    with pytest.raises(wiretag.InputError) as e:
        model.classify("bad \udcff surrogate")
    assert e.value.name == "utf8"
    with pytest.raises(TypeError):
        model.classify(42)
    assert isinstance(e.value, wiretag.Error) and isinstance(e.value, ValueError)


def test_missing_model_raises_the_c_message(tmp_path, cli):
    missing = tmp_path / "nope.wtm"
    with pytest.raises(wiretag.FileError) as e:
        wiretag.Model(missing)
    assert isinstance(e.value, wiretag.Error)
    assert str(missing) in str(e.value) and e.value.name == "io"
    # The CLI prints the same message.
    p = run_cli(cli, "model", "info", missing, check=False)
    assert p.returncode == 3 and str(e.value) in p.stderr


def test_corrupt_model_raises_the_c_message(tmp_path, cli, default_model):
    bad = tmp_path / "corrupt.wtm"
    shutil.copy(default_model, bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(wiretag.ModelError) as e:
        wiretag.Model(bad)
    assert e.value.name == "model_checksum" and str(bad) in str(e.value)
    p = run_cli(cli, "model", "info", bad, check=False)
    assert p.returncode == 3 and str(e.value) in p.stderr
    truncated = tmp_path / "truncated.wtm"
    truncated.write_bytes(bytes(data[:100]))
    with pytest.raises(wiretag.ModelError):
        wiretag.Model(truncated)
    notamodel = tmp_path / "notamodel.wtm"
    notamodel.write_text("hello" * 100)
    with pytest.raises(wiretag.ModelError) as e:
        wiretag.Model(notamodel)
    assert e.value.name == "model_magic"


@pytest.fixture(scope="module")
def multi_model(tmp_path_factory, fixtures):
    out = tmp_path_factory.mktemp("m") / "multi.wtm"
    return wiretag.train(data=[fixtures / "multi.jsonl"], out=out, ngrams=1,
                         bits=16, min_df=1, cv=2, C_grid=[1, 4], threads=1)


@pytest.mark.parametrize("kwargs,args", [
    ({}, []),
    ({"ignore_unknown": True}, ["--ignore-unknown"]),
    ({"labels": ["economy", "health"]}, ["--labels", "economy,health"]),
    ({"by": "id"}, ["--by", "id"]),
])
def test_evaluate_equals_cli(multi_model, cli, fixtures, kwargs, args):
    for data in ("multi.jsonl", "single3.jsonl"):
        py = wiretag.evaluate(multi_model, fixtures / data, **kwargs)
        out = run_cli(cli, "eval", "-m", multi_model.path, "--json", *args,
                      fixtures / data).stdout
        assert py == json.loads(out)
    assert sorted(py["unknown_labels"]) == ["markets", "sport", "weather"]


def test_evaluate_by_path_and_errors(multi_model, fixtures, tmp_path):
    r = wiretag.evaluate(multi_model.path, fixtures / "multi.jsonl", by="id")
    assert r["docs"] == 60 and r["by"] == "id" and len(r["groups"]) == 60
    with pytest.raises(wiretag.InputError) as e:
        wiretag.evaluate(multi_model, fixtures / "multi.jsonl", labels="nosuch")
    assert "nosuch" in str(e.value)
    with pytest.raises(wiretag.FileError) as e:
        wiretag.evaluate(multi_model, tmp_path / "missing.jsonl")
    assert "missing.jsonl" in str(e.value)


@pytest.mark.parametrize("how", ["spec", "data"])
def test_train_equals_cli_byte_for_byte(tmp_path, cli, fixtures, monkeypatch, how):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    py_out, cli_out = tmp_path / "py.wtm", tmp_path / "cli.wtm"
    if how == "spec":
        m = wiretag.train(spec=fixtures / "partial" / "spec.json", out=py_out)
        run_cli(cli, "train", "-q", "--spec", fixtures / "partial" / "spec.json",
                "--out", cli_out)
        assert m.name == "partial-test"
    else:
        m = wiretag.train(data=[fixtures / "single3.jsonl"], out=py_out,
                          name="s3", fields=["title", "text"], ngrams=2,
                          bits=16, min_df=1, solver="svm", C_grid=[0.5, 2],
                          cv=3, seed=7, threads=2, fold_digits=True,
                          signed=True, multilabel=False)
        run_cli(cli, "train", "-q", "--data", fixtures / "single3.jsonl",
                "--out", cli_out, "--name", "s3", "--fields", "title,text",
                "--ngrams", 2, "--bits", 16, "--min-df", 1, "--solver", "svm",
                "--C-grid", "0.5,2", "--cv", 3, "--seed", 7, "--threads", 2,
                "--fold-digits", "--signed", "--single-label")
        assert m.name == "s3" and not m.multilabel
    assert py_out.read_bytes() == cli_out.read_bytes()
    assert isinstance(m, wiretag.Model)


def test_train_errors(tmp_path, fixtures):
    with pytest.raises(wiretag.InputError) as e:
        wiretag.train(data=fixtures / "multi.jsonl", out=tmp_path / "x.wtm", ngram=2)
    assert '"ngram"' in str(e.value) and "unknown option" in str(e.value)
    with pytest.raises(wiretag.InputError) as e:
        wiretag.train(data=fixtures / "multi.jsonl", out=tmp_path / "x.wtm", bits=40)
    assert '"bits"' in str(e.value)
    # Two bad options: the first one written is reported, as on the
    # command line (not the first in wiretag's option table).
    with pytest.raises(wiretag.InputError) as e:
        wiretag.train(data=fixtures / "multi.jsonl", out=tmp_path / "x.wtm",
                      cv=1000, bits=40)
    assert '"cv"' in str(e.value) and '"bits"' not in str(e.value)
    with pytest.raises(wiretag.Error) as e:
        wiretag.train(data=tmp_path / "none.jsonl", out=tmp_path / "x.wtm")
    assert "none.jsonl" in str(e.value)
    with pytest.raises(wiretag.Error) as e:
        wiretag.train(spec=tmp_path / "nospec.json", out=tmp_path / "x.wtm")
    assert "nospec.json" in str(e.value)
    assert not (tmp_path / "x.wtm").exists()
