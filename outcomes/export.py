"""CSV export of a disclosed report: the same strings as the page, never an exact number.

One file holds every table (or one, by key): a short header (organisation, range, the
disclosure legend), then per table a title line, the header row, the rows, the totals and, for
tables with group sizes, the percentages. Spreadsheet formula injection is not possible: every
value is a label we wrote, a count, "*", or a percentage, and labels are neutralised anyway.
"""

from __future__ import annotations

import csv
import io

from outcomes.disclosure import DisclosedReport, DisclosedTable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def disclosed_report_csv(report: DisclosedReport, *, table_key: str | None = None) -> str:
    tables = [report.table(table_key)] if table_key else report.tables
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Organisation", _safe(report.organisation_name)])
    writer.writerow(["From", report.start.isoformat()])
    writer.writerow(["To", report.end.isoformat()])
    writer.writerow(["Time zone", report.time_zone])
    if report.rollup_through:
        writer.writerow(["Figures up to", report.rollup_through.isoformat()])
    writer.writerow(["Note", report.legend])
    for table in tables:
        writer.writerow([])
        _write_table(writer, table)
    return buffer.getvalue()


def _write_table(writer, table: DisclosedTable) -> None:
    writer.writerow([_safe(table.title)])
    for row in table.as_rows():
        writer.writerow([_safe(value) for value in row])
    if table.percentages is not None:
        writer.writerow([_safe(f"{table.title}: percent of group")])
        writer.writerow(["", *[_safe(c) for c in table.columns]])
        for label, row in zip(table.rows, table.percentages, strict=True):
            writer.writerow([_safe(label), *row])
    if table.note:
        writer.writerow(["Note", table.note])
