"""`audit-assistant`: one command, many subcommands. Heavy imports wait until a subcommand runs,
so `--help` and argument errors are instant."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.cli.output import printable  # noqa: F401 (used here and re-exported)
from assistant.errors import AssistantError

def _more_commands():
    """The subcommands defined beside this module, as a static table: each `add_parser(subparsers, parent)`."""
    from assistant.cli import compare, figures
    from evals import cli as evals_cli  # the command line is the top edge: it alone knows the evals

    return (figures.add_parser, evals_cli.add_parser, compare.add_parser)

EPILOG = """examples:
  audit-assistant ingest corpus/
  audit-assistant ask "How much funding did HM Treasury approve for the clusters?"
  audit-assistant search "£300 million" -k 3
  audit-assistant ui
settings can also come from AUDIT_ASSISTANT_* environment variables (see README)."""


def common(store: bool = True) -> argparse.ArgumentParser:
    """Options every subcommand that reads the store shares."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("store")
    g.add_argument("--store", metavar="DIR", help="store directory (default .audit-assistant/store)")
    g.add_argument("--chroma-url", metavar="URL", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    g.add_argument("--model", metavar="DIR", help="local sentence-transformers model directory "
                                                  "(default: the packaged all-MiniLM-L6-v2)")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags given."""
    return Settings.from_env(
        store_dir=getattr(args, "store", None), chroma_url=getattr(args, "chroma_url", None),
        embedding_model=getattr(args, "model", None), answer_mode=getattr(args, "mode", None),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit-assistant", description="Cited answers from public audit reports (NAO, Cabinet Office), "
        "offline by default.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = common()

    p = sub.add_parser("ingest", parents=[parent], help="ingest PDF, HTML and text files into the store",
                       description="Load, clean, chunk and embed files (default: corpus/). Re-ingesting unchanged "
                       "files does nothing; a changed file replaces its old chunks.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: corpus/)")
    p.add_argument("--prune", action="store_true", help="remove stored documents whose files are gone")
    p.add_argument("--ocr", action="store_true", help="run OCR on scanned PDFs (needs Debian's ocrmypdf and "
                   "tesseract-ocr: apt-get install ocrmypdf tesseract-ocr tesseract-ocr-eng)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", parents=[parent], help="list the stored documents")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_docs)

    filt = argparse.ArgumentParser(add_help=False)
    g = filt.add_argument_group("filters")
    g.add_argument("--doc", action="append", metavar="DOC_ID", help="only this document (repeatable)")
    g.add_argument("--publisher", help="only documents from this publisher")
    g.add_argument("--year-from", type=int, metavar="YEAR")
    g.add_argument("--year-to", type=int, metavar="YEAR")
    g.add_argument("--strategy", help="only documents about this strategy (substring)")

    p = sub.add_parser("search", parents=[parent, filt], help="show the passages retrieved for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=6, help="how many passages (default 6)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[parent, filt], help="answer a question with citations",
                       description="Answer from the corpus; every sentence carries a citation [n]. With --batch, "
                       "read one question a line (or JSONL with a 'question' field) and print one JSON object "
                       "a line.")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    p.add_argument("--json", action="store_true", help="print the JSON contract")
    p.add_argument("--batch", metavar="FILE", help="questions file ('-' for standard input)")
    p.add_argument("--mode", choices=["grounded", "llm"], help="answerer (default grounded)")
    p.add_argument("-k", type=int, help="passages to retrieve")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("check", parents=[parent], help="verify every stored chunk has a readable vector",
                       description="Check that every chunk in the catalog has a readable vector in Chroma and that "
                       "no vector is orphaned; one line per finding, then a summary. Exit code 0 when healthy, "
                       "1 when problems remain.")
    p.add_argument("--repair", action="store_true", help="re-embed missing or unreadable vectors, delete orphans")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("ui", parents=[parent], help="start the chat UI (Streamlit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="localhost")
    p.set_defaults(func=cmd_ui)

    for add_parser in _more_commands():
        add_parser(sub, parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args, settings_from(args)) or 0)
    except AssistantError as exc:
        if getattr(args, "json", False):  # under --json, even an error is one JSON object
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        elif getattr(exc, "lines_are_problems", False):  # one line per problem, by design (an evaluation set's)
            print("error: " + "\n".join(printable(line) for line in str(exc).split("\n")), file=sys.stderr)
        else:
            print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head -1`): stop quietly, as Unix tools do. Point stdout at devnull so
        # the interpreter's final flush does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # not ours (a disk, the Chroma server, a library): one line, never a traceback
        message = unexpected(exc)
        if getattr(args, "json", False):
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"error: {printable(message)}", file=sys.stderr)
        return 1


def unexpected(exc: Exception) -> str:
    """One line for an error that is not the assistant's own: its first 300 characters and its kind."""
    message = f"{' '.join(str(exc).split())[:300]} ({type(exc).__name__})"
    if "Error finding id" in message:  # Chroma lists a vector it cannot read: two writers at once did that
        message += "; the store has unreadable vectors: run `audit-assistant check --repair`"
    return message


def _checked_filters(args, assistant, question: str) -> dict:
    """The filters, checked against the store, after what is wrong first is reported first: the question
    (too long, empty), then the store (an unreachable server), then an empty store or an unknown filter."""
    from assistant.answer.pipeline import validate_question

    validate_question(question, assistant.settings.max_question_chars)
    _ = assistant.store  # connects: an unreachable Chroma server is the error to report
    return _filters(args, assistant.catalog)


def _filters(args, catalog=None) -> dict:
    """The filters the flags give; with the catalog, an unknown --doc, --publisher or --strategy is an error
    naming the values the store knows (a filter nothing matches would silently answer "does not say")."""
    if catalog is not None:
        docs = catalog.documents()
        if not docs:
            raise AssistantError(f"no documents are stored in {Path(catalog.path).parent.resolve()}; run "
                                 "`audit-assistant ingest corpus/` there, or point at your store with --store DIR "
                                 "or AUDIT_ASSISTANT_STORE")
        known = {"--doc": sorted(d["doc_id"] for d in docs),
                 "--publisher": sorted({d["publisher"] for d in docs if d.get("publisher")}),
                 "--strategy": sorted({s for d in docs for s in d.get("strategy") or []})}
        given = {"--doc": args.doc or [], "--publisher": [args.publisher] if args.publisher else [],
                 "--strategy": [args.strategy] if args.strategy else []}
        for flag, values in given.items():
            for v in values:
                ok = v in known[flag] if flag == "--doc" else any(v.lower() in k.lower() for k in known[flag])
                if not ok:
                    raise AssistantError(f"unknown {flag} {v!r}; the store knows: {', '.join(known[flag]) or 'none'}")
    return {"doc_ids": args.doc, "publisher": args.publisher, "year_from": args.year_from,
            "year_to": args.year_to, "strategy": args.strategy}


def cmd_ingest(args, settings: Settings) -> int:
    from assistant.store.vectors import write_lock
    from ingest.pipeline import Ingestor

    paths = args.paths or [settings.corpus_dir]

    def report(r):
        if r.status in ("failed", "skipped"):
            print(f"{r.status}: {printable(r.file)}: {printable(r.error)}", file=sys.stderr)
        else:
            note = f"; {r.note}" if r.note else ""
            print(printable(f"{r.status:9} {r.doc_id}  ({r.pages} pages, {r.chunks} chunks{note})"))

    def waiting():
        print(f"waiting for another ingest or upload to finish writing to {printable(settings.store_dir)}",
              file=sys.stderr, flush=True)

    # The lock is taken before the store is opened, and the store closed before the lock is let go: an
    # embedded Chroma opened earlier would hold a view from before the other writer's changes.
    with write_lock(settings, on_wait=waiting):
        ingestor = Ingestor(settings.with_(ocr=True) if args.ocr else settings)
        try:
            rep = ingestor.ingest(paths, prune=args.prune, progress=None if not args.no_progress else False,
                                  on_file=report)
        finally:
            _close(ingestor.store)
    for doc_id in rep.pruned:
        print(f"pruned    {printable(doc_id)}")
    print(rep.summary())
    return 1 if rep.failed else 0


def _close(store) -> None:
    close = getattr(getattr(store, "client", None), "close", None)
    if close:
        close()


def cmd_check(args, settings: Settings) -> int:
    from assistant.store.catalog import Catalog
    from assistant.store.health import check, open_for_check, repair

    catalog = Catalog(settings.sqlite_path)
    if args.repair:
        from assistant.store.embeddings import make_embedder
        from assistant.store.vectors import make_store

        from assistant.store.vectors import write_lock

        embedder = make_embedder(settings)
        with write_lock(settings):  # before the store is opened, as for ingest
            store = make_store(settings, embedder.name, embedder.dimension)
            try:
                health = repair(settings, catalog, store, embedder)
            finally:
                _close(store)
    else:
        store = open_for_check(settings)
        health = check(catalog, store)
    left = {f.chunk_id for f in health.left}
    for f in health.findings:
        state = ("  (not repaired)" if f.chunk_id in left else "  (repaired)") if args.repair else ""
        print(printable(f"{f.kind:10} {f.chunk_id}{state}"))  # a chunk id begins with its doc_id
    print(health.summary())
    return 1 if (health.left if args.repair else health.findings) else 0


def cmd_docs(args, settings: Settings) -> int:
    from assistant.store.catalog import Catalog

    docs = Catalog(settings.sqlite_path).documents()
    if args.json:
        print(json.dumps(docs, indent=2, ensure_ascii=False))
        return 0
    if not docs:
        print("no documents stored; run `audit-assistant ingest` first")
        return 0
    for d in docs:
        print(printable(f"{d['doc_id']}") + "\n  " + printable(
            f"{d['title']} | {d['publisher'] or '-'} | {d['published'] or '-'} | "
            f"{d['pages']} pages, {d['chunks']} chunks | {d['file']}"))
    return 0


def cmd_search(args, settings: Settings) -> int:
    from assistant.answer.pipeline import Assistant

    assistant = Assistant(settings)
    results = assistant.search(args.query, args.k, _checked_filters(args, assistant, args.query))
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
        return 0
    if not results:
        print("no passages found")
    for i, r in enumerate(results, 1):
        c = r.chunk
        print(printable(f"{i}. {c.doc_id}  page {c.page}  score {r.score:.4f}"
                        + (f"  cosine {r.similarity:.3f}" if r.similarity is not None else "")))
        print("   " + printable(" ".join(c.text.split())))
        for note in c.meta.get("notes") or ():
            if isinstance(note, dict):
                print("   " + printable(_note_line(note)))
        print()
    return 0


def _note_line(note: dict) -> str:
    """'see note 3 (page 2): The remaining 8 systems ...', a footnote a passage's marker refers to."""
    where = f" (page {note.get('page')})" if note.get("page") is not None else ""
    text = " ".join(str(note.get("text") or "its text is not on the page").split())
    return f"see note {note.get('n')}{where}: {text}"


def format_answer(answer) -> str:
    """An answer as plain text: the answer, then its sources; control characters escaped (see printable)."""
    lines = [printable(answer.text, keep_newlines=True), ""]
    for c in answer.citations:
        page = (f", page {c.page}" if c.page is not None else "") + (f", {c.section}" if c.section else "")
        lines.append(printable(f"[{c.n}] {c.title}{page} ({c.doc_id})") + "\n    "
                     + printable(f"“{' '.join(c.quote.split())}”"))
        lines += ["    " + printable(_note_line(note)) for note in getattr(c, "notes", ())]
    for calc in answer.calculations:
        lines.append(printable(f"calculation: {calc.expression}"))
    if answer.declined and answer.nearest:
        lines.append("Nearest passages:")
        for c in answer.nearest:
            lines.append(printable(f"  - {c.title}, page {c.page}: “{' '.join(c.quote.split())}”"))
    return "\n".join(lines).rstrip()


def cmd_ask(args, settings: Settings) -> int:
    from assistant.answer.pipeline import Assistant

    assistant = Assistant(settings)
    if args.batch:
        return _batch(assistant, args)
    if args.question is None:
        raise AssistantError("give a question, or --batch FILE")
    answer = assistant.ask(args.question, filters=_checked_filters(args, assistant, args.question), k=args.k)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
    return 0


def _batch(assistant, args) -> int:
    source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
    assistant.warm_up()
    failed = False
    with source:
        for line in source:
            if not line.strip():
                continue
            question, history = line.rstrip("\n"), None
            if line.lstrip().startswith("{"):
                try:
                    obj = json.loads(line)
                    question, history = obj.get("question", ""), obj.get("history")
                except json.JSONDecodeError as exc:
                    print(json.dumps({"question": line.strip(), "error": f"invalid JSON: {exc}"}), flush=True)
                    continue
            try:
                out = assistant.ask(question, history=history, filters=_filters(args), k=args.k).to_dict()
            except AssistantError as exc:
                out = {"question": question, "error": str(exc)}
            except Exception as exc:  # a server gone, a disk error: this question fails, the batch goes on
                out, failed = {"question": question, "error": unexpected(exc)}, True
            print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def ui_command(app: Path, port: int, host: str, settings: Settings) -> list[str]:
    """The `streamlit run` command line that `audit-assistant ui` replaces itself with."""
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", host, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--theme.base", "light",  # the theme the accessibility tests check
            # An error the app does not catch shows a generic line in the browser, never its traceback (server
            # paths and code); the details go to the server's log. The app itself shows its errors in one line.
            "--client.showErrorDetails", "none",
            "--server.maxUploadSize", str(upload_cap_mb(settings))]


def upload_cap_mb(settings: Settings) -> int:
    """Streamlit's own cap on one uploaded file (`server.maxUploadSize`), from `max_file_mb`.

    Streamlit receives a whole upload into server memory before the app can look at it; with this cap it
    refuses a larger file itself (the browser checks first; the server answers 413 to a client that does not).
    Its megabytes are MiB and whole numbers, so the cap is `max_file_mb` rounded up, a little looser (5%) than
    the app's own check in bytes, which still refuses what falls between, naming the limit."""
    return max(1, math.ceil(settings.max_file_mb))


def cmd_ui(args, settings: Settings) -> int:
    import os

    # ui/ sits beside assistant/ (a checkout, or site-packages for an installed wheel)
    app = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    if not app.is_file():
        raise AssistantError(f"the UI is not installed here (no {app})")
    env = dict(os.environ)
    if args.store:
        env["AUDIT_ASSISTANT_STORE_DIR"] = str(Path(args.store).resolve())
    if args.chroma_url:
        env["AUDIT_ASSISTANT_CHROMA_URL"] = args.chroma_url
    cmd = ui_command(app, args.port, args.host, settings)
    print(f"Audit Assistant UI at http://{args.host}:{args.port}", flush=True)
    # Streamlit replaces this process, so a signal to it (Ctrl-C, SIGTERM from a service manager) reaches
    # the server itself and stopping the command stops the server: no orphan left on the port.
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
