"""The UI (`audit-assistant ui`): display only, in two tabs, Chat and Compare. The Assistant is built once
per process and shared; each browser session keeps its own history and comparisons. Document text is never
given to Markdown: see ui/render.py and ui/compare_view.py."""

from __future__ import annotations

import logging
import time
import uuid

import streamlit as st

from assistant.compare import table as comparing
from assistant.config import Settings
from assistant.errors import AssistantError
from ui import compare_view as view
from ui import render
from ui.render import md_escape

MODES = {"grounded": "Grounded: quotes from the sources only", "llm": "LLM: written by a model, checked against "
         "the sources"}
GROUNDED_ONLY = "Answers quote the reports word for word; no language model writes them."  # LLM mode off
# Streamlit's default avatars are red and orange squares, which read as warnings: plain icons instead.
AVATARS = {"user": ":material/person:", "assistant": ":material/menu_book:"}
ALL = "All"
FILTER_NAMES = {"doc_ids": "documents chosen", "publisher": "publisher", "year_from": "published from",
                "year_to": "published to", "strategy": "strategy"}
NOTHING = "\0no-document"  # a doc_id no document has: an empty list of doc_ids would mean "every document"

log = logging.getLogger("audit_assistant.ui")


@st.cache_resource(show_spinner=False)
def load_assistant(_settings: Settings, key: str):
    """One grounded Assistant per process and store (`key` names them; settings are not hashed). LLM mode
    is a second Assistant sharing its parts, so the selector can switch between them per question."""
    from assistant.answer.pipeline import Assistant

    return Assistant(_settings.with_(answer_mode="grounded"))


@st.cache_resource(show_spinner=False)
def load_llm_assistant(_base, key: str):
    """An LLM-mode Assistant that shares the grounded one's model, store and catalog."""
    return _base.with_answer_mode("llm")


@st.cache_resource(show_spinner=False)
def load_ingestor(_base, key: str):
    """The ingester for uploads, sharing the Assistant's model, store and catalog."""
    from ingest.pipeline import Ingestor

    return Ingestor(_base.settings, embedder=_base.embedder, store=_base.store, catalog=_base.catalog)


@st.cache_resource(show_spinner=False)
def warm(_assistant, key: str) -> bool:
    """Load the embedding model once per process, after the page has been drawn."""
    _assistant.warm_up()
    return True


def cache_key(settings: Settings) -> str:
    """What makes one process-wide Assistant differ from another (never the API key)."""
    return "|".join(str(v) for v in (settings.store_dir.resolve(), settings.chroma_url, settings.collection,
                                     settings.embedding_model, settings.llm_provider, settings.llm_model,
                                     settings.llm_base_url))


def llm_configured(settings: Settings) -> bool:
    return settings.answer_mode == "llm" or bool(settings.llm_base_url or settings.llm_api_key) \
        or settings.llm_provider == "ollama"


# -- sidebar ---------------------------------------------------------------------------------------
def session_token() -> str:
    """This browser session's id, recorded on its uploads (a reload starts a new session)."""
    return st.session_state.setdefault("session_token", uuid.uuid4().hex)


def visible_documents(assistant, settings: Settings) -> tuple[list[dict], list[str] | None]:
    """The documents this session may see and cite (the library and its own uploads, or every upload when
    uploads are shared), and their ids when that is not every document (None: no filter needed)."""
    from ingest.uploads import visible_doc_ids

    docs = assistant.documents()
    ids = visible_doc_ids(docs, session_token(), settings.shared_uploads)
    return (docs if ids is None else [d for d in docs if d["doc_id"] in set(ids)]), ids


def scoped(filters: dict, visible: list[str] | None) -> dict:
    """The filters `ask` is given: the user's, narrowed to the documents this session may cite."""
    if visible is None:
        return filters
    allowed = set(visible)
    chosen = [d for d in filters["doc_ids"] or visible if d in allowed]
    return {**filters, "doc_ids": chosen or [NOTHING]}


def sidebar(assistant, settings: Settings, key: str) -> tuple[dict, str]:
    """The corpus, filters, answer mode, uploads and export; returns (filters, mode)."""
    sb = st.sidebar
    sb.header("Corpus")
    corpus_box = sb.container()  # filled last, so it lists what an upload just added

    sb.header("Filters")
    docs, _ = visible_documents(assistant, settings)
    publishers = sorted({d["publisher"] for d in docs if d.get("publisher")})
    publisher = sb.selectbox("Publisher", [ALL] + publishers, key="f_publisher")
    years = sorted({d["year"] for d in docs if d.get("year")})
    year_from = year_to = None
    if len(years) >= 2:
        lo, hi = sb.slider("Published between", years[0], years[-1], (years[0], years[-1]), key="f_years")
        if (lo, hi) != (years[0], years[-1]):
            year_from, year_to = lo, hi
        undated = sum(1 for d in docs if not d.get("year"))
        if undated:
            sb.caption(f"Undated documents ({undated}) are always included.")
    strategies = sorted({s for d in docs for s in d.get("strategy") or []})
    strategy = sb.selectbox("Strategy", [ALL] + strategies, key="f_strategy")
    titles = {d["doc_id"]: " ".join(str(d.get("title") or d["doc_id"]).split()) for d in docs}
    doc_ids = sb.multiselect("Documents", list(titles), format_func=lambda i: titles.get(i, i), key="f_docs",
                             placeholder="All documents")
    filters = {"doc_ids": [d for d in doc_ids if d in titles], "publisher": None if publisher == ALL else publisher,
               "year_from": year_from, "year_to": year_to, "strategy": None if strategy == ALL else strategy}

    sb.header("Answer mode")
    if llm_configured(settings):
        mode = sb.radio("How answers are written", list(MODES), format_func=MODES.get, key="mode",
                        index=1 if settings.answer_mode == "llm" else 0)
    else:
        # A disabled radio fails colour contrast in Streamlit's theme; say it in words instead. Officials read
        # this: one plain sentence, no settings (how to switch LLM mode on is the README's business).
        mode = "grounded"
        sb.html(render.note_html(GROUNDED_ONLY))

    sb.header("Add documents")
    uploads(assistant, settings, key)

    with corpus_box:
        docs, _ = visible_documents(assistant, settings)
        chunks = sum(d.get("chunks") or 0 for d in docs)
        st.html(render.note_html(f"{len(docs)} document{'s' * (len(docs) != 1)}, {chunks} chunks"))
        if docs:
            st.html(render.corpus_html(docs))
    return filters, mode


def uploads(assistant, settings: Settings, key: str) -> None:
    """Upload PDF, HTML or text files; each is ingested with a progress bar and reported in one line.

    Each round of files is released as soon as it is processed: its buffers are dropped from Streamlit's
    upload store, and the widget is replaced by a fresh one (a new key), so no file, added or refused, stays
    referenced by the session. A round past `max_upload_total_mb` has its later files refused unread."""
    whose = ("Files you add are shared: everyone using this assistant can see them and be answered from them."
             if settings.shared_uploads else "Files you add are yours alone: only this browser session sees "
             "them or is answered from them, and they are marked as uploads wherever they are cited.")
    st.sidebar.html(render.note_html(whose))
    round_ = st.session_state.setdefault("uploader_round", 0)
    files = st.sidebar.file_uploader(
        "PDF, HTML or text files", type=["pdf", "html", "htm", "txt", "md"], accept_multiple_files=True,
        key="uploader" if not round_ else f"uploader-{round_}",
        help=f"Up to {settings.max_file_mb:g} MB each and {settings.max_upload_total_mb:g} MB at once. Files "
        "are checked by their content, not only their name.")
    if files:
        st.session_state.upload_outcomes = add_files(assistant, settings, key, files)
        st.session_state.uploader_round = round_ + 1
        st.rerun()  # draws the fresh, empty uploader; the outcomes are kept in the session
    for o in st.session_state.get("upload_outcomes", []):
        if o.ok and o.title_taken:
            st.sidebar.warning(md_escape(o.message))
        elif o.ok:
            st.sidebar.success(md_escape(o.message))
        else:
            st.sidebar.error("Not added: " + md_escape(o.message))


def add_files(assistant, settings: Settings, key: str, files: list) -> list:
    """Ingest one round of uploaded files, releasing each file's memory once it is done with."""
    from ingest.uploads import UploadOutcome, add_upload

    ingestor = load_ingestor(assistant, key)
    bar = st.sidebar.progress(0.0, text="Adding documents")
    limit, held, outcomes = settings.max_upload_total_mb * 1e6, 0, []
    for i, f in enumerate(files):
        bar.progress(i / len(files), text=f"Adding {md_escape(f.name)} ({i + 1} of {len(files)})")
        if held + f.size > limit:
            outcomes.append(UploadOutcome(f.name, False, f"{f.name}: the files added together pass the "
                                                         f"{settings.max_upload_total_mb:g} MB limit; add it on "
                                                         "its own"))
        else:
            held += f.size
            outcomes.append(add_upload(ingestor, settings, f.name, f.getvalue(), session_token()))
        release(f)
    bar.progress(1.0, text=f"Finished: {sum(o.ok for o in outcomes)} of {len(files)} added")
    return outcomes


def release(f) -> None:
    """Drop an uploaded file's bytes: Streamlit keeps them until the session ends or the file is removed."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    remove = getattr(getattr(ctx, "uploaded_file_mgr", None), "remove_file", None)
    if remove is not None:
        remove(session_id=ctx.session_id, file_id=f.file_id)
    f.close()


# -- messages --------------------------------------------------------------------------------------
def show_sources(citations, prefix: str = "Source") -> None:
    for c in citations:
        with st.expander(md_escape(render.card_label(c, prefix))):
            st.html(render.source_card_html(c))


def show_answer(answer, stream: bool = False) -> None:
    """An answer with its calculations and source cards, or a decline with the nearest passages."""
    if answer.declined:
        st.html(render.declined_html(answer))
        show_sources(answer.nearest, "Nearest passage")
        return
    if stream:
        box = st.empty()
        for partial in render.stream_prefixes(answer.text):
            box.html(render.answer_html(partial))
            time.sleep(0.02)
        box.html(render.answer_html(answer.text, answer.citations))
    else:
        st.html(render.answer_html(answer.text, answer.citations))
    for calc in answer.calculations:
        st.html(render.calculation_html(calc, answer.citations))
    if answer.fallback:
        st.html(render.note_html(f"The language model's answer was not used ({answer.fallback}); this is the "
                                 "grounded answer, quoted from the sources."))
    show_sources(answer.citations)


def export() -> None:
    """Drawn after the chat, so the download includes the answer just given."""
    st.sidebar.header("Export")
    st.sidebar.download_button("Download the conversation (Markdown)",
                               render.conversation_markdown(st.session_state.messages),
                               file_name="audit-assistant-conversation.md", mime="text/markdown",
                               disabled=not st.session_state.messages, key="export")


def history() -> list[dict]:
    """The conversation so far in the shape `Assistant.ask` takes."""
    out = []
    for m in st.session_state.messages:
        out.append({"role": "user", "content": m["content"]} if m["role"] == "user"
                   else {"role": "assistant", "content": m["answer"].text})
    return out


def chat(assistant, key: str, filters: dict, mode: str, visible: list[str] | None = None) -> None:
    """The Chat tab: the conversation so far, then the question box under it (inline, inside the tab).
    `visible`: the documents this session may cite (None: all)."""
    active = [FILTER_NAMES[k] for k, v in filters.items() if v]
    if active:
        st.html(render.note_html("Answers use only the filtered documents: " + ", ".join(active) + "."))
    messages = st.container()  # drawn above the question box, including the answer to a new question
    question = st.chat_input("Ask about the reports", key="question")
    with messages:
        for m in st.session_state.messages:
            with st.chat_message(m["role"], avatar=AVATARS[m["role"]]):
                if m["role"] == "user":
                    st.markdown(md_escape(m["content"]))
                else:
                    show_answer(m["answer"])
        if question:
            ask_question(assistant, key, question, scoped(filters, visible), mode)


def ask_question(assistant, key: str, question: str, filters: dict, mode: str) -> None:
    """Ask a new question with the conversation so far; show the answer as it streams, or the error."""
    past = history()
    st.session_state.messages.append({"role": "user", "content": question})
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(md_escape(question))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        try:
            who = load_llm_assistant(assistant, key) if mode == "llm" else assistant
            with st.spinner("Searching the reports"):
                answer = who.ask(question, history=past, filters=filters)
        except Exception as exc:  # the assistant's own error, or a store or server gone: one line, no traceback
            st.session_state.messages.pop()
            show_error(exc, assistant.settings)
        else:
            st.session_state.messages.append({"role": "assistant", "answer": answer})
            show_answer(answer, stream=True)


# -- compare ---------------------------------------------------------------------------------------
def compare(assistant, docs: list[dict]) -> None:
    """The Compare tab: strategies side by side, then the timeline. Each table is kept per selection in
    the session, so switching back to an earlier selection (or rerunning the page) costs nothing."""
    st.html(view.CSS)
    st.html(render.note_html("Compare strategies or documents aspect by aspect: every cell quotes the reports, "
                             "or says that the corpus does not state it."))
    options, labels, default = view.column_choices(docs)
    if len(options) < 2:
        st.info("Comparing needs two or more strategies or documents in the corpus.")
        return
    columns = st.multiselect("Strategies or documents to compare (two or more)", options, default=default,
                             format_func=lambda o: labels.get(o, o), key="cmp_columns")
    keys, aspect_labels = view.aspect_choices()
    aspects = st.multiselect("Aspects", keys, default=keys, format_func=aspect_labels.get, key="cmp_aspects",
                             placeholder="All aspects") or keys  # none chosen: all of them
    wanted = view.selection_key(columns, aspects, docs)
    tables: dict = st.session_state.setdefault("comparisons", {})
    if st.button("Compare", key="cmp_run"):
        if wanted not in tables:
            try:
                with st.spinner("Comparing: reading the reports aspect by aspect"):
                    tables[wanted] = comparing.compare_strategies(assistant, columns, aspects)
            except Exception as exc:
                show_error(exc, assistant.settings)
        if wanted in tables:
            st.session_state.cmp_shown = wanted
    shown = st.session_state.get("cmp_shown")
    if shown not in tables:
        st.html(render.note_html("Choose two or more strategies or documents and the aspects, then press "
                                 "Compare."))
        return
    if shown != wanted:
        changed = "documents in the corpus" if shown[:2] == wanted[:2] else "choices above"
        st.html(render.note_html(f"The {changed} have changed: press Compare to update the table below."))
    table = tables[shown]
    st.html(view.comparison_html(table))
    st.download_button("Download the table (Markdown)", table.to_markdown(), file_name="comparison.md",
                       mime="text/markdown", key="cmp_md", on_click="ignore")
    st.download_button("Download the table (CSV)", table.to_csv(), file_name="comparison.csv", mime="text/csv",
                       key="cmp_csv", on_click="ignore")
    show_timeline(assistant, docs)


def show_timeline(assistant, docs: list[dict]) -> None:
    """Every dated event and deadline of the corpus, or of one strategy, each cited; kept per corpus."""
    everything = "All strategies"
    strategy = st.selectbox("Timeline: events of", [everything] + view.strategies_by_date(docs), key="cmp_timeline")
    which = None if strategy == everything else strategy
    events_by: dict = st.session_state.setdefault("timelines", {})
    wanted = (which, view.corpus_key(docs))
    if wanted not in events_by:
        try:
            # The timeline reads the whole catalog: another session's private uploads are left out here.
            seen = {d["doc_id"] for d in docs}
            events_by[wanted] = [e for e in comparing.timeline(assistant, strategy=which)
                                 if e.citation.doc_id in seen]
        except Exception as exc:
            show_error(exc, assistant.settings)
            return
    st.html(view.timeline_html(events_by[wanted], scope="the corpus" if which is None else which))


# -- errors ----------------------------------------------------------------------------------------
def error_line(exc: Exception, settings: Settings | None) -> str:
    """One line for the user about an error: the assistant's own message (written for users), or for any
    other (a Chroma server gone, a disk) what failed and its kind, with the traceback in the server's log."""
    if isinstance(exc, AssistantError):
        return " ".join(str(exc).split())
    log.error("the page failed: %s", type(exc).__name__, exc_info=exc)
    package = type(exc).__module__.split(".")[0]
    if settings is not None and settings.chroma_url and package in {"chromadb", "httpx", "httpcore"}:
        return (f"The Chroma server at {settings.chroma_url} did not answer ({type(exc).__name__}): check that it "
                "is running. The details are in the server's log.")
    return f"Something went wrong ({type(exc).__name__}); the details are in the server's log."


def show_error(exc: Exception, settings: Settings | None) -> None:
    st.error(md_escape(error_line(exc, settings)))


def main() -> None:
    st.set_page_config(page_title="Audit Assistant", layout="centered")
    st.html(render.CSS)
    settings = None
    try:
        settings = Settings.from_env()
        page(settings)
    except Exception as exc:  # never a traceback in the browser (client.showErrorDetails hides any that escape)
        show_error(exc, settings)


def page(settings: Settings) -> None:
    """The page: title, sidebar, the Chat and Compare tabs, export; the model is loaded last."""
    key = cache_key(settings)
    assistant = load_assistant(settings, key)
    st.session_state.setdefault("messages", [])

    st.title("Audit Assistant")
    st.html(render.note_html("Answers from UK National Audit Office reports. Every sentence cites its source; "
                             "open a source card to read the quoted words in their passage."))

    filters, mode = sidebar(assistant, settings, key)
    docs, visible = visible_documents(assistant, settings)
    if not docs:
        st.info("The corpus is empty. Run `audit-assistant ingest corpus/`, or add files in the sidebar.")

    chat_tab, compare_tab = st.tabs(["Chat", "Compare"])
    with chat_tab:
        chat(assistant, key, filters, mode, visible)
    with compare_tab:
        compare(assistant, docs)
    export()
    warm(assistant, key)


main()
