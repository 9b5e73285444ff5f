"""The one `Settings` object. Only `Settings.from_env()` reads the environment; everything else is passed it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from assistant.errors import ConfigError

ENV_PREFIX = "AUDIT_ASSISTANT_"
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
ALIASES = {"store_dir": "STORE", "embedding_model": "MODEL", "answer_mode": "MODE"}  # shorter names


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every knob of the assistant, with defaults that work offline out of the box."""

    store_dir: Path = Path(".audit-assistant/store")
    # What is made once per machine and shared by every store (the word vectors distilled from the embedding
    # model): $XDG_CACHE_HOME/audit-assistant, else ~/.cache/audit-assistant.
    cache_dir: Path = Path("~/.cache/audit-assistant")
    corpus_dir: Path = Path("corpus")
    collection: str = "audit_assistant"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 : use a Chroma server instead of the embedded store
    embedding_model: str = DEFAULT_MODEL  # or the path of any local sentence-transformers model directory
    device: str = "auto"  # auto | cpu | cuda
    embed_batch_size: int = 64
    chunk_size: int = 700  # characters, soft target
    chunk_overlap_sentences: int = 1
    top_k: int = 6
    # The operand settings below were set by hand, then checked on the tuning set's 50 calculation questions by
    # `python -m evals.fit_settings --group operand` (coordinate ascent over a grid around each value, ties keeping
    # the shipped one): no value of its grid answers more correctly than these (32 of 50; tuning-extra's 97, never
    # fitted on, 45). Clause weight 1 or 3, sentence weight 0, least score 3 and coverage 0.8 or 1 each answer
    # fewer; measure weight 4, least score 1, coverage 1/2, a status bonus of 0 or 5 and a least similarity of
    # 0.35 answer as many.
    # The least cosine similarity (MiniLM) at which a figure's sentence counts as meaning what a calculation
    # question names, when no figure shares its words (0.45: related sentences of one report score 0.3-0.5, a
    # sentence about the thing named 0.5-0.7).
    operand_min_similarity: float = 0.45
    # How a figure of the passages is scored against a phrase of a calculation question (assistant/calc/operands.py):
    # each word of the phrase scores by where it sits around the figure. The three weights only rank the places
    # (the measure the figure names, its clause, its sentence), and the thresholds below are counted in them.
    operand_measure_weight: int = 3  # a word in what the figure measures ("funding approved")
    operand_clause_weight: int = 2  # a word in the figure's clause
    operand_sentence_weight: int = 1  # a word elsewhere in its sentence
    operand_min_score: int = 2  # the least score that names a figure: one word in its clause, or two in its sentence
    # The share of a phrase's words a figure's passage must hold (2/3): "the Department for Education"
    # is not "the Treasury", however well "approved" matches.
    operand_coverage: float = 2 / 3
    # Added when the figure has the status the phrase asks about (as much as a word in its measure):
    # "still being implemented" names the five, not the two.
    operand_status_bonus: int = 3
    # Which reports a question names (assistant/query/reports.py). Set by hand; checked on the tuning set by
    # `python -m evals.fit_settings --group report`, with `answer_passages_per_report`: no value of its grid
    # answers more of the 413 cases (317; report_search_hits 6 answers 316, 24 answers 312).
    report_search_hits: int = 12  # passages searched to rank the reports a year or a body may name (twice top_k)
    report_candidates: int = 3  # reports of one year (or one body) considered, best first, when choosing among several
    # What one step down a year's candidates costs against how alike the chosen reports' subjects are (summed
    # cosine similarity, MiniLM). By hand (0.1): small beside the similarities, so a lower-ranked report wins
    # when it is clearly more about the same thing as the others, and rank decides between near equals.
    report_rank_penalty: float = 0.1
    report_max_targets: int = 3  # by hand: a question naming more reports than this is about the whole library
    report_compare_pool: int = 4  # "the two reports": the second is chosen from the first this many reports found
    # The strategy comparison table (assistant/compare/table.py); the aspects' cue words and their weights are
    # data (assistant/compare/aspects.toml). Set by hand, not fitted.
    compare_passages: int = 8  # passages retrieved per aspect and column
    compare_shortlist: int = 12  # the best-scored sentences per cell that are embedded (the model is the cost)
    compare_cue_cap: float = 3.0  # a sentence's cue weights count up to this: piling up cue words wins nothing more
    compare_figure_bonus: float = 1.0  # for a sentence holding a figure the aspect compares (a cost, a deadline)
    compare_rank_weight: float = 0.5  # times how high its passage ranks in retrieval (1 for the first, down to 0)
    compare_meaning_weight: float = 1.5  # times the cosine similarity of the sentence and the aspect's question
    compare_keep_share: float = 0.6  # a cell keeps sentences scoring at least this share of its best one
    # The timeline (assistant/compare/timeline.py). Set by hand for reading, not fitted: a quote longer than
    # timeline_quote_max_chars is cut to the clauses around its date, keeping at least timeline_quote_min_chars.
    timeline_quote_max_chars: int = 240
    timeline_quote_min_chars: int = 80
    # A date counts as a deadline when a deadline word ("deadline", "expires", "at the latest") stands this many
    # characters before it or after it (by hand: a clause before, a few words after).
    deadline_cue_chars_before: int = 60
    deadline_cue_chars_after: int = 20
    # Lexical search in a large library leaves out query words found in more than lexical_common_share of the
    # chunks, once it holds lexical_common_min_chunks (assistant/store/catalog.py). By hand, for speed: "services"
    # in 30% of 100k chunks made a search three times slower without changing its top results.
    lexical_common_share: float = 0.10
    lexical_common_min_chunks: int = 5000
    # Candidates each of the dense and lexical searches returns before fusion (at least three times k); by hand.
    retrieval_candidates: int = 30
    # A whole library of at most this many chunks is searched exactly, from its vectors read once and kept in memory
    # (assistant/query/retrieval.py), so every process finds the same passages, which Chroma's approximate index does
    # not; a larger one uses the index. A bound on memory (384 float32 numbers a chunk, about 31 MB at 20,000) and on
    # the one-off read (under a second at 20,000), by hand; 0 always uses the index.
    exact_search_max_chunks: int = 20_000
    # The passages the answerer reads (assistant/answer/pipeline.py). Set by hand, checked by `evals.fit_settings`
    # (8 or 12 passages answer fewer tuning cases): sentences are chosen from a wider pool than top_k, and a
    # question naming several reports gets passages of each.
    answer_passages: int = 10  # the least passages read, whatever top_k
    answer_passages_per_report: int = 3  # the least passages of each report a question names
    report_followup_hits: int = 3  # passages searched for the report a follow-up continues (the best one's report)
    # The grounded answerer's rules (assistant/answer/grounded.py), set by hand; the ones `evals.fit_settings
    # --group answer` searches were checked on the tuning set (the runner-up window below is its choice);
    # what it fits (feature weights, thresholds, the runner-up ratio) is in assistant/answer/params.json.
    # A longer sentence is quoted as its clauses that carry the question's words. 300 cut the end of a list or a
    # reason off sentences that answered ("... governance arrangements…" without "and cluster design"); 400, 500
    # and 600 gave the same answers on tuning (one case more than 300) and the median answer 3 characters longer.
    answer_quote_max_chars: int = 400
    answer_quote_min_chars: int = 40  # the least of those clauses quoted: a shorter window reads as a fragment
    # By hand: the most sentences a plain answer quotes (the best and its runners-up), and one more for each part
    # of a question of several parts after the first, for a sentence bringing it; answers stay short (median at
    # most 300 characters).
    answer_max_sentences: int = 2
    # The sentences ranked after the best searched for a second to quote (or a rival figure). Chosen on the tuning
    # set by `python -m evals.fit_settings --group answer` (5 by hand before: 317 of 413 correct, 8: 318; 3 passes
    # as 5; tuning-extra 244 of 383 either way, validation 140 → 141 of 224).
    answer_runner_up_window: int = 8
    answer_nearest_shown: int = 3  # passages quoted with a declined answer, for the reader to judge
    # In a comparison a named report is quoted when its best sentence reaches this share of the fitted answering
    # threshold, else named as silent (half: each report is asked for its part, which needs less certainty
    # than answering alone).
    answer_compare_floor: float = 0.5
    answer_context_term_weight: float = 0.5  # a follow-up's words carried from the last turn, against its own (1)
    # The question's words that name a report ("NAO", "report", "review"; not its years), against its other words
    # (1), in choosing sentences. Each value run alone (it is in the `answer` group of `python -m
    # evals.fit_settings`): 1 (as before), 0.5, 0.25 and 0 all 319 of 413 tuning questions correct, and on
    # tuning-extra 252 of 383 at 1 against 254 at each lower value; of the tied, the weight a follow-up's carried
    # words have.
    answer_naming_term_weight: float = 0.5
    # A best sentence announcing a list ("The review identifies three risks.") is followed by its items. It
    # announces one when it counts things the question names and is short or ends on what it counts; a number
    # in passing does not ("...support these three clusters to grow").
    answer_list_max_items: int = 6  # the most items quoted; a longer list is not quoted in part
    answer_list_short_chars: int = 120  # a sentence this short announces what it counts wherever the count stands
    answer_list_tail_words: int = 2  # a longer one must end within this many words of what it counts
    answer_reason_reach: int = 3  # for "why", the sentences after a best one without a reason read for one
    # A question word shorter than this is never read as a slip of the keyboard for a report's word (by hand: a short
    # unknown word is more often the user's shorthand, "mgmt", "svcs"; assistant/text/spelling.py)
    query_slip_min_chars: int = 5
    # Which sentences are embedded now, when params.json's fitted `pool` is above 0 (embedding is the main
    # cost): the most promising by these weights of their cheap features (assistant/answer/features.py).
    answer_prerank_lex_weight: float = 1.0  # the question's words in the sentence (`lex`)
    answer_prerank_lex_ctx_weight: float = 0.5  # its words in the passage around it (`lex_ctx`): half
    answer_prerank_chunk_sim_weight: float = 1.0  # the passage's meaning against the question's (`chunk_sim`)
    answer_prerank_type_weight: float = 0.5  # the kind of answer asked for shown (`type_hit`): half
    answer_prerank_rank_weight: float = 0.5  # the passage's rank, 1 for the first (`chunk_rrank`): half
    # Parts of the definitions of features the fitted model weighs (assistant/answer/features.py). Set by hand;
    # params.json was fitted with these values, so refit it (`python -m evals.fit`) after changing one.
    feature_min_sentence_chars: int = 20  # shorter spans are headings or labels, not sentences that can answer
    feature_short_chars: int = 40  # `short` is 1 for a sentence of fewer characters than this
    feature_length_cap_chars: int = 400  # `length` grows with a sentence's characters up to this, then stays 1
    feature_measure_window_chars: int = 40  # `measure_hit`: a question's word within this many characters of a figure
    feature_rare_terms: int = 2  # `rare_hit`: the share of the question's this many rarest words a sentence holds
    max_question_chars: int = 4000
    max_file_mb: float = 200.0
    max_pdf_pages: int = 5000
    # Limits on the work one file may cost, whatever its size (ingest/budget.py). Set by hand, far above real
    # reports (a dense page of a report is a few thousand characters), not fitted.
    max_page_chars: int = 100_000
    max_doc_chars: int = 5_000_000  # about 1,250 dense pages
    max_chunks_per_doc: int = 10_000
    # A PDF's content streams, inflated, counted before the layout parser runs (ingest/pdf_guard.py): a page of
    # dense text inflates to tens of kilobytes, a detailed vector chart to a few megabytes. Set by hand, not fitted.
    max_page_stream_mb: float = 20.0
    max_doc_stream_mb: float = 200.0  # all pages together; a stream drawn by many pages counts for each
    parse_timeout_s: float = 300.0  # reading one file, in seconds (plus 600 s for OCR when it is on)
    parse_memory_mb: int = 2048  # the parser process's address space (RLIMIT_AS), not only its resident memory
    ocr: bool = False  # run OCR (Debian's ocrmypdf) on PDFs without a text layer; `ingest --ocr`
    # Uploads from the browser (ui/app.py). Private by default: a session's answers cite its own uploads and the
    # library, never another session's uploads; true lets every session see and cite every upload.
    shared_uploads: bool = False
    max_upload_total_mb: float = 400.0  # what one round of uploads may hold in server memory; files past it refused
    answer_mode: str = "grounded"  # grounded | llm
    llm_provider: str = "openai"  # openai (any OpenAI-compatible server) | ollama
    llm_model: str = "llama3.1"
    llm_base_url: str | None = None
    llm_api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key, never the key
    llm_timeout_s: float = 60.0
    llm_temperature: float = 0.0
    # The whole LLM phase (the answer and its one repair), however the server sends its bytes: a read timeout
    # alone lets a server that drips a byte per read hold a question for ever. 120 s is two slow local-model
    # answers; past it the grounded answer serves the user better.
    llm_total_timeout_s: float = 120.0
    # The largest response body taken from the LLM server. A short cited answer is a few kilobytes; 1 MB leaves
    # verbose models ample room while a hostile server cannot fill memory. A larger one is cut off: grounded.
    llm_max_response_bytes: int = 1_000_000
    # The least cosine similarity (MiniLM) between a sentence of an LLM answer and a sentence of the source it
    # cites, for the source to count as saying it. Set by hand (0.5), not yet fitted: on the shared-services
    # report, paraphrases of a source sentence score 0.56-0.83, sentences of the same report on another point
    # 0.3-0.5, unrelated text under 0.2. Wrong figures and reversals score like paraphrases; other rules catch them.
    llm_min_similarity: float = 0.5
    # The retrieved passages given to the model as numbered sources. By hand, not fitted: top_k's default;
    # each more lengthens the prompt and the check's embedding work.
    llm_max_sources: int = 6
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("store_dir", "corpus_dir", "cache_dir"):  # a str path is as good as a Path (frozen: set so)
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, Path(getattr(self, name)))
        if self.answer_mode not in {"grounded", "llm"}:
            raise ConfigError(f"answer mode must be 'grounded' or 'llm', not {self.answer_mode!r}")
        if self.llm_provider not in {"openai", "ollama"}:
            raise ConfigError(f"LLM provider must be 'openai' or 'ollama', not {self.llm_provider!r}")
        if self.chunk_size < 100:
            raise ConfigError("chunk size must be at least 100 characters")
        if self.top_k < 1:
            raise ConfigError("top_k must be at least 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from AUDIT_ASSISTANT_* variables, then apply explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict = {}
        for name, f in cls.__dataclass_fields__.items():
            if name == "extra":
                continue
            raw = env.get(ENV_PREFIX + name.upper()) or env.get(ENV_PREFIX + ALIASES.get(name, "\0"))
            if raw is None or raw == "":
                continue
            values[name] = _coerce(f.type, raw, name)
        # The API key itself is read here, once, so no other module touches os.environ.
        key_env = values.get("llm_api_key_env", cls.llm_api_key_env)
        extra = {"llm_api_key": env[key_env]} if env.get(key_env) else {}
        values["extra"] = extra
        if "cache_dir" not in values and env.get("XDG_CACHE_HOME"):  # the platform's cache, when it names one
            values["cache_dir"] = Path(env["XDG_CACHE_HOME"]) / "audit-assistant"
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("store_dir", "corpus_dir", "cache_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        """A copy with some settings changed (None values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("store_dir", "corpus_dir", "cache_dir"):
            if key in changes:
                changes[key] = Path(changes[key])
        return replace(self, **changes)

    @property
    def llm_api_key(self) -> str | None:
        return self.extra.get("llm_api_key")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file beside the vector store: document registry, lexical index and figures."""
        return self.store_dir / "catalog.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.store_dir / "uploads"

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(store_dir={str(self.store_dir)!r}, chroma_url={self.chroma_url!r}, " \
               f"embedding_model={self.embedding_model!r}, answer_mode={self.answer_mode!r})"


def _coerce(type_name, raw: str, name: str):
    t = str(type_name)
    try:
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
        if t.startswith("bool"):
            return _bool(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {t}") from exc
    return raw
