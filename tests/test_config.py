"""The one `Settings`: hand-set weights and thresholds are fields with their defaults, read from the environment
like every other setting (their effect is tested beside the code that uses them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import ConfigError


def test_hand_set_weights_and_thresholds_come_from_the_environment():
    s = Settings.from_env({"AUDIT_ASSISTANT_OPERAND_MIN_SCORE": "4", "AUDIT_ASSISTANT_OPERAND_COVERAGE": "0.5",
                           "AUDIT_ASSISTANT_COMPARE_KEEP_SHARE": "0.8", "AUDIT_ASSISTANT_REPORT_MAX_TARGETS": "2",
                           "AUDIT_ASSISTANT_LEXICAL_COMMON_MIN_CHUNKS": "100",
                           "AUDIT_ASSISTANT_ANSWER_QUOTE_MAX_CHARS": "500",
                           "AUDIT_ASSISTANT_ANSWER_COMPARE_FLOOR": "0.3", "AUDIT_ASSISTANT_FEATURE_SHORT_CHARS": "30",
                           "AUDIT_ASSISTANT_LLM_MAX_SOURCES": "4"})
    assert (s.operand_min_score, s.operand_coverage, s.compare_keep_share, s.report_max_targets,
            s.lexical_common_min_chunks) == (4, 0.5, 0.8, 2, 100)
    assert (s.answer_quote_max_chars, s.answer_compare_floor, s.feature_short_chars, s.llm_max_sources) == \
        (500, 0.3, 30, 4)
    assert Settings.from_env({}).operand_min_score == Settings().operand_min_score == 2


def test_a_weight_that_is_not_a_number_is_a_clear_error():
    with pytest.raises(ConfigError, match="AUDIT_ASSISTANT_COMPARE_MEANING_WEIGHT='high' is not a valid float"):
        Settings.from_env({"AUDIT_ASSISTANT_COMPARE_MEANING_WEIGHT": "high"})


def test_the_cache_folder_follows_the_platform_unless_named():
    """Word vectors are made once per machine: in $XDG_CACHE_HOME when the platform names it, in the folder
    AUDIT_ASSISTANT_CACHE_DIR names when set (it wins), else in ~/.cache."""
    assert Settings.from_env({}).cache_dir == Path("~/.cache/audit-assistant")
    assert Settings.from_env({"XDG_CACHE_HOME": "/x/cache"}).cache_dir == Path("/x/cache/audit-assistant")
    named = {"XDG_CACHE_HOME": "/x/cache", "AUDIT_ASSISTANT_CACHE_DIR": "/y/words"}
    assert Settings.from_env(named).cache_dir == Path("/y/words")
