"""The calculators as LangChain tools: figures in as text ("£382 million"), the calculation's dict out.

The only module that wraps the calculators for LangChain; `assistant.calc.calculators` stays plain Python.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from assistant.calc import calculators as calc
from assistant.calc.calculators import CalculationResult
from assistant.errors import CalculationError

# name -> (function, its arguments as (name, what it is, an example), description); the tools take text.
TOOLS: dict[str, tuple[Callable[..., CalculationResult], tuple[tuple[str, str, str], ...], str]] = {
    "difference": (calc.difference, (("a", "the first figure", "£382 million to £403 million"),
                                     ("b", "the figure taken from it", "£300 million")), "Subtract b from a."),
    "exceeds_by_percent": (calc.exceeds_by_percent, (("a", "the larger figure", "£403 million"),
                                                     ("b", "the figure it exceeds", "£300 million")),
                           "By what percentage a exceeds b."),
    "total": (lambda figures: calc.total(*figures),
              (("figures", "two or more figures of one unit", "['£44 million', '£9.8 million']"),),
              "Add figures of one unit."),
    "ratio": (calc.ratio, (("numerator", "the figure divided", "£403 million"),
                           ("denominator", "the figure it is divided by", "£300 million")),
              "How many times the numerator is the denominator."),
    "share": (calc.share, (("part", "the part", "2"), ("whole", "the whole", "7")),
              "The part as a percentage of the whole."),
    "average": (calc.average, (("amount", "the total", "£759 million"), ("count", "how many things share it", "3")),
                "A total shared evenly among a number of things."),
    "percent_change": (calc.percent_change, (("old", "the starting figure", "£300 million"),
                                             ("new", "the later figure", "£403 million")),
                       "Percentage change from old to new."),
    "midpoint": (calc.midpoint, (("a", "a range, or the first of two figures", "£400 million to £600 million"),
                                 ("b", "the second figure, only when a is not a range", "")),
                 "Midpoint of a range or of two figures."),
    "years_between": (calc.years_between, (("start", "the earlier year, financial year or date", "2025"),
                                           ("end", "the later one", "2028")), "Number of years from start to end."),
    "annual_to_total": (lambda amount, years: calc.annual_to_total(amount, years),
                        (("amount", "the yearly amount", "£400 million"), ("years", "how many years", "10")),
                        "A yearly amount over a number of years."),
    "total_to_annual": (calc.total_to_annual, (("amount", "the total", "£300 million"),
                                               ("years", "how many years", "3")),
                        "A total spread evenly over a number of years."),
    "rate_to_total": (calc.rate_to_total, (("rate", "the amount a month or a year", "£3.1 million"),
                                           ("periods", "how many months or years", "6"),
                                           ("period", "month or year", "month")),
                      "An amount a month (or a year) over a number of months (or years)."),
    "convert": (calc.convert, (("amount", "the amount", "£382 million"),
                               ("to", "thousand, million, billion or units", "billion")),
                "The same amount in thousands, millions, billions or units."),
}


def as_tools() -> list:
    """The calculators as LangChain StructuredTools: figures in as text ("£382 million"), a dict out."""
    from langchain_core.tools import StructuredTool, ToolException
    from pydantic import Field, create_model

    def wrap(fn: Callable[..., CalculationResult]) -> Callable[..., dict]:
        def run(**kwargs: Any) -> dict:
            try:
                return fn(**kwargs).to_dict()
            except CalculationError as exc:  # the model reads the sentence and can try again
                raise ToolException(str(exc)) from exc
        return run

    tools = []
    for name, (fn, args, description) in TOOLS.items():
        fields: dict[str, Any] = {}
        for arg, what, example in args:
            if arg == "figures":
                fields[arg] = (list[str], Field(description=f"{what}, e.g. {example}"))
            elif not example:  # optional
                fields[arg] = (Union[str, None], Field(default=None, description=what))
            else:
                fields[arg] = (str, Field(description=f"{what}, written as in the report, e.g. {example!r}"))
        schema = create_model(f"{name.title().replace('_', '')}Args", **fields)
        tools.append(StructuredTool.from_function(func=wrap(fn), name=name, description=description,
                                                  args_schema=schema, handle_tool_error=True))
    return tools
