"""The CLI through its real entry point, and as a subprocess where start-up matters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.config import Settings

NAO22 = "nao-2022-government-shared-services"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_is_instant_and_lists_commands():
    code = "import sys, assistant.cli.main as c; c.build_parser(); print('torch' in sys.modules, " \
           "'sentence_transformers' in sys.modules, 'chromadb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]
    help_text = subprocess.run([sys.executable, "-m", "assistant.cli.main", "--help"], capture_output=True, text=True,
                               check=True).stdout
    for command in ("ingest", "docs", "search", "ask", "ui"):
        assert command in help_text


def test_ask_json(capsys, corpus_settings):
    code, out, _ = run(capsys, "ask", "How much funding did HM Treasury approve for the clusters?", "--json",
                       "--store", str(corpus_settings.store_dir))
    d = json.loads(out)
    assert code == 0 and d["declined"] is False
    assert any("£300 million" in c["quote"] and c["doc_id"] == NAO22 for c in d["citations"])


def test_ask_text_and_search(capsys, corpus_settings):
    code, out, _ = run(capsys, "ask", "How many customers do the shared service centres serve?",
                       "--store", str(corpus_settings.store_dir))
    assert code == 0 and "140,000" in out and "[1]" in out and "page 1" in out
    code, out, _ = run(capsys, "search", "£300 million", "-k", "2", "--json", "--store", str(corpus_settings.store_dir))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 2 and "£300 million" in rows[0]["text"]


def test_batch_mode(capsys, corpus_settings, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('How much did the clusters forecast they needed?\n'
                     '{"question": ""}\n'
                     '{"question": "And how much did the Treasury approve?", "history": '
                     '[{"role": "user", "content": "How much did the clusters forecast they needed?"}]}\n'
                     '{"question": "What is the capital of France?"}\n')
    code, out, _ = run(capsys, "ask", "--json", "--batch", str(batch), "--store", str(corpus_settings.store_dir))
    lines = [json.loads(l) for l in out.splitlines()]
    assert code == 0 and len(lines) == 4
    assert "£382 million to £403 million" in lines[0]["answer"]
    assert "empty" in lines[1]["error"]
    assert any("£300 million" in c["quote"] for c in lines[2]["citations"])
    assert lines[3]["declined"] is True


@pytest.mark.parametrize("argv,needle", [
    (["ask", ""], "error: the question is empty"),
    (["ask", "x" * 5000], "limit is 4000"),
])
def test_bad_questions_exit_non_zero_with_one_line(capsys, corpus_settings, argv, needle):
    code, _, err = run(capsys, *argv, "--store", str(corpus_settings.store_dir))
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_ingest_and_docs(capsys, tmp_path, corpus_copy):
    store = str(tmp_path / "s")
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    code, out, err = run(capsys, "ingest", str(corpus_copy), str(bad), "--store", store, "--no-progress")
    assert code == 1 and "failed: " in err and "broken.pdf" in err
    assert "2 documents (2 added, 1 failed)" in out and "chunks/s" in out
    code, out, _ = run(capsys, "docs", "--json", "--store", store)
    assert code == 0 and {d["doc_id"] for d in json.loads(out)} == {NAO22, "nao-2014-next-generation-shared-services"}


def test_an_unknown_filter_value_is_an_error_naming_the_known_ones(capsys, corpus_settings):
    code, out, err = run(capsys, "ask", "How much funding did HM Treasury approve?", "--doc", "nope",
                         "--store", str(corpus_settings.store_dir))
    assert code == 2 and out == ""
    assert "unknown --doc 'nope'" in err and NAO22 in err
    code, _, err = run(capsys, "search", "funding", "--publisher", "Nobody", "--store", str(corpus_settings.store_dir))
    assert code == 2 and "unknown --publisher 'Nobody'; the store knows: National Audit Office" in err


def test_under_json_an_error_is_one_json_object(capsys, corpus_settings):
    code, out, err = run(capsys, "ask", "How much?", "--doc", "nope", "--json", "--store", str(corpus_settings.store_dir))
    assert code == 2 and err == ""
    assert "unknown --doc" in json.loads(out)["error"]


def test_a_closed_pipe_ends_quietly(corpus_settings, tmp_path):
    """`search ... | head -1`: the reader is gone before the output is written. Closing our end of the pipe
    first makes that certain rather than a race."""
    err = tmp_path / "err.txt"
    with open(err, "w") as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli.main", "search", "funding", "-k", "20",
                                 "--store", str(corpus_settings.store_dir)], stdout=subprocess.PIPE, stderr=err_file)
        proc.stdout.close()
        code = proc.wait(timeout=300)
    assert code == 0
    assert "Traceback" not in err.read_text() and "BrokenPipeError" not in err.read_text()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_ui_command_gives_streamlit_the_upload_cap_from_max_file_mb(tmp_path):
    """Streamlit refuses a file over `server.maxUploadSize` before buffering it; `ui` sets it from max_file_mb,
    rounded up to Streamlit's whole megabytes. Streamlit's own `config show` reads the options `ui` passes.
    (tests/test_ui_browser.py uploads a file over the cap to a running `ui`.)"""
    from assistant.cli.main import ui_command

    settings = Settings.from_env({"AUDIT_ASSISTANT_MAX_FILE_MB": "2.5"})
    cmd = ui_command(Path("ui/app.py"), 8501, "localhost", settings)
    assert cmd[1:5] == ["-m", "streamlit", "run", "ui/app.py"]
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show", *cmd[5:]], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "\nmaxUploadSize = 3\n" in shown and "\nport = 8501\n" in shown


def test_the_ui_hides_error_details_from_the_browser():
    """An error the app does not catch shows no traceback in the browser: `ui` passes showErrorDetails "none"
    (Streamlit's strictest value) and the app's own config.toml says the same for `streamlit run ui/app.py`.
    (tests/test_ui_errors.py checks what the browser shows for the errors the app catches.)"""
    import tomllib

    from assistant.cli.main import ui_command

    cmd = ui_command(Path("ui/app.py"), 8501, "localhost", Settings())
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show", *cmd[5:]], capture_output=True,
                           text=True, check=True).stdout
    assert '\nshowErrorDetails = "none"\n' in shown
    config = tomllib.loads((Path(__file__).resolve().parent.parent / "ui" / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.slow
def test_the_ui_command_serves_the_app_and_sigterm_stops_the_server(corpus_settings):
    import signal
    import time
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli.main", "ui", "--port", str(port), "--host",
                             "127.0.0.1", "--store", str(corpus_settings.store_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, "the ui command exited before serving"
                assert time.monotonic() < deadline, "the UI never answered"
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) is not None
        with pytest.raises(OSError):  # nothing is left serving on the port
            urllib.request.urlopen(url, timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_an_empty_store_is_an_error_naming_the_path_it_looked_at(capsys, tmp_path):
    store = tmp_path / "no-store-here"
    code, out, err = run(capsys, "ask", "How much funding did HM Treasury approve?", "--store", str(store))
    assert code == 2 and out == ""
    assert f"no documents are stored in {store.resolve()}" in err and "--store DIR" in err


def test_eval_report_md_shows_a_question_s_apostrophes_as_written(capsys, corpus_settings, tmp_path):
    """report.md is Markdown, not HTML: "the NAO's verdict" must not come out as "the NAO&#x27;s verdict"."""
    question = "What was the NAO's verdict on the clusters' funding?"
    cases = tmp_path / "apostrophes.jsonl"
    cases.write_text(json.dumps({"id": "ap-1", "question": question, "sources": [NAO22],
                                 "facts": [{"term": "a phrase no report uses"}]}) + "\n", encoding="utf-8")
    code = main(["eval", str(cases), "--store", str(corpus_settings.store_dir), "--out", str(tmp_path / "run"),
                 "--quiet"])
    capsys.readouterr()
    report = (tmp_path / "run" / "ours" / "report.md").read_text(encoding="utf-8")
    assert code == 0 and "## Failing cases (1 of 1)" in report
    assert f"| ap-1 | {question} |" in report and "&#x27;" not in report and "&#39;" not in report
