"""A "Translation request" issue (.github/ISSUE_TEMPLATE/translation-request.yml)
read as the details of a new draft. Pure.

GitHub writes an issue form's answers as Markdown: a `### Label` heading per
field, then the answer (`_No response_` when left empty; a dropdown's
options joined by commas; a checkbox as `- [X] label`). The text is a
stranger's: it only ever becomes field values, which `postfile.dump_yaml`
writes as YAML strings, and the draft goes through the same check as any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError

NO_RESPONSE = "_No response_"
_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t]*$", re.M)
_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\)")
_HTTP = re.compile(r"^https?://\S+$")

# The form's labels (translation-request.yml), by what they hold.
TITLE = "Title of the original"
AUTHOR = "Author of the original"
WHERE = "Where to find it (link, or library reference)"
PUBLISHED = "Where and when it was published"
FROM_LANG = "Language of the original"
TO_LANG = "Translate into"
RIGHTS = "Rights"


@dataclass(frozen=True)
class Offer:
    """What a translation request says about the text to translate."""

    title: str
    source: dict[str, str]  # source.* fields: title, author, url, publication, lang, rights
    from_lang: str
    lang: str  # the first language asked for


def answers(text: str) -> dict[str, str]:
    """Each `### Label` of an issue form's body and its answer ('' when empty)."""
    found: dict[str, str] = {}
    marks = list(_HEADING.finditer(text.replace("\r\n", "\n")))
    body = text.replace("\r\n", "\n")
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        value = body[m.end():end].strip()
        found.setdefault(m.group(1), "" if value == NO_RESPONSE else value)
    return found


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _code(label: str, value: str) -> str:
    m = _CODE.search(value)
    if m is None:
        raise UsageError(f"the issue's '{label}' is {value!r}, not a language with its code, like "
                         "'Russian (ru)'; give the code with --translate-from / --lang")
    return m.group(1)


def offer(text: str, *, from_lang: str | None = None, lang: str | None = None) -> Offer:
    """The draft's details from an issue's body; `from_lang` and `lang`
    stand in for (or correct) the languages it gives."""
    got = answers(text)
    missing = [label for label in (TITLE, FROM_LANG, TO_LANG) if not got.get(label)]
    missing = [label for label in missing if not (label == FROM_LANG and from_lang) and not (label == TO_LANG and lang)]
    if missing:
        raise UsageError("the issue is not a translation request (the form .github/ISSUE_TEMPLATE/"
                         f"translation-request.yml), or leaves out: {', '.join(missing)}")
    source_lang = from_lang or _code(FROM_LANG, got[FROM_LANG])
    target = lang or _code(TO_LANG, got[TO_LANG].split(",")[0])
    title = _one_line(got[TITLE])
    source = {"title": title, "lang": source_lang}
    if got.get(AUTHOR):
        source["author"] = _one_line(got[AUTHOR])
    where, published = _one_line(got.get(WHERE, "")), _one_line(got.get(PUBLISHED, ""))
    if _HTTP.match(where):
        source["url"] = where
    elif where:
        published = "; ".join(x for x in (published, where) if x)
    if published:
        source["publication"] = published
    if got.get(RIGHTS):
        source["rights"] = _one_line(got[RIGHTS])
    return Offer(title, source, source_lang, target)
