"""Small Solara building blocks: a live plotly chart, a scenario-file upload field and the
page's own prose."""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipyvue
import markdown
import numpy as np
import plotly
import plotly.graph_objects as go
import solara
import solara.server.settings
import traitlets

_PLOTLY_ASSETS = Path(plotly.__file__).parent / "package_data"
# Serve the plotly.js that ships with the plotly package as a static asset, so that charts work
# offline: /static/assets/plotly.min.js.
if str(_PLOTLY_ASSETS) not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(str(_PLOTLY_ASSETS))


# No "This website runs on Solara" badge: it sits over the charts' titles and the workshop.
solara.server.settings.theme.show_banner = False


@solara.component
def Prose(text: str, classes: list[str] | None = None) -> solara.Element:
    """The dashboard's own Markdown (never a file's text), rendered on the server.

    ``solara.Markdown`` loads KaTeX from Solara's CDN path for maths, which an offline server
    does not have (two 404s and a require.js error on every page); the page has no maths.
    """
    rendered = markdown.markdown(text, extensions=["sane_lists"])
    return solara.HTML(tag="div", unsafe_innerHTML=rendered, classes=["cs-prose", *(classes or [])])


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!>])")  # Python-Markdown's escapes


def literal(text: str) -> str:
    """``text`` (from a file: a scenario's name, a run's label) as Markdown that shows it
    literally inside :func:`Prose`: HTML escaped (no element is made from it) and Markdown's
    punctuation backslash-escaped (no link, image, emphasis, heading or list)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(str(text), quote=False))


class PlotlyView(anywidget.AnyWidget):
    """A plotly chart for a live page: the figure is sent once, then each month only a small
    ``patch`` of new data, which the browser applies with ``Plotly.restyle``.

    plotly's ``FigureWidget`` costs far more per update: it validates every change in Python,
    resends its 5 MB JavaScript bundle with every chart, and echoes every redraw back to the
    server. Here plotly.js (the copy that ships with the plotly package, so it works offline)
    is loaded once per page from ``/static/assets/plotly.min.js``, and nothing comes back but
    clicks.
    """

    _esm = """
function loadPlotly() {
  if (window.Plotly) { return Promise.resolve(window.Plotly); }
  if (!window.__coprodPlotly) {
    const root = (window.solara && window.solara.rootPath) || "";
    // Run plotly.js with 'define' shadowed: the page's AMD loader (require.js) must not see
    // it (plotly would register there instead of setting window.Plotly), and hiding the
    // global 'define' for a while would break other scripts loading meanwhile.
    window.__coprodPlotly = fetch(root + "/static/assets/plotly.min.js")
      .then((response) => response.text())
      .then((code) => { new Function("define", code)(undefined); return window.Plotly; });
  }
  return window.__coprodPlotly;
}

async function render({ model, el }) {
  const Plotly = await loadPlotly();
  const div = document.createElement("div");
  div.style.width = "100%";
  el.appendChild(div);
  const config = { responsive: true, displaylogo: false };
  let ready = Promise.resolve();
  let clicks = false;
  const draw = () => {
    const figure = model.get("figure") || {};
    ready = ready
      .then(() => Plotly.react(div, figure.data || [], figure.layout || {}, config))
      .then(() => {
        if (!clicks) {
          clicks = true;
          div.on("plotly_click", (event) => model.send({
            event: "click",
            points: event.points.map((p) => ({
              curve: p.curveNumber, index: p.pointIndex, customdata: p.customdata ?? null,
            })),
          }));
        }
      });
  };
  const apply = () => {
    const patch = model.get("patch");
    if (!patch || !patch.ops) { return; }
    for (const op of patch.ops) {
      ready = ready.then(() => Plotly.restyle(div, op.update, op.traces));
    }
  };
  draw();
  model.on("change:figure", draw);
  model.on("change:patch", apply);
  // Follow the card's width (Solara never tells a chart that its container resized).
  const resize = () => { ready = ready.then(() => Plotly.Plots.resize(div)); };
  const observer = new ResizeObserver(resize);
  observer.observe(el);
  return () => { observer.disconnect(); Plotly.purge(div); };
}
export default { render };
"""
    figure = traitlets.Dict().tag(sync=True)
    patch = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)


def figure_json(fig: go.Figure) -> dict:
    """A figure as plain JSON data, with plain lists (not plotly's base64 arrays, so that
    the chart's ``data`` in the page holds ordinary arrays) and ``None`` for NaN."""
    return _plain(fig.to_plotly_json())


def _plain(value: Any) -> Any:
    """JSON-ready data: numpy arrays and scalars to lists and numbers, NaN to ``None``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [None if x != x else x for x in value.tolist()]
        return [_plain(x) for x in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:  # plotly's base64 typed array
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return _plain(array)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


Patch = list[tuple[dict[str, Any], list[int]]]
"""Restyle operations: (update, trace indices), as ``Plotly.restyle(div, update, traces)``."""


@solara.component
def LiveFigure(
    build: Callable[[], go.Figure],
    refresh: Callable[[], Patch],
    build_key: Any,
    refresh_key: Any,
    on_click: Callable[[list[dict]], None] | None = None,
) -> solara.Element:
    """A plotly chart built when ``build_key`` changes and patched in place with
    ``refresh()`` when ``refresh_key`` changes; ``on_click(points)`` gets clicked points
    (``curve``, ``index``, ``customdata``)."""

    clicked = solara.use_ref(on_click)
    clicked.current = on_click  # the latest callback, without reconnecting

    def message(_widget: Any, content: dict, _buffers: Any) -> None:
        if content.get("event") == "click" and clicked.current is not None:
            clicked.current(list(content.get("points") or []))

    element = PlotlyView.element()

    def connect() -> Callable[[], None]:
        widget = solara.get_widget(element)
        widget.on_msg(message)
        return lambda: widget.on_msg(message, remove=True)

    def rebuild() -> None:
        solara.get_widget(element).figure = figure_json(build())

    def update() -> None:
        ops = refresh()
        if ops:
            ops_json = [{"update": _plain(u), "traces": list(t)} for u, t in ops]
            solara.get_widget(element).patch = {"ops": ops_json, "key": repr(refresh_key)}

    solara.use_effect(connect, [])
    solara.use_effect(rebuild, [build_key])
    solara.use_effect(update, [refresh_key])
    return element


@solara.component
def Figure(fig: go.Figure) -> solara.Element:
    """A plotly chart that does not change (like ``solara.FigurePlotly``, lighter to load)."""
    return LiveFigure(lambda: fig, list, build_key=id(fig), refresh_key=0)


class _UploadField(ipyvue.VueTemplate):
    """A file field that reads the chosen file in the browser and sends its name, size and
    bytes, base64-encoded (never a path). Files over ``max_bytes`` are not read: only name
    and size go."""

    template = traitlets.Unicode(
        """
<template>
  <label class="cs-upload">
    <span class="cs-upload-label">{{ label }}</span>
    <input type="file" accept=".toml,text/plain,application/toml" class="cs-upload-input"
           @change="pick" />
  </label>
</template>
<script>
module.exports = {
  methods: {
    pick(event) {
      const input = event.target;
      const file = input.files && input.files[0];
      if (!file) { return; }
      const send = (data) => {
        this.picked = {name: file.name, size: file.size, data: data, nonce: Date.now()};
        input.value = '';
      };
      if (file.size > this.max_bytes) { send(null); return; }
      // The bytes as they are (base64), not file.text(): the server decodes them as the
      // CLI does, so that a UTF-16 file is refused in both instead of decoded here.
      file.arrayBuffer().then((buffer) => {
        const bytes = new Uint8Array(buffer);
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) {
          binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        }
        send(btoa(binary));
      });
    }
  }
}
</script>
<style>
.cs-upload { display: block; cursor: pointer; }
.cs-upload-label { display: block; font-size: .85rem; margin-bottom: 2px; }
.cs-upload-input { font-size: .85rem; max-width: 100%; }
</style>
"""
    ).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    max_bytes = traitlets.Int(0).tag(sync=True)
    picked = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)


@solara.component
def UploadField(
    label: str, max_bytes: int, on_file: Callable[[str, int, bytes | None], None]
) -> solara.Element:
    """A file field; ``on_file(name, size, data)`` gets the file's bytes (``data`` is
    ``None`` when the file is over ``max_bytes``)."""

    def picked(value: dict | None) -> None:
        if value:
            data = uploaded_bytes(value.get("data"))
            on_file(str(value.get("name") or ""), int(value.get("size") or 0), data)

    return _UploadField.element(label=label, max_bytes=max_bytes, on_picked=picked)


def uploaded_bytes(data: object) -> bytes | None:
    """The bytes the upload field sent (base64), or None if it sent none or not base64
    (only a client other than the page's own script could send that)."""
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        return None


class _FrameClock(ipyvue.VueTemplate):
    """Reports back which redraw the browser has painted (two animation frames after the
    redraw's messages), so that playing never runs ahead of what the page can draw."""

    template = traitlets.Unicode(
        """
<template>
  <span class="cs-frame" :data-frame="frame" :data-drawn="drawn" style="display: none"></span>
</template>
<script>
module.exports = {
  watch: {
    frame(value) {
      requestAnimationFrame(() => requestAnimationFrame(() => { this.drawn = value; }));
    }
  }
}
</script>
"""
    ).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    drawn = traitlets.Int(0).tag(sync=True)


@solara.component
def FrameClock(frame: int, on_drawn: Callable[[int], None]) -> solara.Element:
    """Place it after the charts: ``frame`` is sent after their redraws (effects run in
    order), and ``on_drawn(frame)`` is called once the browser has painted it."""
    element = _FrameClock.element(on_drawn=on_drawn)

    def send() -> None:
        solara.get_widget(element).frame = frame

    solara.use_effect(send, [frame])
    return element
