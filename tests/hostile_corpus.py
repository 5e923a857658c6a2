"""Hostile trial records, generated at test time in both input formats.

Record text comes from third parties, so every text field of these records carries a payload
that would change a page's structure, run script, or break a renderer if it were not escaped
for its context. Each placement of a payload is one :class:`HostileCase` with a unique
``marker`` (``zq0042x``: lowercase letters and digits, so it survives slugs and case folding)
that tests search for in the output to find where the payload landed.

Nothing here is copied from the shared data: the studies follow the API v2 shape (see the spec
in ``../shared/data/ctgov-spec/``) and the registry page text layout (see
``examples/records/``), but every value is made up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

#: 5,000 characters with no break opportunity.
LONG_WORD = ("Pneumonoultramicroscopic" * 209)[:4997] + "end"


@dataclass(frozen=True)
class Payload:
    """One hostile text; ``MARK`` in ``text`` is replaced by each placement's marker."""

    name: str
    category: str
    text: str
    #: Fits on one line (the registry text format has one value per line).
    multiline: bool = False


def _p(name: str, category: str, text: str) -> Payload:
    if "MARK" not in text:
        text = "MARK " + text
    return Payload(name, category, text, "\n" in text)


def benign_of(text: str) -> str:
    """The same text with every sign that could mean something replaced by ``x``.

    Letters, digits, whitespace (so paragraphs and lines stay as they are) and dots (so
    run-on criteria ``... 11. ...`` split the same way) are kept: the twin's model and page
    have the hostile record's shape.
    """
    return re.sub(r"[^\w\s.]", "x", text)


#: Every payload, by category. Scripts set ``window.__pwned`` so a browser test can tell
#: whether any of them ran, and call ``alert`` so a dialog would open.
PAYLOADS: list[Payload] = [
    # --- HTML and script -------------------------------------------------------------------
    _p("script-tag", "html", "<script>window.__pwned=1;alert(1)</script> after script"),
    _p("script-breakout", "html", "</script></title></textarea><script>window.__pwned=2</script>"),
    _p("img-onerror", "html", '<img src=x onerror="window.__pwned=3;alert(3)"> image'),
    _p("svg-onload", "html", "<svg onload=window.__pwned=4><circle r=9></circle></svg>"),
    _p("attr-breakout-dq", "html", '"><script>window.__pwned=5</script><x y="'),
    _p("attr-breakout-sq", "html", "' onmouseover='window.__pwned=6' autofocus onfocus='alert(6)"),
    _p("iframe", "html", '<iframe src="javascript:window.__pwned=7"></iframe> framed'),
    _p("style-tag", "html", "<style>body{display:none}*{color:red!important}</style> styled"),
    _p("meta-refresh", "html", '<meta http-equiv="refresh" content="0;url=javascript:alert(8)">'),
    _p("bold-tag", "html", "<b>bold</b> <i>italic</i> <u>u</u> <div>div</div> <br> <hr>"),
    _p("form", "html", '<form action="https://evil.example/"><input name=q><button>Go</button>'),
    _p("entities", "html", "&lt;already escaped&gt; &amp;amp; &#60;script&#62; &copy; &nbsp;"),
    _p("html-comment", "html", "before <!-- hidden comment --> after"),
    _p("unclosed-comment", "html", "before <!-- never closed"),
    _p("cdata", "html", "<![CDATA[ <script>window.__pwned=9</script> ]]>"),
    _p("details-tag", "html", "<details open><summary>injected summary</summary>body</details>"),
    # --- links -------------------------------------------------------------------------------
    _p("md-js-link", "link", "[click me](javascript:window.__pwned=10) text"),
    _p(
        "md-data-link",
        "link",
        "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) text",
    ),
    _p("raw-js-url", "link", "javascript:window.__pwned=11;alert(11)"),
    _p("raw-data-url", "link", "data:text/html,<script>window.__pwned=12</script>"),
    _p("html-js-link", "link", '<a href="javascript:window.__pwned=13">html link</a>'),
    _p("autolink", "link", "<https://evil.example/autolink> and <mailto:x@evil.example>"),
    _p("bare-url", "link", "see https://evil.example/phish?a=1&b=2 and www.evil.example"),
    _p("md-ref-link", "link", "[ref link][r1]\n\n[r1]: javascript:window.__pwned=14"),
    _p("vbscript", "link", "[vb](vbscript:msgbox(1)) and [file](file:///etc/passwd)"),
    # --- Markdown structure -------------------------------------------------------------------
    _p("md-heading", "markdown", "# Injected heading\n## Injected subheading"),
    _p("md-heading-inline", "markdown", "MARK\n# Heading after newline"),
    _p("setext-heading", "markdown", "Setext heading MARK\n========"),
    _p("md-image", "markdown", "![alt text](https://evil.example/pixel.png) image"),
    _p("md-table", "markdown", "| a | b |\n|---|---|\n| c | d |"),
    _p("md-table-inline", "markdown", "cell | split | here | MARK"),
    _p("pipe-escape", "markdown", "a \\| b \\\\| c"),
    _p("fenced-code", "markdown", "```python\nimport os; os.system('id')\n```"),
    _p("tilde-code", "markdown", "~~~\ncode\n~~~"),
    _p("indented-code", "markdown", "MARK\n\n    indented code block\n    second line"),
    _p("blockquote", "markdown", "> quoted MARK\n> more"),
    _p("md-list", "markdown", "MARK\n* injected item\n1. numbered item\n- [x] task"),
    _p("emphasis", "markdown", "**bold** __bold__ *em* _em_ `code` ~~del~~ ==mark== ^^ins^^"),
    _p("hr", "markdown", "MARK\n\n---\n\n***"),
    _p("front-matter", "markdown", "---\ntitle: injected\ntemplate: evil.html\n---\nMARK"),
    _p("footnote", "markdown", "claim[^1]\n\n[^1]: footnote MARK"),
    _p("backslashes", "markdown", "back\\slash \\*not em\\* \\# \\<60 C:\\path\\n"),
    _p("html-block", "markdown", '<div markdown="1">\n**md in html**\n</div>'),
    # --- Jinja -----------------------------------------------------------------------------------
    _p("jinja-expr", "jinja", "{{ 7*7 }} {{ config }} {{ ''.__class__.__mro__ }}"),
    _p("jinja-stmt", "jinja", "{% raw %}{{ raw }}{% endraw %} {% include '/etc/passwd' %}"),
    _p("jinja-comment", "jinja", "{# hidden #} {%- if true -%}yes{%- endif -%}"),
    _p("jinja-unclosed", "jinja", "{{ unclosed {% unclosed"),
    # --- MkDocs / Material / pymdownx ---------------------------------------------------------
    _p("admonition", "mkdocs", '!!! note "Injected admonition MARK"\n    admonition body'),
    _p("collapsible", "mkdocs", "??? warning\n    collapsed MARK"),
    _p("snippet", "mkdocs", '--8<-- "/etc/passwd"\n;--8<-- "mkdocs.yml"'),
    _p("attr-list", "mkdocs", 'text {: onclick="window.__pwned=15" }'),
    _p("attr-list-data", "mkdocs", "text { data-x } {#evil-id .evil-class }"),
    _p("content-tabs", "mkdocs", '=== "Tab MARK"\n    tab body'),
    _p("emoji-shortcode", "mkdocs", ":material-alert: :smile: ++ctrl+alt+del++"),
    _p("toc-marker", "mkdocs", "[TOC]\n\n*[HTML]: abbreviation MARK"),
    _p("math", "mkdocs", "$$ \\frac{1}{0} $$ and $x$"),
    _p("macro", "mkdocs", "{{ page.meta }} ${{ env }} %{ x }"),
    # --- long, bidi, emoji, control characters ------------------------------------------------
    _p("long-word", "long", LONG_WORD),
    _p("long-url", "long", "https://evil.example/" + "a" * 3000),
    _p("arabic", "bidi", "مرحبا بالعالم دراسة سريرية"),
    _p("hebrew", "bidi", "שלום עולם ניסוי קליני"),
    _p("rlo", "bidi", "invoice\u202efdp.exe and \u202bembedded\u202c \u2067isolate\u2069"),
    _p("emoji", "emoji", "🧪💊 👩🏽‍⚕️ 🏳️‍🌈 🇪🇺 ≥ ≤ µ"),
    _p("zalgo", "emoji", "Z̴̡̛͈a̷̰͌l̸̹̈g̵̱̍o̶̯͗ combining"),
    _p("c0-controls", "control", "a\x01b\x02c\x07d\x08e\x0bf\x0cg\x1bh[31mred\x1fi"),
    _p("nul", "control", "before\x00after"),
    _p("del-bom", "control", "x\x7fy\ufeffz"),
    _p("line-separators", "control", "para\u2028line\u2029para\x85next"),
    _p("zero-width", "control", "zero\u200bwidth\u200d\u2060joiner"),
    # --- paths and slugs (index pages are named after conditions, sponsors, countries) --------
    _p("path-traversal", "path", "../../../../tmp/MARK-escaped"),
    _p("abs-path", "path", "/etc/MARK"),
    _p("dot-dot", "path", "MARK/.."),
    _p("url-chars", "path", "MARK?q=1#frag %2e%2e%2f"),
    _p("slug-empty", "path", "MARK !!! ??? ***"),
    _p("windows-name", "path", "CON MARK aux NUL com1"),
    # --- JSON-LD and quoting -------------------------------------------------------------------
    _p("json-breakout", "json", '"}]}</script><script>window.__pwned=16</script>{"a":"'),
    _p("quotes", "json", '"double" \'single\' `back` \\" \\u0022'),
]

CATEGORIES = sorted({p.category for p in PAYLOADS})


@dataclass(frozen=True)
class HostileCase:
    """One payload placed in one field of one record."""

    marker: str
    nct_id: str
    fmt: str  # "ctgov-json", "registry-text" or "ctgov-xml"
    field: str
    payload: Payload
    text: str
    benign: str


@dataclass
class _Placer:
    """Hands out payloads in rotation and records where each one went."""

    fmt: str
    cases: list[HostileCase]
    counter: Iterator[int]
    benign: bool = False
    nct_id: str = ""
    rotation: int = 0
    fixed: list[Payload] = field(default_factory=list)

    def __call__(self, field_name: str, *, one_line: bool = False, commas: bool = True) -> str:
        n = next(self.counter)
        payload = self.fixed.pop(0) if self.fixed else PAYLOADS[(self.rotation + n) % len(PAYLOADS)]
        marker = f"zq{n:04d}x"
        text = payload.text.replace("MARK", marker)
        if one_line:
            # Only LF and CR end a line in the file; U+2028, VT, FF, ... stay inside it.
            text = re.sub(r"[\n\r]+", " ", text)
        if not commas:
            text = text.replace(",", ";")
        benign = benign_of(text)
        self.cases.append(
            HostileCase(marker, self.nct_id, self.fmt, field_name, payload, text, benign)
        )
        return benign if self.benign else text


def _counter(start: int) -> Iterator[int]:
    n = start
    while True:
        yield n
        n += 1


# --- API v2 JSON ---------------------------------------------------------------------------


def _json_study(nct: str, put: Callable[..., str], n_arms: int = 2) -> dict[str, Any]:
    """One API v2 study whose every text field comes from ``put``."""
    interventions = []
    arms = []
    for i in range(n_arms):
        name = put(f"interventions[{i}].name")
        interventions.append(
            {
                "type": "DRUG",
                "name": name,
                "description": put(f"interventions[{i}].description"),
                "otherNames": [put(f"interventions[{i}].other_names[0]")],
                "armGroupLabels": [],
            }
        )
    for i in range(n_arms):
        label = put(f"arms[{i}].label")
        arms.append(
            {
                "label": label,
                "type": "EXPERIMENTAL" if i == 0 else "ACTIVE_COMPARATOR",
                "description": put(f"arms[{i}].description"),
                "interventionNames": [f"Drug: {interventions[i]['name']}"],
            }
        )
        interventions[i]["armGroupLabels"] = [label]
    criteria = (
        "Inclusion Criteria:\n\n"
        f"* {put('eligibility.inclusion[0]')}\n"
        "* Age 18 years or older\n"
        f"* {put('eligibility.inclusion[2]')}\n\n"
        "Exclusion Criteria:\n\n"
        f"1. {put('eligibility.exclusion[0]')}\n"
        "2. Pregnancy\n"
        f"3. {put('eligibility.exclusion[2]')}\n"
    )
    study: dict[str, Any] = {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct,
                "orgStudyIdInfo": {"id": put("identifiers.org_study_id")},
                "secondaryIdInfos": [
                    {
                        "id": put("identifiers.secondary_id"),
                        "type": "OTHER",
                        "domain": put("identifiers.domain"),
                        "link": "javascript:window.__pwned=17",
                    },
                    {"id": "2019-001234-56", "type": "EUDRACT_NUMBER"},
                ],
                "organization": {"fullName": put("organization"), "class": "OTHER"},
                "briefTitle": put("title"),
                "officialTitle": put("official_title"),
                "acronym": put("acronym"),
            },
            "statusModule": {
                "statusVerifiedDate": "2024-01",
                "overallStatus": "RECRUITING",
                "startDateStruct": {"date": "2021-03", "type": "ACTUAL"},
                "primaryCompletionDateStruct": {"date": "2026-12-31", "type": "ESTIMATED"},
                "completionDateStruct": {"date": "2027", "type": "ESTIMATED"},
                "lastUpdatePostDateStruct": {"date": "2024-02-29", "type": "ACTUAL"},
            },
            "sponsorCollaboratorsModule": {
                "responsibleParty": {
                    "type": "PRINCIPAL_INVESTIGATOR",
                    "investigatorFullName": put("responsible_party.name"),
                    "investigatorTitle": put("responsible_party.title"),
                    "investigatorAffiliation": put("responsible_party.affiliation"),
                },
                "leadSponsor": {"name": put("sponsors[0].name"), "class": "OTHER"},
                "collaborators": [{"name": put("sponsors[1].name"), "class": "INDUSTRY"}],
            },
            "descriptionModule": {
                "briefSummary": put("summary"),
                "detailedDescription": "First paragraph.\n\n"
                + put("description")
                + "\n\nLast paragraph.",
            },
            "conditionsModule": {
                "conditions": [put("conditions[0]"), put("conditions[1]")],
                "keywords": [put("keywords[0]"), put("keywords[1]")],
            },
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": ["PHASE1", "PHASE2"],
                "designInfo": {
                    "allocation": "RANDOMIZED",
                    "interventionModel": "PARALLEL",
                    "primaryPurpose": "TREATMENT",
                    "maskingInfo": {"masking": "NONE"},
                },
                "enrollmentInfo": {"count": 42, "type": "ESTIMATED"},
            },
            "armsInterventionsModule": {"armGroups": arms, "interventions": interventions},
            "eligibilityModule": {
                "eligibilityCriteria": criteria,
                "healthyVolunteers": False,
                "sex": "ALL",
                "minimumAge": "18 Years",
                "maximumAge": "99 Years",
            },
            "contactsLocationsModule": {
                "overallOfficials": [
                    {
                        "name": put("officials[0].name"),
                        "affiliation": put("officials[0].affiliation"),
                        "role": "PRINCIPAL_INVESTIGATOR",
                    }
                ],
                "locations": [
                    {
                        "facility": put("locations[0].facility"),
                        "city": put("locations[0].city"),
                        "state": put("locations[0].state"),
                        "zip": put("locations[0].zip"),
                        "country": put("locations[0].country"),
                        "status": "RECRUITING",
                    },
                    {
                        "facility": put("locations[1].facility"),
                        "city": "Bern",
                        "country": "Switzerland",
                    },
                ],
            },
            "referencesModule": {
                "references": [
                    {"pmid": "12345678", "type": "RESULT", "citation": put("references[0]")},
                    {
                        "type": "BACKGROUND",
                        "citation": put("references[1]") + " doi: 10.1000/182",
                    },
                ],
                "seeAlsoLinks": [
                    {"label": put("see_also.label"), "url": "javascript:window.__pwned=18"}
                ],
            },
        },
        "hasResults": False,
    }
    _whole_record(study, put)
    return study


def _fixed(put: Callable[..., str], text: str) -> str:
    """A hostile text every study carries at a fixed place (benign in the twin)."""
    return benign_of(text) if getattr(put, "benign", False) else text


#: A phone value that is a script URL: it must stay text, never a ``tel:`` link.
JS_PHONE = "javascript:window.__pwned=19"


def _whole_record(study: dict[str, Any], put: Callable[..., str]) -> None:
    """Outcomes, contacts, why stopped, MeSH terms, documents and posted results, with
    payloads; plus the fixed cases: a ``javascript:`` phone, HTML in a group title and
    Markdown in an adverse-event term."""
    proto = study["protocolSection"]
    proto["statusModule"]["whyStopped"] = put("why_stopped")
    proto["outcomesModule"] = {
        "primaryOutcomes": [
            {
                "measure": put("outcomes[0].measure"),
                "timeFrame": put("outcomes[0].time_frame"),
                "description": put("outcomes[0].description"),
            }
        ],
        "secondaryOutcomes": [
            {"measure": put("outcomes[1].measure"), "timeFrame": put("outcomes[1].time_frame")}
        ],
    }
    contacts = proto["contactsLocationsModule"]
    contacts["centralContacts"] = [
        {
            "name": put("contacts[0].name"),
            "role": "CONTACT",
            "phone": _fixed(put, JS_PHONE),
            "email": put("contacts[0].email"),
        },
        {
            "name": put("contacts[1].name"),
            "phone": "+1 555 0100",
            "phoneExt": put("contacts[1].phone_ext"),
            "email": "trials@example.org",
        },
    ]
    contacts["locations"][0]["contacts"] = [
        {
            "name": put("locations[0].contacts[0].name"),
            "phone": put("locations[0].contacts[0].phone"),
            "email": _fixed(put, "javascript:alert(1)//@example.org"),
        }
    ]
    contacts["locations"][0]["geoPoint"] = {"lat": 46.95, "lon": 7.45}
    study["derivedSection"] = {
        "conditionBrowseModule": {
            "meshes": [{"id": "D000001", "term": put("mesh.conditions.terms[0].term")}],
            "ancestors": [{"id": "D000002", "term": put("mesh.conditions.ancestors[0].term")}],
        }
    }
    study["documentSection"] = {
        "largeDocumentModule": {
            "largeDocs": [
                {
                    "typeAbbrev": "Prot",
                    "hasProtocol": True,
                    "label": put("documents[0].label"),
                    "date": "2024-01-02",
                    "filename": put("documents[0].filename", one_line=True),
                    "size": 123456,
                }
            ]
        }
    }
    groups = [
        {
            "id": "OG000",
            "title": _fixed(put, '<b onmouseover="window.__pwned=20">Group</b> ')
            + put("results.outcome_measures[0].groups[0].title"),
            "description": put("results.outcome_measures[0].groups[0].description"),
        },
        {"id": "OG001", "title": put("results.outcome_measures[0].groups[1].title")},
    ]
    study["hasResults"] = True
    study["resultsSection"] = {
        "participantFlowModule": {
            "recruitmentDetails": put("results.participant_flow.recruitment_details"),
            "groups": [{"id": "FG000", "title": put("results.participant_flow.groups[0].title")}],
            "periods": [
                {
                    "title": put("results.participant_flow.periods[0].title"),
                    "milestones": [
                        {
                            "type": "STARTED",
                            "achievements": [
                                {
                                    "groupId": "FG000",
                                    "numSubjects": "10",
                                    "comment": put("results.flow.comment"),
                                }
                            ],
                        }
                    ],
                    "dropWithdraws": [
                        {
                            "type": put("results.participant_flow.drop_withdraws[0].type"),
                            "reasons": [{"groupId": "FG000", "numSubjects": "1"}],
                        }
                    ],
                }
            ],
        },
        "outcomeMeasuresModule": {
            "outcomeMeasures": [
                {
                    "type": "PRIMARY",
                    "title": put("results.outcome_measures[0].title"),
                    "description": put("results.outcome_measures[0].description"),
                    "timeFrame": put("results.outcome_measures[0].time_frame"),
                    "paramType": "MEAN",
                    "dispersionType": put("results.outcome_measures[0].dispersion_type"),
                    "unitOfMeasure": put("results.outcome_measures[0].unit_of_measure"),
                    "groups": groups,
                    "denoms": [
                        {
                            "units": "Participants",
                            "counts": [
                                {"groupId": "OG000", "value": "10"},
                                {"groupId": "OG001", "value": "9"},
                            ],
                        }
                    ],
                    "classes": [
                        {
                            "title": put("results.outcome_measures[0].classes[0].title"),
                            "categories": [
                                {
                                    "title": put("results.outcome_measures[0].categories[0]"),
                                    "measurements": [
                                        {
                                            "groupId": "OG000",
                                            "value": put("results.measurements[0].value"),
                                            "spread": "1.5",
                                        },
                                        {
                                            "groupId": "OG001",
                                            "value": "2.0",
                                            "comment": put("results.measurements[1].comment"),
                                        },
                                    ],
                                },
                                {
                                    "title": put("results.outcome_measures[0].categories[1]"),
                                    "measurements": [{"groupId": "OG000", "value": "3.0"}],
                                },
                            ],
                        }
                    ],
                    "analyses": [
                        {
                            "groupIds": ["OG000", "OG001"],
                            "statisticalMethod": put("results.analyses[0].statistical_method"),
                            "pValue": put("results.analyses[0].p_value"),
                            "paramType": put("results.analyses[0].param_type"),
                            "paramValue": "0.5",
                            "ciPctValue": "95",
                            "ciLowerLimit": "0.1",
                            "ciUpperLimit": "0.9",
                        }
                    ],
                }
            ]
        },
        "adverseEventsModule": {
            "timeFrame": put("results.adverse_events.time_frame"),
            "eventGroups": [
                {
                    "id": "EG000",
                    "title": put("results.adverse_events.event_groups[0].title"),
                    "seriousNumAffected": 1,
                    "seriousNumAtRisk": 10,
                }
            ],
            "seriousEvents": [
                {
                    "term": _fixed(put, "**Bold AE** _em_ [link](javascript:alert(1)) # ")
                    + put("results.adverse_events.serious_events[0].term"),
                    "organSystem": put("results.adverse_events.serious_events[0].organ_system"),
                    "stats": [{"groupId": "EG000", "numAffected": 1, "numAtRisk": 10}],
                }
            ],
            "otherEvents": [
                {
                    "term": put("results.adverse_events.other_events[0].term"),
                    "organSystem": "General disorders",
                    "stats": [{"groupId": "EG000", "numAffected": 2, "numAtRisk": 10}],
                }
            ],
        },
        "moreInfoModule": {
            "limitationsAndCaveats": {"description": put("results.limitations")},
            "pointOfContact": {
                "title": put("results.point_of_contact.title"),
                "organization": put("results.point_of_contact.organization"),
                "email": put("results.point_of_contact.email"),
                "phone": put("results.point_of_contact.phone"),
            },
        },
    }


def _slug_study(nct: str, put: Callable[..., str]) -> dict[str, Any]:
    """A study whose index-page fields (conditions, sponsors, countries, ...) carry payloads."""
    study = _json_study(nct, put, n_arms=1)
    proto = study["protocolSection"]
    proto["conditionsModule"]["conditions"] += [put(f"conditions[{i}]") for i in range(2, 8)]
    proto["sponsorCollaboratorsModule"]["collaborators"] += [
        {"name": put(f"sponsors[{i}].name"), "class": "OTHER"} for i in range(2, 6)
    ]
    proto["contactsLocationsModule"]["locations"] += [
        {"facility": "Site", "city": "City", "country": put(f"locations[{i}].country")}
        for i in range(2, 6)
    ]
    return study


def _criteria_study(nct: str, put: Callable[..., str]) -> dict[str, Any]:
    """A study whose checklist carries payloads as criteria, nested and numbered."""
    study = _json_study(nct, put, n_arms=1)
    module = study["protocolSection"]["eligibilityModule"]
    inclusion, exclusion = module["eligibilityCriteria"].split("Exclusion Criteria:")
    lines = [inclusion.rstrip(), ""]
    # Lead-ins that make key eligibility facts, so payloads also reach the facts' quotes.
    lead = ["Brain metastases are allowed if stable: ", *[""] * 7]
    for i in range(8):
        lines.append(f"{i + 1}. {lead[i]}{put(f'eligibility.inclusion[{i + 3}]', one_line=True)}")
        lines.append(f"   * {put(f'eligibility.inclusion[{i + 3}].children[0]', one_line=True)}")
    lines += ["", "Exclusion Criteria:" + exclusion.rstrip()]
    lead = ["Pregnant women or ", "Pregnancy: ", *[""] * 6]
    lines += [
        f"* {lead[i]}{put(f'eligibility.exclusion[{i + 3}]', one_line=True)}" for i in range(8)
    ]
    module["eligibilityCriteria"] = "\n".join(lines) + "\n"
    return study


# --- registry page text ----------------------------------------------------------------------

_HELP = {
    "Study Results": "The study team has not published outcome measurements, participant flow, "
    "or safety data for this trial yet. Check back later for updates.",
    "Basic Information": "Get a concise snapshot of the trial, including recruitment status, "
    "study phase, enrollment targets, and key timeline milestones.",
    "Brief Summary": "Review the sponsor-provided synopsis that highlights what the study is "
    "about and why it is being conducted.",
    "Related Clinical Trials": "Explore similar clinical trials based on study characteristics "
    "and research focus.",
    "Detailed Description": "Dive into the extended narrative that explains the scientific "
    "background, objectives, and procedures in greater depth.",
    "Conditions": "See the medical conditions and disease areas that this research is targeting "
    "or investigating.",
    "Study Design": "Understand how the trial is structured, including allocation methods, "
    "masking strategies, primary purpose, and other design elements.",
    "Study Groups": "Review each arm or cohort in the study, along with the interventions and "
    "objectives associated with them.",
    "Interventions": "Learn about the drugs, procedures, or behavioral strategies being tested "
    "and how they are applied within this trial.",
    "Other Intervention Names": "Discover alternative or legacy names that may be used to "
    "describe the listed interventions across different sources.",
    "Eligibility Criteria": "Check the participation requirements, including inclusion and "
    "exclusion rules, age limits, and whether healthy volunteers are accepted.",
    "Sponsors": "Meet the organizations funding or collaborating on the study and learn about "
    "their roles.",
    "Responsible Party": "Identify the individual or organization who holds primary "
    "responsibility for the study information submitted to regulators.",
    "Principal Investigators": "Learn about the lead researchers overseeing the trial and their "
    "institutional affiliations.",
    "Locations": "Explore where the study is taking place and check the recruitment status at "
    "each participating site.",
    "Countries": "Review the countries where the study has at least one active or historical site.",
    "References": "Explore related publications, articles, or registry entries linked to this "
    "study.",
    "Other Identifiers": "Review additional registry numbers or institutional identifiers "
    "associated with this trial.",
    "More Related Trials": "Additional clinical trials that may be relevant based on similarity "
    "analysis.",
}


def _registry_text(nct: str, put: Callable[..., str]) -> str:
    """One record in registry page text layout; one-line fields get one-line payloads."""

    def one(name: str, *, commas: bool = True) -> str:
        return put(name, one_line=True, commas=commas)

    out: list[str] = [one("title"), f"NCT ID: {nct}", "Last Updated: 2024-02-29"]

    def section(name: str, *lines: str) -> None:
        out.extend([name, _HELP[name], *lines])

    section("Study Results")
    section(
        "Basic Information",
        "RECRUITING",
        "PHASE2",
        "42 participants",
        "INTERVENTIONAL",
        "2021-03-01",
        "2027-12",
    )
    section("Brief Summary", one("summary[0]"), one("summary[1]"))
    section("Related Clinical Trials", one("related_trials[0].title"), "NCT03809988")
    section("Detailed Description", one("description[0]"), one("description[1]"))
    section("Conditions", one("conditions[0]"), one("conditions[1]"))
    section("Study Design", "RANDOMIZED", "PARALLEL", "TREATMENT", "NONE")
    arm = (one("arms[0].label"), one("arms[0].description"))
    drug = (one("interventions[0].name"), one("interventions[0].description"))
    section("Study Groups", *arm, *drug)
    section("Interventions", *drug)
    section("Other Intervention Names")
    section(
        "Eligibility Criteria",
        "Inclusion Criteria",
        f"1. {one('eligibility.inclusion[0]')}",
        f"2. {one('eligibility.inclusion[1]')}",
        f"* {one('eligibility.inclusion[1].children[0]')}",
        f"3. {one('eligibility.inclusion[2]')}",
        "Exclusion Criteria",
        f"1. {one('eligibility.exclusion[0]')}",
        f"2. {one('eligibility.exclusion[1]')}",
        "18 Years",
        "ALL",
        "No",
    )
    section("Sponsors", one("sponsors[0].name"), "OTHER", one("sponsors[1].name"), "INDUSTRY")
    section("Responsible Party")
    section(
        "Principal Investigators",
        one("officials[0].name"),
        "Role: PRINCIPAL_INVESTIGATOR",
        one("officials[0].affiliation"),
    )
    city = one("locations[0].city", commas=False)
    country = one("locations[0].country", commas=False)
    section("Locations", one("locations[0].facility"), f"{city}, , {country}")
    section("Countries", country)
    section("References", one("references[0]"), one("references[1]"))
    section(
        "Other Identifiers",
        one("identifiers.secondary_id"),
        "Identifier Type: OTHER",
        "Identifier Source: secondary_id",
        one("identifiers.org_study_id"),
        "Identifier Type: -",
        "Identifier Source: org_study_id",
    )
    section("More Related Trials")
    return "\n".join(out) + "\n"


# --- legacy ClinicalTrials.gov XML ----------------------------------------------------------

#: Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _legacy_xml(nct: str, put: Callable[..., str]) -> str:
    """One record in legacy ``<clinical_study>`` XML; payloads are one line each (the
    reader undoes the format's hard wrapping, which would reflow multi-line payloads)."""

    def x(name: str) -> str:
        text = _NOT_XML_RE.sub("\ufffd", put(name, one_line=True))
        return xml_escape(text, {'"': "&quot;"})

    def block(name: str) -> str:
        return f"<textblock>\n        {x(name)}\n      </textblock>"

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clinical_study>
  <id_info>
    <org_study_id>{x("identifiers.org_study_id")}</org_study_id>
    <secondary_id>{x("identifiers.secondary_id")}</secondary_id>
    <nct_id>{nct}</nct_id>
  </id_info>
  <brief_title>{x("title")}</brief_title>
  <acronym>{x("acronym")}</acronym>
  <official_title>{x("official_title")}</official_title>
  <sponsors>
    <lead_sponsor><agency>{x("sponsors[0].name")}</agency><agency_class>Other</agency_class>
    </lead_sponsor>
    <collaborator><agency>{x("sponsors[1].name")}</agency><agency_class>Industry</agency_class>
    </collaborator>
  </sponsors>
  <brief_summary>{block("summary")}</brief_summary>
  <detailed_description>{block("description")}</detailed_description>
  <overall_status>Terminated</overall_status>
  <why_stopped>{x("why_stopped")}</why_stopped>
  <start_date type="Actual">March 1, 2021</start_date>
  <phase>Phase 2/Phase 3</phase>
  <study_type>Interventional</study_type>
  <primary_outcome>
    <measure>{x("outcomes[0].measure")}</measure>
    <time_frame>{x("outcomes[0].time_frame")}</time_frame>
    <description>{x("outcomes[0].description")}</description>
  </primary_outcome>
  <enrollment type="Actual">42</enrollment>
  <condition>{x("conditions[0]")}</condition>
  <condition>{x("conditions[1]")}</condition>
  <arm_group>
    <arm_group_label>{x("arms[0].label")}</arm_group_label>
    <arm_group_type>Experimental</arm_group_type>
    <description>{x("arms[0].description")}</description>
  </arm_group>
  <intervention>
    <intervention_type>Drug</intervention_type>
    <intervention_name>{x("interventions[0].name")}</intervention_name>
    <description>{x("interventions[0].description")}</description>
  </intervention>
  <eligibility>
    <criteria>
      <textblock>
        Inclusion Criteria:

          -  {x("eligibility.inclusion[0]")}

          -  {x("eligibility.inclusion[1]")}

        Exclusion Criteria:

          -  {x("eligibility.exclusion[0]")}
      </textblock>
    </criteria>
    <gender>All</gender>
    <minimum_age>18 Years</minimum_age>
    <maximum_age>N/A</maximum_age>
    <healthy_volunteers>No</healthy_volunteers>
  </eligibility>
  <overall_official>
    <last_name>{x("officials[0].name")}</last_name>
    <role>Principal Investigator</role>
    <affiliation>{x("officials[0].affiliation")}</affiliation>
  </overall_official>
  <overall_contact>
    <last_name>{x("contacts[0].name")}</last_name>
    <phone>{xml_escape(_fixed(put, JS_PHONE))}</phone>
    <email>{x("contacts[0].email")}</email>
  </overall_contact>
  <location>
    <facility>
      <name>{x("locations[0].facility")}</name>
      <address><city>{x("locations[0].city")}</city><country>{x("locations[0].country")}</country>
      </address>
    </facility>
    <status>Recruiting</status>
    <contact><last_name>{x("locations[0].contacts[0].name")}</last_name></contact>
  </location>
  <reference>
    <citation>{x("references[0]")}</citation>
    <PMID>12345678</PMID>
  </reference>
  <keyword>{x("keywords[0]")}</keyword>
  <condition_browse><mesh_term>{x("mesh.conditions.terms[0]")}</mesh_term></condition_browse>
</clinical_study>
"""


# --- the corpus --------------------------------------------------------------------------------

JSON_NCTS = [f"NCT9900{i:04d}" for i in range(1, 7)]
SLUG_NCT = "NCT99000101"
CRITERIA_NCT = "NCT99000102"
TEXT_NCTS = [f"NCT9900{i:04d}" for i in range(201, 205)]
XML_NCTS = [f"NCT9900{i:04d}" for i in range(301, 303)]


@dataclass
class Corpus:
    """The hostile records: study dicts and registry texts, and every placement in them."""

    json_studies: list[dict[str, Any]]
    texts: dict[str, str]
    cases: list[HostileCase]
    #: Legacy ClinicalTrials.gov XML records by NCT ID.
    xml_texts: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> list[Path]:
        """Write one file per record under ``folder``; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for study in self.json_studies:
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            p = folder / f"{nct}.json"
            p.write_text(json.dumps(study, indent=1, ensure_ascii=False), encoding="utf-8")
            paths.append(p)
        for nct, text in self.texts.items():
            p = folder / f"{nct}.txt"
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        for nct, text in self.xml_texts.items():
            p = folder / f"{nct}.xml"
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        return paths

    def by_marker(self) -> dict[str, HostileCase]:
        """Cases keyed by marker."""
        return {c.marker: c for c in self.cases}


def build_corpus(*, benign: bool = False) -> Corpus:
    """All hostile records; ``benign=True`` gives the twin with harmless text at each place.

    Placements are deterministic, so a case's marker is the same in both twins.
    """
    cases: list[HostileCase] = []
    counter = _counter(1)
    studies: list[dict[str, Any]] = []
    for r, nct in enumerate(JSON_NCTS):
        put = _Placer("ctgov-json", cases, counter, benign, nct, rotation=r * 11)
        studies.append(_json_study(nct, put))
    path_payloads = [p for p in PAYLOADS if p.category in {"path", "long", "control", "bidi"}]
    put = _Placer("ctgov-json", cases, counter, benign, SLUG_NCT, fixed=list(path_payloads) * 3)
    studies.append(_slug_study(SLUG_NCT, put))
    put = _Placer("ctgov-json", cases, counter, benign, CRITERIA_NCT, rotation=5)
    studies.append(_criteria_study(CRITERIA_NCT, put))
    texts: dict[str, str] = {}
    for r, nct in enumerate(TEXT_NCTS):
        put = _Placer("registry-text", cases, counter, benign, nct, rotation=r * 17 + 3)
        # NUL makes a file binary to decode(); the registry text format cannot carry it.
        texts[nct] = _registry_text(nct, put).replace("\x00", "\ufffd")
    xml_texts: dict[str, str] = {}
    for r, nct in enumerate(XML_NCTS):
        put = _Placer("ctgov-xml", cases, counter, benign, nct, rotation=r * 13 + 7)
        xml_texts[nct] = _legacy_xml(nct, put)
    return Corpus(studies, texts, cases, xml_texts)


def benign_twin_study(nct: str) -> dict[str, Any]:
    """The benign twin of one hostile JSON study (same structure, harmless text)."""
    for study in build_corpus(benign=True).json_studies:
        if study["protocolSection"]["identificationModule"]["nctId"] == nct:
            return study
    raise KeyError(nct)


# --- broken input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenCase:
    """One broken input file; ``expect`` says what a reader must make of it.

    ``error``: exactly one ``Error: PATH[:LINE]: ...`` and no trial; ``ok``: it reads (maybe
    with warnings); ``error-or-warning``: either a clear error or a trial with a warning.
    """

    name: str
    filename: str
    make: Callable[[], bytes]
    expect: str
    #: Number of trials the file must give when it reads (arrays hold several).
    trials: int = 1
    #: Number of errors the file must give (a bad study inside an array is one).
    errors: int = 1


def good_study(nct: str = "NCT99000900") -> dict[str, Any]:
    """A harmless, valid API v2 study to build broken variants from."""
    put = _Placer("ctgov-json", [], _counter(9000), True, nct)
    return _json_study(nct, put)


def good_text(nct: str = "NCT99000901") -> str:
    """A harmless, valid registry page text record."""
    put = _Placer("registry-text", [], _counter(9500), True, nct)
    return _registry_text(nct, put)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, ensure_ascii=False).encode("utf-8")


def _without_nct() -> bytes:
    study = good_study()
    del study["protocolSection"]["identificationModule"]["nctId"]
    return _dumps(study)


def _bad_nct() -> bytes:
    study = good_study()
    study["protocolSection"]["identificationModule"]["nctId"] = "NCT<script>"
    return _dumps(study)


def _wrong_types() -> bytes:
    study = good_study("NCT99000902")
    proto = study["protocolSection"]
    proto["identificationModule"]["briefTitle"] = {"nested": ["not", "a", "string"]}
    proto["conditionsModule"] = "not an object"
    proto["armsInterventionsModule"]["armGroups"] = [None, 7, "x"]
    proto["designModule"]["enrollmentInfo"]["count"] = "many"
    return _dumps(study)


def _bad_enum() -> bytes:
    study = good_study("NCT99000903")
    study["protocolSection"]["statusModule"]["overallStatus"] = "<script>alert(1)</script>"
    study["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "yesterday"
    return _dumps(study)


def _array_one_bad() -> bytes:
    return _dumps([good_study("NCT99000904"), {"protocolSection": {"oops": 1}}])


def _huge_eligibility() -> bytes:
    study = good_study("NCT99000905")
    line = "* Patients must not have received more than 2 prior regimens, ≥ 18 years.\n"
    text = "Inclusion Criteria:\n\n" + line * (10_000_000 // len(line))
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = text
    return _dumps(study)


def _many_locations() -> bytes:
    study = good_study("NCT99000906")
    study["protocolSection"]["contactsLocationsModule"]["locations"] = [
        {"facility": f"Site {i}", "city": f"City {i % 97}", "country": f"Country {i % 31}"}
        for i in range(5000)
    ]
    return _dumps(study)


def _text_without_nct() -> bytes:
    lines = good_text().split("\n")
    lines[1] = "NCT ID: "
    return "\n".join(lines).encode("utf-8")


def _bom_crlf_text() -> bytes:
    return b"\xef\xbb\xbf" + good_text("NCT99000907").replace("\n", "\r\n").encode("utf-8")


def _bom_crlf_json() -> bytes:
    raw = _dumps(good_study("NCT99000908")).decode("utf-8").replace("\n", "\r\n")
    return b"\xef\xbb\xbf" + raw.encode("utf-8")


def _latin1_text() -> bytes:
    text = good_text("NCT99000909").replace("Last Updated", "Last Updated", 1)
    lines = text.split("\n")
    lines[0] = "Étude randomisée des effets secondaires à Genève (café, naïve)"
    return "\n".join(lines).encode("latin-1")


def _latin1_json() -> bytes:
    study = good_study("NCT99000910")
    study["protocolSection"]["identificationModule"]["briefTitle"] = "Étude à Genève: café"
    # benign text elsewhere may hold letters Latin-1 lacks (Arabic): those become "?"
    return json.dumps(study, indent=1, ensure_ascii=False).encode("latin-1", errors="replace")


def _cr_only_text() -> bytes:
    return good_text("NCT99000911").replace("\n", "\r").encode("utf-8")


def _utf16() -> bytes:
    return good_text("NCT99000912").encode("utf-16")


def _pdf() -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def _binary_junk() -> bytes:
    return bytes((i * 7919 + 13) % 256 for i in range(4096))


def _binary_no_nul() -> bytes:
    return bytes(0x80 + (i * 31) % 0x7F for i in range(2048))


def _deep_json() -> bytes:
    return b"[" * 200_000 + b"]" * 200_000


def _huge_number() -> bytes:
    raw = _dumps(good_study("NCT99000913")).decode("utf-8")
    return raw.replace('"count": 42', '"count": ' + "9" * 5000).encode("utf-8")


def _nan_json() -> bytes:
    raw = _dumps(good_study("NCT99000914")).decode("utf-8")
    return raw.replace('"count": 42', '"count": NaN').encode("utf-8")


_XML_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE clinical_study [\n <!ENTITY a "aaaaaaaaaa">\n'
    + b"".join(
        f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(9)
    )
    + b"]>\n<clinical_study><brief_title>&j;</brief_title></clinical_study>\n"
)
_XML_EXTERNAL = (
    b'<?xml version="1.0"?>\n<!DOCTYPE clinical_study [\n'
    b' <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    b"<clinical_study><id_info><nct_id>NCT99000916</nct_id></id_info>"
    b"<brief_title>&xxe;</brief_title></clinical_study>\n"
)


def _xml_deep() -> bytes:
    return b"<clinical_study>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</clinical_study>"


def good_xml(nct: str = "NCT99000917") -> bytes:
    """A harmless, valid legacy ClinicalTrials.gov XML record."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<clinical_study>\n'
        f"  <id_info><nct_id>{nct}</nct_id></id_info>\n"
        "  <brief_title>A harmless legacy record</brief_title>\n"
        "  <overall_status>Completed</overall_status>\n  <phase>Phase 1/Phase 2</phase>\n"
        "</clinical_study>\n"
    ).encode()


def _truncated_text() -> bytes:
    return good_text("NCT99000915").encode("utf-8")[:60]


BROKEN_CASES: list[BrokenCase] = [
    BrokenCase("empty", "empty.json", lambda: b"", "error", 0),
    BrokenCase("whitespace-only", "blank.txt", lambda: b"  \n\t\n\n", "error", 0),
    BrokenCase("truncated-json", "truncated.json", lambda: _dumps(good_study())[:700], "error", 0),
    BrokenCase("json-not-a-study", "other.json", lambda: b'{"hello": "world"}\n', "error", 0),
    BrokenCase("json-empty-array", "none.json", lambda: b"[]\n", "error", 0),
    BrokenCase("json-scalar", "scalar.json", lambda: b'"just a string"\n', "error", 0),
    BrokenCase("json-wrong-types", "types.json", _wrong_types, "error-or-warning"),
    BrokenCase("json-bad-enum-and-date", "enum.json", _bad_enum, "error-or-warning"),
    BrokenCase("json-array-one-bad", "array.json", _array_one_bad, "error", 1),
    BrokenCase("json-deeply-nested", "deep.json", _deep_json, "error", 0),
    BrokenCase("json-huge-number", "bignum.json", _huge_number, "error-or-warning"),
    BrokenCase("json-nan", "nan.json", _nan_json, "error-or-warning"),
    BrokenCase("json-without-nct-id", "no-nct.json", _without_nct, "error", 0),
    BrokenCase("json-bad-nct-id", "bad-nct.json", _bad_nct, "error", 0),
    BrokenCase("text-without-nct-id", "no-nct.txt", _text_without_nct, "error", 0),
    BrokenCase("text-truncated", "cut.txt", _truncated_text, "error-or-warning"),
    BrokenCase("binary-junk", "junk.bin", _binary_junk, "error", 0),
    BrokenCase("binary-without-nul", "junk2.dat", _binary_no_nul, "error", 0),
    BrokenCase("utf16", "utf16.txt", _utf16, "error", 0),
    BrokenCase("csv", "trials.csv", lambda: b"nct_id,title\nNCT01234567,Some trial\n", "error", 0),
    BrokenCase(
        "html-page",
        "page.html",
        lambda: (
            b"<!doctype html>\n<html><head><title>NCT01234567</title></head>"
            b"<body><p>NCT ID: NCT01234567</p></body></html>\n"
        ),
        "error",
        0,
    ),
    BrokenCase("pdf", "record.pdf", _pdf, "error", 0),
    BrokenCase("latin1-text", "latin1.txt", _latin1_text, "error-or-warning"),
    BrokenCase("latin1-json", "latin1.json", _latin1_json, "error-or-warning"),
    BrokenCase("bom-crlf-text", "bom-crlf.txt", _bom_crlf_text, "ok", errors=0),
    BrokenCase("bom-crlf-json", "bom-crlf.json", _bom_crlf_json, "ok", errors=0),
    BrokenCase("cr-only-text", "cr.txt", _cr_only_text, "ok", errors=0),
    BrokenCase("xml-ok", "legacy.xml", good_xml, "ok", errors=0),
    BrokenCase("xml-billion-laughs", "bomb.xml", lambda: _XML_BOMB, "error", 0),
    BrokenCase("xml-external-entity", "xxe.xml", lambda: _XML_EXTERNAL, "error", 0),
    BrokenCase("xml-not-well-formed", "broken.xml", lambda: good_xml()[:-25], "error", 0),
    BrokenCase("xml-deeply-nested", "deep.xml", _xml_deep, "error", 0),
    BrokenCase(
        "xml-wrong-root", "feed.xml", lambda: b'<?xml version="1.0"?>\n<feed/>\n', "error", 0
    ),
    BrokenCase("huge-eligibility", "huge.json", _huge_eligibility, "ok", errors=0),
    BrokenCase("many-locations", "locations.json", _many_locations, "ok", errors=0),
]
