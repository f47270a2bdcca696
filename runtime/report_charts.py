"""`leadflow report`, step three: the charts, as Vega-Lite specs drawn to inline SVG.

vl-convert (the Vega project's converter, with Vega-Lite and a JavaScript
engine built in) draws each spec at generation time, so the report holds plain
SVG: it opens offline, with no script library and no network. Text in the SVG
is escaped by Vega, so a hostile template name shows as text.

A chart with no data is not drawn; the template says "nothing to show" instead.
"""

from __future__ import annotations

from typing import Any

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"  # the spec's dialect, never fetched
WIDTH = 520  # px: two charts side by side fit a 1366 px wide laptop screen
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
KIND_COLORS = {"send": "#4c78a8", "suppressed": "#e45756", "cancelled": "#f58518",
               "notify": "#72b7b2"}


class ChartsUnavailable(Exception):
    """vl-convert-python is not installed (the `report` extra)."""


def converter() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise ChartsUnavailable("leadflow report needs the charts library: "
                                "pip install 'leadflow[report]' (vl-convert-python)") from None
    return vl_convert


def spec(data: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    return {"$schema": VEGA_LITE, "data": {"values": data}, "width": WIDTH,
            "config": {"font": FONT, "view": {"stroke": None},
                       "axis": {"labelLimit": 220, "labelFontSize": 11, "titleFontSize": 12},
                       "legend": {"labelLimit": 220}},
            **body}


def stage_color(stages: tuple[str, ...]) -> dict[str, Any]:
    """One color per stage, the same in every chart, in the ruleset's order."""
    return {"field": "stage", "type": "nominal", "sort": list(stages),
            "scale": {"domain": list(stages)} if stages else {}, "title": "stage"}


def funnel_spec(rows: list[dict[str, Any]], stages: tuple[str, ...]) -> dict[str, Any]:
    return spec(rows, height=max(60, 34 * len(rows)), mark={"type": "bar", "tooltip": True},
                encoding={"y": {"field": "stage", "type": "nominal", "sort": [r["stage"] for r in rows],
                                "title": None},
                          "x": {"field": "leads", "type": "quantitative", "title": "leads now"},
                          "color": {**stage_color(stages), "legend": None}})


def weekly_transitions_spec(rows: list[dict[str, Any]], stages: tuple[str, ...]) -> dict[str, Any]:
    return spec(rows, height=220, mark={"type": "bar", "tooltip": True},
                encoding={"x": {"field": "week", "type": "ordinal", "title": "week (Monday)",
                                "axis": {"labelAngle": -60, "labelOverlap": True}},
                          "y": {"field": "n", "type": "quantitative", "title": "leads entering",
                                "aggregate": "sum"},
                          "color": {**stage_color(stages), "field": "to", "title": "to stage"}})


def score_histogram_spec(rows: list[dict[str, Any]], score: str,
                         stages: tuple[str, ...]) -> dict[str, Any]:
    shown = [s for s in stages if any(r["stage"] == s for r in rows)] or ["(all leads)"]
    return spec(rows, height=max(50, 160 // len(shown)),
                mark={"type": "bar", "tooltip": True, "binSpacing": 1},
                encoding={"x": {"field": "bin_start", "type": "quantitative", "bin": {"binned": True},
                                "title": score},
                          "x2": {"field": "bin_end"},
                          "y": {"field": "leads", "type": "quantitative", "title": "leads",
                                "axis": {"tickCount": 3}},
                          "row": {"field": "stage", "type": "nominal", "sort": shown,
                                  "title": None, "header": {"labelAngle": 0, "labelAlign": "left"}},
                          "color": {**stage_color(stages), "legend": None}},
                resolve={"scale": {"y": "independent"}})


def points_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return spec(rows, height=max(60, 22 * len(rows)), mark={"type": "bar", "tooltip": True},
                encoding={"y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
                          "x": {"field": "points", "type": "quantitative", "title": "points given"},
                          "color": {"condition": {"test": "datum.points < 0", "value": "#e45756"},
                                    "value": "#4c78a8"}})


def weekly_kinds_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = [k for k in KIND_COLORS if any(r.get("kind") == k for r in rows)]
    return spec(rows, height=220, mark={"type": "bar", "tooltip": True},
                encoding={"x": {"field": "week", "type": "ordinal", "title": "week (Monday)",
                                "axis": {"labelAngle": -60, "labelOverlap": True}},
                          "y": {"field": "n", "type": "quantitative", "aggregate": "sum",
                                "title": "actions"},
                          "color": {"field": "kind", "type": "nominal", "title": "kind",
                                    "scale": {"domain": kinds,
                                              "range": [KIND_COLORS[k] for k in kinds]}}})


def template_heatmap_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    sends = [r for r in rows if r.get("kind") == "send"]
    templates = sorted({r["template"] for r in sends})
    return spec(sends, height=max(60, 18 * len(templates)), mark={"type": "rect", "tooltip": True},
                encoding={"x": {"field": "week", "type": "ordinal", "title": "week (Monday)",
                                "axis": {"labelAngle": -60, "labelOverlap": True}},
                          "y": {"field": "template", "type": "nominal", "title": None},
                          "color": {"field": "n", "type": "quantitative", "title": "sends",
                                    "scale": {"scheme": "blues"}}})


def draw(chart: dict[str, Any]) -> str:
    """The chart as an SVG element (text, not an image: it scales and can be searched)."""
    return converter().vegalite_to_svg(chart)
