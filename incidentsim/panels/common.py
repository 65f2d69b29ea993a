"""What the panels share: the debounced update, showing a figure as an image."""

from __future__ import annotations

import io
import threading
from typing import Any


def show_figure(output: Any, figure: Any, *, clear: bool = True) -> None:
    """Show ``figure`` in the panel's ``output`` area as a PNG image, whatever matplotlib backend the kernel uses.

    The image is set as the output area's state rather than printed inside ``with output:``: a panel redraws
    from its debounce timer's thread, and output printed there does not reliably reach the area (nor is
    anything printed outside a front end).
    """
    import base64

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    width, height = (int(round(v)) for v in figure.get_size_inches() * figure.dpi)
    shown = {
        "output_type": "display_data",
        "data": {
            "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "text/plain": f"<Figure size {width}x{height}>",
        },
        "metadata": {},
    }
    output.outputs = (shown,) if clear else (*output.outputs, shown)


class Panel:
    """What the panels share: a widget to show, and updates debounced after the controls move."""

    widget: Any
    debounce_s: float
    _timer: threading.Timer | None

    def update(self) -> None:
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _changed(self, _: Any = None) -> None:
        """A control moved: update after ``debounce_s`` of quiet (at once when it is 0)."""
        if self.debounce_s <= 0:
            self.update()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.debounce_s, self.update)
        self._timer.daemon = True
        self._timer.start()
