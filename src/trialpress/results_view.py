"""Posted results as tables: rows of cells with groups as columns, ready for templates.

The registry nests results as groups, classes, categories and measurements referring to
groups by ID. Templates should only lay out rows, so this module lines every value up
under its group's column once, for the site's results page (and any other output that
wants the same tables). Values are shown as the registry gives them; nothing is computed
but the joining of a value with its spread or interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from trialpress.labels import enum_label
from trialpress.models import (
    AdverseEvent,
    AdverseEvents,
    BaselineMeasure,
    Denom,
    FlowPeriod,
    FlowStats,
    MeasureClass,
    Measurement,
    OutcomeMeasureResult,
    ResultGroup,
)


@dataclass(frozen=True)
class Cell:
    """What one group shows in one row: the value as given, and a note (a comment)."""

    text: str
    note: str | None = None


@dataclass(frozen=True)
class Row:
    """A table row; a ``heading`` row spans the group columns and heads the rows below it."""

    header: str
    cells: list[Cell | None] = field(default_factory=list)
    heading: bool = False
    level: int = 0


@dataclass(frozen=True)
class Table:
    """One results table: its caption parts, the group columns and the rows."""

    caption: str
    detail: str
    groups: list[ResultGroup]
    rows: list[Row]


def measurement_text(m: Measurement) -> str:
    """``43.0 (12.1)`` with a spread, ``12 (10 to 18)`` with limits, else the value."""
    value = m.value if m.value is not None else "–"
    if m.spread is not None:
        return f"{value} ({m.spread})"
    if m.lower_limit is not None or m.upper_limit is not None:
        return f"{value} ({m.lower_limit or '–'} to {m.upper_limit or '–'})"
    return value


def _columns(groups: list[ResultGroup], by_id: dict[str, Cell]) -> list[Cell | None]:
    return [by_id.get(g.id) for g in groups]


def _measured(groups: list[ResultGroup], items: Iterable[Measurement]) -> list[Cell | None]:
    return _columns(groups, {m.group_id: Cell(measurement_text(m), m.comment) for m in items})


def _denom_rows(groups: list[ResultGroup], denoms: list[Denom], level: int = 0) -> list[Row]:
    return [
        Row(
            f"Number analysed ({d.units or 'participants'})",
            _columns(groups, {c.group_id: Cell(c.value) for c in d.counts}),
            level=level,
        )
        for d in denoms
    ]


def _class_rows(groups: list[ResultGroup], classes: list[MeasureClass], fallback: str) -> list[Row]:
    rows: list[Row] = []
    for cls in classes:
        titled = any(cat.title for cat in cls.categories)
        if cls.title and (titled or len(cls.categories) > 1):
            rows.append(Row(cls.title, heading=True))
            rows.extend(_denom_rows(groups, cls.denoms, level=1))
            for cat in cls.categories:
                rows.append(
                    Row(cat.title or cls.title, _measured(groups, cat.measurements), level=1)
                )
            continue
        rows.extend(_denom_rows(groups, cls.denoms))
        for cat in cls.categories:
            header = cat.title or cls.title or fallback
            rows.append(Row(header, _measured(groups, cat.measurements)))
    return rows


def _statistic(param: object, dispersion: object, unit: str | None) -> str:
    """``Mean (standard deviation); unit: years``: what the numbers in the cells are."""
    parts = []
    if param:
        parts.append(enum_label(param))
    if dispersion and str(dispersion) != "NA":
        text = enum_label(dispersion) if str(dispersion).isupper() else str(dispersion)
        parts[-1:] = [f"{parts[-1]} ({text.lower()})" if parts else text]
    if unit:
        parts.append(f"unit: {unit}")
    return "; ".join(parts)


def baseline_table(groups: list[ResultGroup], measure: BaselineMeasure) -> Table:
    """One baseline characteristic by group."""
    detail = _statistic(measure.param_type, measure.dispersion_type, measure.unit_of_measure)
    rows = _denom_rows(groups, measure.denoms)
    rows += _class_rows(groups, measure.classes, enum_label(measure.param_type or "value"))
    return Table(measure.title, detail, groups, rows)


def baseline_overall(groups: list[ResultGroup], denoms: list[Denom]) -> Table:
    """The baseline's overall numbers analysed."""
    return Table("Overall number of baseline participants", "", groups, _denom_rows(groups, denoms))


def outcome_table(outcome: OutcomeMeasureResult) -> Table:
    """One outcome measure: number analysed, then its values by group."""
    groups = outcome.groups
    detail = _statistic(outcome.param_type, outcome.dispersion_type, outcome.unit_of_measure)
    rows = _denom_rows(groups, outcome.denoms)
    rows += _class_rows(groups, outcome.classes, enum_label(outcome.param_type or "value"))
    return Table(outcome.title, detail, groups, rows)


def _flow_cells(groups: list[ResultGroup], stats: list[FlowStats]) -> list[Cell | None]:
    by_id = {}
    for s in stats:
        text = s.num_subjects if s.num_subjects is not None else "–"
        if s.num_units is not None:
            text += f" ({s.num_units} units)"
        by_id[s.group_id] = Cell(text, s.comment)
    return _columns(groups, by_id)


def flow_table(groups: list[ResultGroup], period: FlowPeriod, title: str) -> Table:
    """One period of the participant flow: milestones, then reasons for leaving."""
    rows = [
        Row(m.type.title() if m.type.isupper() else m.type, _flow_cells(groups, m.achievements))
        for m in period.milestones
    ]
    if period.drop_withdraws:
        rows.append(Row("Reasons for not completing", heading=True))
        rows += [
            Row(d.type, _flow_cells(groups, d.reasons), level=1) for d in period.drop_withdraws
        ]
    return Table(period.title or title, "participants", groups, rows)


def ae_groups(ae: AdverseEvents) -> list[ResultGroup]:
    """The adverse-event groups as table columns."""
    return [ResultGroup(id=g.id, title=g.title, description=g.description) for g in ae.event_groups]


def _ratio(affected: int | None, at_risk: int | None) -> str:
    return f"{'–' if affected is None else affected} / {'–' if at_risk is None else at_risk}"


def ae_totals(ae: AdverseEvents) -> Table:
    """Participants affected / at risk per group: deaths, serious and other events."""
    groups = ae_groups(ae)
    rows = []
    for label, prefix in (
        ("Deaths (all causes)", "deaths"),
        ("Serious adverse events", "serious"),
        ("Other adverse events", "other"),
    ):
        by_id = {}
        for g in ae.event_groups:
            affected = getattr(g, f"{prefix}_num_affected")
            at_risk = getattr(g, f"{prefix}_num_at_risk")
            if affected is not None or at_risk is not None:
                by_id[g.id] = Cell(_ratio(affected, at_risk))
        if by_id:
            rows.append(Row(label, _columns(groups, by_id)))
    return Table("Participants affected / at risk", "totals", groups, rows)


def ae_table(ae: AdverseEvents, events: list[AdverseEvent], caption: str) -> Table:
    """Events by organ system, each with affected / at risk (and events) per group."""
    groups = ae_groups(ae)
    rows: list[Row] = []
    systems: dict[str, list[AdverseEvent]] = {}
    for event in events:
        systems.setdefault(event.organ_system or "Organ system not given", []).append(event)
    for system, members in systems.items():
        rows.append(Row(system, heading=True))
        for event in members:
            by_id = {
                s.group_id: Cell(
                    _ratio(s.num_affected, s.num_at_risk),
                    None
                    if s.num_events is None
                    else f"{s.num_events} event{'' if s.num_events == 1 else 's'}",
                )
                for s in event.stats
            }
            rows.append(Row(event.term, _columns(groups, by_id), level=1))
    return Table(caption, "affected / at risk", groups, rows)
