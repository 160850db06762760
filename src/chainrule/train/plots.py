"""The pictures of a training run: learning curves, confusion matrix, test samples, decision regions.

Drawn with matplotlib's object-oriented API on figures of their own (no ``pyplot``
state, so nothing opens a window and nothing leaks between calls), rendered by the Agg
backend to PNG bytes and written atomically: a picture on disk is complete or absent.
"""
from __future__ import annotations

import io

import numpy as np

from ..serialization import write_atomic

MISTAKE_COLOUR = "#d62728"        # matplotlib's red
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    write_atomic(path, buffer.getvalue())


def softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise :math:`e^{z_k} / \sum_j e^{z_j}`, shifted by the row maximum (no overflow);
    one logit per row is a binary classifier's, giving ``[1 - σ(z), σ(z)]``."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim == 1 or z.shape[1] == 1:
        z = np.stack([np.zeros(z.shape[0]), z.reshape(-1)], axis=1)
    exponentials = np.exp(z - z.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def plot_curves(records, path, title: str = "") -> None:
    """Loss, and accuracy when logged, per epoch: training and validation side by side."""
    epochs = [r["epoch"] for r in records]
    panels = [("loss", "loss")]
    if any("accuracy" in r for r in records):
        panels.append(("accuracy", "accuracy"))
    figure = _figure(5.2 * len(panels), 3.6)
    for k, (key, label) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), k + 1)
        for prefix, name, colour in (("", "training", TRAIN_COLOUR), ("val_", "validation", VALIDATION_COLOUR)):
            values = [r.get(prefix + key) for r in records]
            if any(v is not None for v in values):
                axes.plot(epochs, values, marker="o", markersize=3, color=colour, label=name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        if key == "loss":
            axes.set_yscale("log")
        else:
            axes.yaxis.set_major_formatter(_percent())
        axes.grid(True, alpha=0.3)
        axes.legend()
        axes.xaxis.get_major_locator().set_params(integer=True)
    if title:
        figure.suptitle(title)
    _save(figure, path)


def _percent():
    from matplotlib.ticker import PercentFormatter
    return PercentFormatter(xmax=1.0, decimals=0)


def plot_confusion(matrix, classes, path, title: str = "") -> None:
    """The confusion matrix as a heat map, rows the true classes, counts written in the cells."""
    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    size = max(4.0, 0.45 * k + 2.5)
    figure = _figure(size + 1.0, size)
    axes = figure.add_subplot(1, 1, 1)
    # colour by the fraction of each true class, so that small classes are as visible
    fractions = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = axes.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, format=_percent(), label="fraction of the true class")
    if k <= 30:
        rows, columns = np.indices(matrix.shape)
        for row, column, count, fraction in zip(rows.ravel(), columns.ravel(), matrix.ravel(), fractions.ravel()):
            if count:
                axes.text(column, row, str(int(count)), ha="center", va="center", fontsize=8,
                          color="white" if fraction > 0.5 else ("black" if row == column else MISTAKE_COLOUR))
    axes.set_xticks(range(k), classes, rotation=45 if max(map(len, classes)) > 2 else 0, ha="right"
                    if max(map(len, classes)) > 2 else "center")
    axes.set_yticks(range(k), classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    axes.set_title(f"{title + ': ' if title else ''}{int(np.trace(matrix))}/{int(matrix.sum())} correct "
                   f"({accuracy:.2%})")
    _save(figure, path)


def choose_samples(correct: np.ndarray, count: int = 32, mistakes: int = 8, seed: int = 0) -> np.ndarray:
    """Indices of test samples to show: up to ``mistakes`` wrong ones and correct ones to
    fill ``count``, drawn at random (seeded) and returned in their original order."""
    rng = np.random.default_rng(seed)
    wrong, right = np.flatnonzero(~correct), np.flatnonzero(correct)
    chosen_wrong = rng.permutation(wrong)[:mistakes]
    chosen_right = rng.permutation(right)[:count - len(chosen_wrong)]
    return np.sort(np.concatenate([chosen_wrong, chosen_right]))


def plot_samples(images, true_labels, logits, classes, path, title: str = "", count: int = 32,
                 columns: int = 8) -> None:
    """A grid of test images, each titled with its predicted class and probability and its
    true class; mistakes in red with a red frame."""
    images = np.asarray(images)
    true_labels = np.asarray(true_labels)
    probabilities = softmax(logits)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == true_labels
    chosen = choose_samples(correct, count=min(count, len(true_labels)))
    rows = -(-len(chosen) // columns)
    figure = _figure(1.35 * columns, 1.6 * rows + 0.4)
    for k, index in enumerate(chosen):
        axes = figure.add_subplot(rows, columns, k + 1)
        image = images[index]
        if image.ndim == 3 and image.shape[0] == 3:
            axes.imshow(np.clip(np.moveaxis(image, 0, -1), 0, 1))
        else:
            axes.imshow(image.reshape(image.shape[-2:]), cmap="gray", interpolation="nearest")
        mistake = not correct[index]
        colour = MISTAKE_COLOUR if mistake else "black"
        axes.set_title(f"{classes[predicted[index]]} {probabilities[index, predicted[index]]:.0%}\n"
                       f"true: {classes[true_labels[index]]}", fontsize=7, color=colour)
        axes.set_xticks([])
        axes.set_yticks([])
        for spine in axes.spines.values():
            spine.set_color(colour)
            spine.set_linewidth(2.5 if mistake else 0.5)
    shown_wrong = int(np.count_nonzero(~correct[chosen]))
    heading = (f"{title + ': ' if title else ''}{len(chosen)} test images, predicted class (probability) "
               f"and true class; {shown_wrong} mistake{'s' if shown_wrong != 1 else ''} in red "
               f"({int(np.count_nonzero(~correct)):,} of {len(correct):,} in all)")
    figure.suptitle(heading, fontsize=9)
    _save(figure, path)


def plot_decision_regions(predict_logits, points, true_labels, classes, path, title: str = "",
                          resolution: int = 200) -> None:
    """For 2-D inputs: the plane coloured by the predicted class, the test points on top
    (mistakes circled in red). ``predict_logits(array M×2) -> M×C`` is the model."""
    from matplotlib.colors import ListedColormap
    points = np.asarray(points, dtype=np.float64)
    true_labels = np.asarray(true_labels)
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * (high - low) + 1e-9
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
    regions = softmax(predict_logits(grid)).argmax(axis=1).reshape(grid_x.shape)
    predicted = softmax(predict_logits(points.astype(np.float32))).argmax(axis=1)
    k = len(classes)
    palette = np.array(["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                        "#bcbd22", "#17becf", "#aec7e8"])[np.arange(k) % 10]
    figure = _figure(5.5, 5.0)
    axes = figure.add_subplot(1, 1, 1)
    axes.contourf(grid_x, grid_y, regions, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(palette), alpha=0.25)
    for c in range(k):
        mine = true_labels == c
        axes.scatter(points[mine, 0], points[mine, 1], s=12, color=palette[c], label=f"class {classes[c]}")
    wrong = predicted != true_labels
    axes.scatter(points[wrong, 0], points[wrong, 1], s=70, facecolors="none", edgecolors=MISTAKE_COLOUR,
                 linewidths=1.5, label=f"mistakes ({int(wrong.sum())})")
    axes.legend(fontsize=8, loc="best")
    axes.set_xlabel("feature 1")
    axes.set_ylabel("feature 2")
    accuracy = 1 - wrong.mean()
    axes.set_title(f"{title + ': ' if title else ''}test points and decision regions ({accuracy:.1%} correct)",
                   fontsize=9)
    _save(figure, path)


__all__ = ["choose_samples", "plot_confusion", "plot_curves", "plot_decision_regions", "plot_samples", "softmax"]
