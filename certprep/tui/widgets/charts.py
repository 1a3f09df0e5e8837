"""Charts a learner reads at a glance: axes, labels and a pass line, drawn by plotext.

`Chart` is a PlotextPlot that is told what to draw (a bar chart, grouped bars, a line with a
horizontal reference) and redraws itself at its size. With no data it draws nothing: the
screen says so in words instead (never a chart of full blocks)."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot


class Chart(PlotextPlot):
    """A titled chart with axes; call one of the ``show_*`` methods with plain numbers."""

    DEFAULT_CSS = """
    Chart { height: 14; margin: 0 2; }
    Chart.empty { display: none; }
    """

    values: list[float] = []

    def _start(self, title: str, ylabel: str) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        plt.ylabel(ylabel)
        plt.frame(True)

    def _finish(self, has_data: bool) -> None:
        self.set_class(not has_data, "empty")
        self.refresh()

    def show_bars(
        self, labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str = ""
    ) -> None:
        """One bar per label (days, sections)."""
        self.values = list(values)  # what is drawn, for whoever reads it back
        self._start(title, ylabel)
        if labels and any(values):
            xs = list(range(len(labels)))
            self.plt.bar(xs, list(values), marker="hd")
            step = max(1, len(labels) // 6)  # a few readable ticks, not one per bar
            ticks = xs[::step]
            self.plt.xticks([float(t) for t in ticks], [labels[i] for i in ticks])
        self._finish(bool(labels) and any(values))

    def show_grouped(
        self,
        labels: Sequence[str],
        series: dict[str, Sequence[float]],
        *,
        title: str,
        ylabel: str = "",
        ylim: tuple[float, float] | None = None,
    ) -> None:
        """Several bars per label, one per named series (accuracy and memory per section)."""
        self._start(title, ylabel)
        names = list(series)
        has = bool(labels) and any(any(v) for v in series.values())
        if has:
            # plotext's stub says label=, the function takes labels=
            self.plt.multiple_bar(  # type: ignore[call-arg]
                list(labels), [list(series[n]) for n in names], labels=names, marker="hd"
            )
            if ylim:
                self.plt.ylim(*ylim)
        self._finish(has)

    def show_line(
        self,
        xs: Sequence[int],
        ys: Sequence[float],
        *,
        title: str,
        ylabel: str = "",
        reference: float | None = None,
        reference_label: str = "",
        ylim: tuple[float, float] | None = None,
    ) -> None:
        """A line with its points marked, and a horizontal reference (the pass mark)."""
        self._start(title, ylabel)
        if xs:
            self.plt.plot(list(xs), list(ys), marker="dot", label="score")
            self.plt.xticks([float(x) for x in xs])
            if reference is not None:
                self.plt.hline(reference, "red")
                self.plt.text(reference_label, x=xs[0], y=reference)
            if ylim:
                self.plt.ylim(*ylim)
        self._finish(bool(xs))
