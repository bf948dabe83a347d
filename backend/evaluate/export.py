"""A report as files: a CSV of every answer, and one self-contained HTML page (inline style, inline SVG
chart, no script, nothing fetched). Every text from the data, a model or the user is escaped: an answer
that reads ``<script>`` shows as those characters, and a CSV cell that a spreadsheet would run as a
formula (starting with = + - @) is quoted with a leading apostrophe."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from backend.errors import InvalidInput
from backend.evaluate.report import SCORE_TITLES, Report, verdict


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write(path: Path, writer) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer(handle)
        tmp.replace(path)
    except OSError as exc:
        raise InvalidInput(f"Cannot write “{path}”: {exc.strerror or exc}.", hint="Choose a folder you can write to.") from None
    return path


def write_csv(report: Report, path: str | Path) -> Path:
    """One row per question and candidate: the question, the reference, the answer, its scores, the judge."""
    names = list(report.spec.scores)

    def rows(handle) -> None:
        out = csv.writer(handle)
        out.writerow(["example", "line", "question", "reference", "candidate", "answer", "tool_calls", "error",
                      *names, "judge (fine-tuned model's result)", "prompt_tokens", "completion_tokens", "latency_s"])
        for example in report.examples:
            for row in report.rows:
                entry = report.per_example.get((row.candidate.id, example.index))
                if entry is None:
                    continue
                scores = entry.get("scores", {})
                out.writerow([_cell(v) for v in (
                    example.index, example.line, example.question, example.reference, row.candidate.title,
                    entry.get("text"), entry.get("tool_calls"), entry.get("error"),
                    *[scores.get(n) for n in names], entry.get("judge"), entry.get("prompt_tokens"),
                    entry.get("completion_tokens"), entry.get("latency_s"))])

    return _write(path, rows)


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.4f}"


def _chart(report: Report) -> str:
    """Quality (y) against USD per 1,000 requests (x) as an inline SVG: one labelled dot per candidate."""
    points = [(r.per_1k_usd, report.quality(r), r.candidate.title) for r in report.rows
              if r.per_1k_usd is not None and report.quality(r) is not None]
    if not points:
        return "<p>No candidate has both a score and a price to chart.</p>"
    width, height, pad = 640, 320, 48
    top = max(p[0] for p in points) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - 10}" y2="{height - pad}" stroke="#555"/>',
             f'<line x1="{pad}" y1="10" x2="{pad}" y2="{height - pad}" stroke="#555"/>',
             f'<text x="{width // 2}" y="{height - 10}" text-anchor="middle">USD per 1,000 requests</text>',
             f'<text x="12" y="{height // 2}" transform="rotate(-90 12 {height // 2})" text-anchor="middle">'
             f'{html.escape(SCORE_TITLES.get(report.primary, report.primary or ""))}</text>']
    for cost, quality, title in points:
        x = pad + (width - pad - 20) * cost / top
        y = (height - pad) - (height - pad - 20) * quality
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#2a6fdb"/>'
                     f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-size="12">{html.escape(title)}</text>')
    return "".join(parts) + "</svg>"


def render_html(report: Report) -> str:
    e = html.escape
    names = list(report.spec.scores)
    head = "".join(f"<th>{e(SCORE_TITLES.get(n, n))}</th>" for n in names)
    table = []
    for row in report.rows:
        scores = "".join(f"<td>{'—' if n not in row.scores else f'{row.scores[n]:.2f}'}</td>" for n in names)
        tokens = ("not reported" if row.prompt_tokens is None
                  else f"{row.prompt_tokens:.0f} + {row.completion_tokens:.0f}")
        latency = "—" if row.latency_s is None else f"{row.latency_s:.2f} s"
        table.append(f"<tr><td>{e(row.candidate.title)}</td>{scores}<td>{e(tokens)}</td><td>{latency}</td>"
                     f"<td>{_money(row.per_1k_usd)}</td><td>{e(row.price_note)}</td>"
                     f"<td>{e(verdict(report, row))}</td></tr>")
    examples = []
    for example in report.examples:
        cells = []
        for row in report.rows:
            entry = report.per_example.get((row.candidate.id, example.index)) or {}
            answer = entry.get("error") or entry.get("text") or (str(entry.get("tool_calls")) if entry.get("tool_calls") else "")
            marks = ", ".join(f"{n} {v:.2f}" for n, v in entry.get("scores", {}).items() if v is not None)
            judge = f" · fine-tune {entry['judge']}" if entry.get("judge") else ""
            cells.append(f"<td><div>{e(answer)}</div><small>{e(marks + judge)}</small></td>")
        examples.append(f"<tr><td>{e(example.question)}</td><td>{e(example.reference)}</td>{''.join(cells)}</tr>")
    columns = "".join(f"<th>{e(r.candidate.title)}</th>" for r in report.rows)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>Evaluation {e(report.spec.id)}</title><style>"
            "body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;margin:12px 0}"
            "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;white-space:pre-wrap}"
            "small{color:#555}</style></head><body>"
            f"<h1>Evaluation {e(report.spec.id)}</h1>"
            f"<p>{len(report.examples)} test questions from {e(report.spec.test_path)}.</p>"
            f"<h2>Candidates</h2><table><tr><th>Candidate</th>{head}<th>Tokens per request (prompt + completion)"
            f"</th><th>Latency</th><th>Per 1,000 requests</th><th>Price</th><th>Verdict</th></tr>{''.join(table)}"
            f"</table><h2>Quality against cost</h2>{_chart(report)}"
            f"<h2>Examples</h2><table><tr><th>Question</th><th>Reference</th>{columns}</tr>{''.join(examples)}"
            "</table></body></html>")


def write_html(report: Report, path: str | Path) -> Path:
    text = render_html(report)
    return _write(path, lambda handle: handle.write(text))
