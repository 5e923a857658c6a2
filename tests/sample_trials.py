"""Realistic Trial objects built in Python, so site tests do not depend on the readers.

Values follow the two registry-text examples (POLAR NCT03820830 and PALMIRA NCT03809988):
nested criteria with source numbering that starts at 2, many locations in several
countries, related trials pointing at each other, a reference with PMID and DOI, a
EudraCT number and non-ASCII text. ``hostile_trial()`` carries injection attempts in
every text field.
"""

from __future__ import annotations

from trialpress.models import (
    Arm,
    Criterion,
    Design,
    Eligibility,
    Enrollment,
    Identifier,
    Intervention,
    Location,
    Official,
    ReadWarning,
    Reference,
    RelatedTrial,
    Source,
    Sponsor,
    Trial,
)

POLAR_ID = "NCT03820830"
PALMIRA_ID = "NCT03809988"

_CITIES = [
    ("Graz", "Austria"),
    ("Innsbruck", "Austria"),
    ("Besançon", "France"),
    ("Paris", "France"),
    ("Münster", "Germany"),
    ("Milan", "Italy"),
    ("Ljubljana", "Slovenia"),
    ("A Coruña", "Spain"),
    ("Málaga", "Spain"),
    ("Barcelona", "Spain"),
    ("Valencia", "Spain"),
    ("Zaragoza", "Spain"),
    ("Glasgow", "United Kingdom"),
    ("London", "United Kingdom"),
]


def _locations(n: int) -> list[Location]:
    return [
        Location(
            facility=f"Hôpital Universitaire {i + 1}",
            city=_CITIES[i % len(_CITIES)][0],
            country=_CITIES[i % len(_CITIES)][1],
        )
        for i in range(n)
    ]


def polar() -> Trial:
    """POLAR-like: inclusion starts with bullets then item 2, run-on item ``8.-10.``."""
    locations = _locations(40)
    return Trial(
        nct_id=POLAR_ID,
        title="Palbociclib for HR Positive / HER2-negative Isolated Locoregional Recurrence "
        "of Breast Cancer",
        official_title="A Randomized Phase III Trial of Palbociclib (POLAR)",
        acronym="POLAR",
        status="ACTIVE_NOT_RECRUITING",
        phases=["PHASE3"],
        study_type="INTERVENTIONAL",
        enrollment=Enrollment(count=405, type="ACTUAL"),
        start_date="2019-08-27",
        start_date_type="ACTUAL",
        completion_date="2029-01",
        completion_date_type="ESTIMATED",
        last_updated="2025-03-07",
        has_results=False,
        conditions=["Breast Cancer", "Locoregional Recurrence"],
        keywords=["palbociclib", "CDK4/6"],
        summary="During this study, anti-hormone therapy will consist of either a SERM "
        "(such as tamoxifen) or fulvestrant (Faslodex®).\nIt is standard of care.",
        description="Adjuvant chemotherapy reduces the risk of relapse.\n"
        "The CALOR trial (IBCSG 27-02 / BIG 1-02) confirmed this.",
        design=Design(
            allocation="RANDOMIZED",
            intervention_model="PARALLEL",
            primary_purpose="TREATMENT",
            masking="NONE",
        ),
        arms=[
            Arm(
                label="Palbociclib plus standard endocrine therapy",
                type="EXPERIMENTAL",
                description="Palbociclib 125 mg/day for 21 days, then 7 days rest.",
                interventions=["Palbociclib 125mg", "Standard endocrine therapy"],
            ),
            Arm(
                label="Standard endocrine therapy",
                type="ACTIVE_COMPARATOR",
                description="Aromatase inhibitor or SERM.",
                interventions=["Standard endocrine therapy"],
            ),
        ],
        interventions=[
            Intervention(
                name="Palbociclib 125mg",
                type="DRUG",
                description="Palbociclib 125 mg oral tablet",
                other_names=["Ibrance"],
            ),
            Intervention(name="Standard endocrine therapy", type="DRUG"),
        ],
        eligibility=Eligibility(
            minimum_age="18 Years",
            sex="ALL",
            healthy_volunteers=False,
            inclusion=[
                Criterion(number=None, text="breast;"),
                Criterion(number=None, text="the chest wall including mastectomy scar;"),
                Criterion(
                    number="2",
                    text="Completion of locoregional therapy:",
                    children=[
                        Criterion(text="completion of gross excision of recurrence;"),
                        Criterion(text="completion of radiotherapy (if given)"),
                    ],
                ),
                Criterion(number="3", text="Negative or microscopically involved margins"),
                Criterion(number="6", text="ER+ and/or PgR+ ≥1% by IHC"),
                Criterion(number="8.-10.", text="Normal hematological, renal, and liver function"),
                Criterion(number="13", text="Written Informed Consent prior to randomization"),
            ],
            exclusion=[
                Criterion(number="2", text="Evidence of distant metastasis"),
                Criterion(number="3", text="Bilateral synchronous invasive breast cancer"),
                Criterion(
                    number="5",
                    text="Patients with a history of malignancy, with the following exceptions:",
                    children=[
                        Criterion(text="disease-free for at least 5 years"),
                        Criterion(text="ductal carcinoma in situ of the breast"),
                    ],
                ),
                Criterion(number="6", text="Previous treatment with palbociclib"),
            ],
            raw_text="Inclusion Criteria\n* breast;\n...",
        ),
        sponsors=[
            Sponsor(name="ETOP IBCSG Partners Foundation", agency_class="NETWORK", lead=True),
            Sponsor(name="Pfizer", agency_class="INDUSTRY", lead=False),
        ],
        officials=[
            Official(
                name="Elisabetta Munzone, MD",
                role="STUDY_CHAIR",
                affiliation="European Institute of Oncology",
            )
        ],
        locations=locations,
        countries=list(dict.fromkeys(loc.country for loc in locations if loc.country)),
        references=[
            Reference(
                citation="Aebi S, et al. Chemotherapy for isolated locoregional recurrence "
                "of breast cancer (CALOR). Lancet Oncol. 2014;15(2):156-63. "
                "doi: 10.1016/S1470-2045(13)70589-8.",
                pmid="24439313",
                type="BACKGROUND",
            )
        ],
        identifiers=[
            Identifier(id="IBCSG 59-19", source="org_study_id"),
            Identifier(id="2018-002998-21", type="EUDRACT_NUMBER", source="secondary_id"),
        ],
        related_trials=[
            RelatedTrial(nct_id=PALMIRA_ID, title="PALbociclib Rechallenge (PALMIRA)"),
            RelatedTrial(nct_id="NCT03280303", title="Palbociclib in Real World Practice"),
        ],
        source=Source(format="registry-text", path="examples/records/NCT03820830.txt"),
        warnings=[
            ReadWarning(
                code="list-starts-late",
                message="inclusion list starts at item 2 in the source",
                line=71,
            )
        ],
    )


def palmira() -> Trial:
    """PALMIRA-like: inclusion 2 has sub-items 1-3, then the outer list resumes."""
    locations = _locations(53)
    return Trial(
        nct_id=PALMIRA_ID,
        title="PALbociclib Rechallenge in horMone Receptor-posItive/HER2- Negative Advanced "
        "Breast Cancer",
        acronym="PALMIRA",
        status="COMPLETED",
        phases=["PHASE2"],
        study_type="INTERVENTIONAL",
        enrollment=Enrollment(count=198, type="ACTUAL"),
        start_date="2019-01",
        completion_date="2024-12",
        last_updated="2025-06-04",
        has_results=True,
        conditions=["Breast Cancer", "Hormone receptor-positive (HR+)"],
        summary="Second-line endocrine therapy with or without palbociclib.",
        design=Design(allocation="RANDOMIZED", intervention_model="PARALLEL"),
        arms=[
            Arm(
                label="Palbociclib + ET",
                type="EXPERIMENTAL",
                interventions=["Palbociclib", "Fulvestrant"],
            )
        ],
        interventions=[
            Intervention(name="Palbociclib", type="DRUG"),
            Intervention(name="Fulvestrant", type="DRUG"),
        ],
        eligibility=Eligibility(
            minimum_age="18 Years",
            maximum_age="99 Years",
            sex="FEMALE",
            healthy_volunteers=False,
            inclusion=[
                Criterion(
                    number="2",
                    text="Patients must have:",
                    children=[
                        Criterion(number="1", text="HR-positive tumour"),
                        Criterion(number="2", text="HER2-negative tumour"),
                        Criterion(number="3", text="Measurable disease per RECIST 1.1"),
                    ],
                ),
                Criterion(number="3", text="Age ≥ 18 years"),
            ],
            exclusion=[
                Criterion(number="1", text="Prior chemotherapy for advanced disease"),
                Criterion(
                    number="17",
                    text="Any of the following within 6 months:",
                    children=[Criterion(text="myocardial infarction")],
                ),
            ],
            other=[Criterion(text="Investigator's discretion applies.")],
        ),
        sponsors=[Sponsor(name="MedSIR", agency_class="INDUSTRY", lead=True)],
        officials=[Official(name="Javier Cortés", role="PRINCIPAL_INVESTIGATOR")],
        locations=locations,
        countries=list(dict.fromkeys(loc.country for loc in locations if loc.country)),
        references=[
            Reference(
                citation="Llombart-Cussac A, et al. PALMIRA Trial. J Clin Oncol. "
                "2025;43(18):2084-2093. doi: 10.1200/JCO-24-01865. Epub 2025 Apr 28.",
                type="RESULT",
            )
        ],
        identifiers=[
            Identifier(id="2017-002781-48", type="EUDRACT_NUMBER", source="secondary_id"),
            Identifier(id="MedOPP068", source="org_study_id"),
        ],
        related_trials=[RelatedTrial(nct_id=POLAR_ID, title="POLAR")],
        source=Source(format="registry-text", path="examples/records/NCT03809988.txt"),
    )


#: Hostile strings, each of which must appear literally and inert on every page.
HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "[link](javascript:alert(3))",
    "![img](https://evil.example/x.png)",
    "# Heading injected",
    "| a | b |\n|---|---|\n| c | d |",
    "```\ncode block\n```",
    "<!-- comment -->",
    "---\ntitle: front matter\n---",
    "{{ config.site_name }} {% raw %}x{% endraw %}",
    '!!! warning "Admonition"\n    body',
    '--8<-- "/etc/passwd"',
    "text {: .evil #id onclick=alert(4) }",
    "<a href='data:text/html,<script>alert(5)</script>'>x</a>",
    "W" * 400,
    "مرحبا بالعالم עברית",
    "emoji 🧬💊",
    "ctrl\x00\x07\x1b[31m",
    "line one\n\nline two after blank",
    "&lt;already&gt; &amp; escaped",
    "</script><script>alert(6)</script>",
]


def hostile_trial(nct_id: str = "NCT09999999") -> Trial:
    """A trial whose every text field carries the :data:`HOSTILE` strings."""
    joined = " ".join(HOSTILE)
    return Trial(
        nct_id=nct_id,
        title=HOSTILE[0] + " " + HOSTILE[9],
        acronym=HOSTILE[4],
        official_title=joined,
        status="RECRUITING",
        phases=["PHASE1", "PHASE2"],
        study_type="INTERVENTIONAL",
        enrollment=Enrollment(count=10, type="ESTIMATED"),
        start_date="2024",
        last_updated="2024-12",
        conditions=[*HOSTILE[:3], "Breast Cancer"],
        keywords=HOSTILE[:2],
        summary="\n".join(HOSTILE),
        description=joined,
        arms=[Arm(label=h, description=h, interventions=[h]) for h in HOSTILE[:4]],
        interventions=[Intervention(name=h, description=h, other_names=[h]) for h in HOSTILE[:4]],
        eligibility=Eligibility(
            minimum_age=HOSTILE[1],
            inclusion=[
                Criterion(number=str(i + 1), text=h, children=[Criterion(number="a", text=h)])
                for i, h in enumerate(HOSTILE)
            ],
            exclusion=[Criterion(number=h[:10], text=h) for h in HOSTILE],
            other=[Criterion(text=HOSTILE[10])],
        ),
        sponsors=[Sponsor(name=h) for h in HOSTILE[:5]],
        officials=[Official(name=h, affiliation=h) for h in HOSTILE[:3]],
        locations=[Location(facility=h, city=h, country=h) for h in HOSTILE],
        countries=list(HOSTILE),
        references=[Reference(citation=h + " doi: 10.1/x<y", pmid=h) for h in HOSTILE[:3]],
        identifiers=[Identifier(id=h, type="EUDRACT_NUMBER") for h in HOSTILE[:3]],
        related_trials=[RelatedTrial(nct_id=POLAR_ID, title=HOSTILE[0])],
        source=Source(format="ctgov-json", path="hostile.json"),
        warnings=[ReadWarning(code="x", message=h) for h in HOSTILE[:3]],
    )


def sample_trials() -> list[Trial]:
    """POLAR and PALMIRA, linked to each other."""
    return [polar(), palmira()]
