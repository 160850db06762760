r"""Metrics of predictions: classification counts, probabilistic scores, regression errors.

Names, arguments and conventions follow scikit-learn's ``sklearn.metrics``, so that a
number computed here can be compared with one computed there. Every metric takes NumPy
arrays or :class:`chainrule.Tensor`\ s and is a few whole-array operations: nothing loops
in Python over samples.

Classification, with :math:`y_i` the true and :math:`\hat y_i` the predicted class of
sample :math:`i`, and the confusion matrix :math:`C_{jk} = \#\{i : y_i = j,\ \hat y_i = k\}`:

.. math::
    \mathrm{accuracy} = \frac1N \sum_i [y_i = \hat y_i], \qquad
    P_k = \frac{C_{kk}}{\sum_j C_{jk}}, \qquad R_k = \frac{C_{kk}}{\sum_j C_{kj}}, \qquad
    F_{\beta,k} = \frac{(1 + \beta^2)\, C_{kk}}{\beta^2 \sum_j C_{kj} + \sum_j C_{jk}}

(precision :math:`P_k`: of the samples predicted :math:`k`, the fraction that are
:math:`k`; recall :math:`R_k`: of the samples that are :math:`k`, the fraction found;
:math:`F_1` their harmonic mean). A ratio whose denominator is zero — precision of a class
never predicted, recall of a class absent from ``y_true`` — takes the value
``zero_division`` (scikit-learn's rule; ``"warn"`` means 0 with a warning).

Scores: log loss :math:`-\frac1N \sum_i \log p_{i, y_i}` of predicted probabilities
(clipped to :math:`[\epsilon, 1 - \epsilon]`), top-:math:`k` accuracy. Regression:
:math:`\mathrm{MSE} = \frac1N \sum_i (y_i - \hat y_i)^2`, :math:`\mathrm{MAE} = \frac1N
\sum_i |y_i - \hat y_i|` and :math:`R^2 = 1 - \sum_i (y_i - \hat y_i)^2 / \sum_i (y_i -
\bar y)^2`.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.special import logsumexp

from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor

AVERAGES = (None, "macro", "micro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A ratio had a zero denominator and was set to ``zero_division`` (scikit-learn's warning)."""


# ----------------------------------------------------------------------------- inputs
def _array(values, name: str, owner: str) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().numpy()
    array = np.asarray(values)
    if array.dtype == object:
        raise TypeError(f"{owner}: {name} must be numeric, got an array of Python objects")
    return array


def _labels(values, name: str, owner: str) -> np.ndarray:
    """Class labels: a 1-D array of integers (floats that are whole numbers are accepted)."""
    array = _array(values, name, owner)
    if array.ndim != 1:
        raise ShapeError(f"{owner}: {name} must be a 1-D array of class labels, got shape "
                         f"{fmt_shape(array.shape)} (pass predicted labels, or use accuracy() on scores)")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{owner}: {name} must hold integer class labels, got non-integer values")
        array = array.astype(np.int64)
    elif array.dtype.kind == "b":
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iu":
        raise TypeError(f"{owner}: {name} must hold integer class labels, got dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"{owner}: class labels must be non-negative, {name} holds {int(array.min())}")
    return array.astype(np.int64, copy=False)


def _same_length(owner: str, **arrays) -> None:
    (first, a), *rest = arrays.items()
    for name, b in rest:
        if a.shape[0] != b.shape[0]:
            raise ShapeError(f"{owner}: {first} {fmt_shape(a.shape)} and {name} {fmt_shape(b.shape)} "
                             f"have different numbers of samples ({a.shape[0]} ≠ {b.shape[0]})")
    if a.shape[0] == 0:
        raise ValueError(f"{owner}: no samples (empty {first})")


def predicted_labels(outputs) -> np.ndarray:
    r"""Class predictions from a model's outputs: :math:`\arg\max_k` of each row of an
    ``N×C`` array of scores (logits or probabilities, ties to the lowest index as
    ``numpy.argmax``); for one score per sample (``N`` or ``N×1``, a binary classifier's
    logit), class 1 where the score is positive."""
    scores = _array(outputs, "outputs", "predicted_labels")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    if scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1):
        return (scores.reshape(-1) > 0).astype(np.int64)
    raise ShapeError(f"predicted_labels: expected scores of shape N×C or N, got {fmt_shape(scores.shape)}")


# ----------------------------------------------------------------------------- accuracy
def accuracy(y_true, y_pred) -> float:
    r"""The fraction of correct predictions, :math:`\frac1N \sum_i [y_i = \hat y_i]`.

    ``y_pred`` holds predicted labels (length ``N``) or scores (``N×C``, the prediction
    is the arg-max of each row — see :func:`predicted_labels`).
    """
    truth = _labels(y_true, "y_true", "accuracy")
    scores = _array(y_pred, "y_pred", "accuracy")
    predicted = predicted_labels(scores) if scores.ndim == 2 else _labels(scores, "y_pred", "accuracy")
    _same_length("accuracy", y_true=truth, y_pred=predicted)
    return float(np.mean(truth == predicted))


def top_k_accuracy(y_true, scores, k: int = 5) -> float:
    r"""The fraction of samples whose true class is among the ``k`` highest scores.

    Sample :math:`i` counts when fewer than :math:`k` classes score strictly higher than
    its true class, :math:`\#\{c : s_{ic} > s_{i y_i}\} < k`: ties are resolved in favour
    of the true class. With ``k = 1`` and no ties this is :func:`accuracy`.
    """
    truth = _labels(y_true, "y_true", "top_k_accuracy")
    scores = _array(scores, "scores", "top_k_accuracy")
    if scores.ndim != 2:
        raise ShapeError(f"top_k_accuracy: scores must be N×C (one column per class), got "
                         f"{fmt_shape(scores.shape)}")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"top_k_accuracy: k must be a positive integer, got {k!r}")
    _same_length("top_k_accuracy", y_true=truth, scores=scores)
    if truth.max() >= scores.shape[1]:
        raise ValueError(f"top_k_accuracy: label {int(truth.max())} has no column in scores of shape "
                         f"{fmt_shape(scores.shape)}")
    true_scores = np.take_along_axis(scores, truth[:, None], axis=1)
    higher = np.count_nonzero(scores > true_scores, axis=1)
    return float(np.mean(higher < k))


# ----------------------------------------------------------------------------- counts
def confusion_matrix(y_true, y_pred, *, labels=None, num_classes: int | None = None,
                     normalize: str | None = None) -> np.ndarray:
    r"""The confusion matrix :math:`C_{jk}`: samples of true class :math:`j` predicted as :math:`k`.

    Parameters
    ----------
    y_true, y_pred : array-like of int, length N
    labels : sequence of int, optional
        The classes to count, in this order (rows and columns); samples of other classes
        are left out. Default: ``range(num_classes)`` when given, else the sorted labels
        present in either array (scikit-learn's default).
    num_classes : int, optional
        Shorthand for ``labels=range(num_classes)``.
    normalize : {None, "true", "pred", "all"}
        Divide by the row sums (each true class sums to 1), the column sums, or the total;
        an empty row or column stays zero.

    Returns
    -------
    numpy.ndarray
        ``K×K``, int64 counts (float64 when normalized).
    """
    truth = _labels(y_true, "y_true", "confusion_matrix")
    predicted = _labels(y_pred, "y_pred", "confusion_matrix")
    _same_length("confusion_matrix", y_true=truth, y_pred=predicted)
    classes = _classes(truth, predicted, labels, num_classes, "confusion_matrix")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    k = len(classes)
    # Map each label to its row/column (−1 for classes not counted), then count pairs
    # with one bincount over the flattened index j·K + k.
    position = np.full(int(max(classes.max(), truth.max(), predicted.max())) + 1, -1, dtype=np.int64)
    position[classes] = np.arange(k)
    rows, columns = position[truth], position[predicted]
    kept = (rows >= 0) & (columns >= 0)
    counts = np.bincount(rows[kept] * k + columns[kept], minlength=k * k).reshape(k, k)
    if normalize is None:
        return counts
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    totals = counts.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(counts / totals, nan=0.0)


def _classes(truth, predicted, labels, num_classes, owner) -> np.ndarray:
    if labels is not None and num_classes is not None:
        raise TypeError(f"{owner}: pass labels= or num_classes=, not both")
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ValueError(f"{owner}: num_classes must be a positive integer, got {num_classes!r}")
        return np.arange(int(num_classes))
    if labels is None:
        return np.union1d(truth, predicted)
    classes = _labels(labels, "labels", owner)
    if classes.size == 0:
        raise ValueError(f"{owner}: labels is empty")
    if np.unique(classes).size != classes.size:
        raise ValueError(f"{owner}: labels contains repeated classes")
    return classes


def _check_zero_division(zero_division, owner):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"{owner}: zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
        return 0.0, True
    value = float(zero_division)
    if not (value in (0.0, 1.0) or np.isnan(value)):
        raise ValueError(f"{owner}: zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
    return value, False


def _divide(numerator, denominator, zero_value, warn, what, owner):
    """``numerator / denominator`` with ``zero_value`` where the denominator is 0 (and a warning)."""
    undefined = denominator == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = numerator / np.where(undefined, 1, denominator)
    ratio = np.where(undefined, zero_value, ratio).astype(np.float64)
    if warn and np.any(undefined):
        warnings.warn(f"{owner}: {what} is ill-defined and set to 0.0 for classes with no "
                      f"{'predicted' if what == 'precision' else 'true'} samples; use zero_division= "
                      f"to choose the value and silence this warning", UndefinedMetricWarning, stacklevel=3)
    return ratio


def precision_recall_fscore(y_true, y_pred, *, labels=None, num_classes: int | None = None,
                            average: str | None = None, beta: float = 1.0, zero_division="warn"):
    r"""Precision, recall, :math:`F_\beta` and support, per class or averaged.

    Parameters
    ----------
    y_true, y_pred : array-like of int, length N
    labels, num_classes
        The classes to score (as in :func:`confusion_matrix`).
    average : {None, "macro", "micro", "weighted"}
        ``None``: one value per class. ``"macro"``: the unweighted mean over classes.
        ``"weighted"``: the mean weighted by each class's support. ``"micro"``: from the
        totals of true positives, predictions and true samples over all classes (for
        single-label multiclass data, all three equal the accuracy over the counted classes).
    beta : float, default 1
        Weight of recall against precision in :math:`F_\beta`.
    zero_division : {"warn", 0, 1, nan}
        The value of a ratio with a zero denominator. :math:`F_\beta` is computed from
        counts, :math:`(1+\beta^2)\,TP / (\beta^2 (TP + FN) + TP + FP)`, so it is undefined
        only when a class is neither present nor predicted; a class present but never
        predicted has :math:`F = 0` whatever ``zero_division`` says. With ``nan``, averages
        skip the undefined classes.

    Returns
    -------
    precision, recall, fscore : numpy.ndarray (per class) or float (averaged)
    support : numpy.ndarray of int64 (per class) or None (averaged), the number of true samples
    """
    owner = "precision_recall_fscore"
    if average not in AVERAGES:
        raise ValueError(f"{owner}: average must be one of None, 'macro', 'micro', 'weighted', got {average!r}")
    if not float(beta) >= 0:
        raise ValueError(f"{owner}: beta must be ≥ 0, got {beta!r}")
    zero_value, warn = _check_zero_division(zero_division, owner)
    truth = _labels(y_true, "y_true", owner)
    predicted = _labels(y_pred, "y_pred", owner)
    counts = confusion_matrix(truth, predicted, labels=labels, num_classes=num_classes)
    true_positives = np.diag(counts).astype(np.float64)
    # Totals over all predictions and true samples of each counted class, including those
    # confused with classes outside `labels` (scikit-learn counts them too).
    classes = _classes(truth, predicted, labels, num_classes, owner)
    true_sum = _count_of(truth, classes)
    predicted_sum = _count_of(predicted, classes)
    if average == "micro":
        true_positives, true_sum, predicted_sum = (np.array([a.sum()]) for a in
                                                   (true_positives, true_sum, predicted_sum))
    precision = _divide(true_positives, predicted_sum, zero_value, warn, "precision", owner)
    recall = _divide(true_positives, true_sum, zero_value, warn, "recall", owner)
    beta2 = float(beta) ** 2
    fscore = _divide((1 + beta2) * true_positives, beta2 * true_sum + predicted_sum, zero_value, warn,
                     "f-score", owner)
    if average is None:
        return precision, recall, fscore, true_sum.astype(np.int64)
    if average == "micro":
        return float(precision[0]), float(recall[0]), float(fscore[0]), None
    weights = true_sum if average == "weighted" else np.ones_like(true_sum)
    if average == "weighted" and weights.sum() == 0:
        # no true samples of any counted class: every weighted mean is 0/0
        return zero_value, zero_value, zero_value, None
    return (_mean(precision, weights), _mean(recall, weights), _mean(fscore, weights), None)


def _count_of(values, classes) -> np.ndarray:
    """How many entries of ``values`` equal each class (one bincount)."""
    counts = np.bincount(values, minlength=int(classes.max()) + 1)
    return counts[classes].astype(np.float64)


def _mean(values, weights) -> float:
    defined = ~np.isnan(values)
    if not defined.any():
        return float("nan")
    return float(np.average(values[defined], weights=weights[defined])
                 if weights[defined].sum() > 0 else np.mean(values[defined]))


def precision_score(y_true, y_pred, *, labels=None, num_classes=None, average: str | None = "macro",
                    zero_division="warn"):
    """Precision (see :func:`precision_recall_fscore`); ``average="macro"`` by default,
    ``None`` for one value per class."""
    return precision_recall_fscore(y_true, y_pred, labels=labels, num_classes=num_classes, average=average,
                                   zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, num_classes=None, average: str | None = "macro",
                 zero_division="warn"):
    """Recall (see :func:`precision_recall_fscore`); ``average="macro"`` by default."""
    return precision_recall_fscore(y_true, y_pred, labels=labels, num_classes=num_classes, average=average,
                                   zero_division=zero_division)[1]


def f1_score(y_true, y_pred, *, labels=None, num_classes=None, average: str | None = "macro",
             zero_division="warn"):
    """:math:`F_1` (see :func:`precision_recall_fscore`); ``average="macro"`` by default."""
    return precision_recall_fscore(y_true, y_pred, labels=labels, num_classes=num_classes, average=average,
                                   zero_division=zero_division)[2]


# ----------------------------------------------------------------------------- probabilities
def log_loss(y_true, y_prob, *, eps: float | str = "auto") -> float:
    r"""Cross-entropy of predicted probabilities, :math:`-\frac1N \sum_i \log p_{i, y_i}`.

    ``y_prob`` is ``N×C`` (row :math:`i` the probabilities of the classes, column :math:`c`
    the class labelled :math:`c`) or, for two classes, the ``N`` probabilities of class 1.
    Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` so that a confident
    mistake costs :math:`-\log\epsilon` rather than infinity; ``eps="auto"`` is the
    machine epsilon of the probabilities' dtype (scikit-learn's default). For logits use
    :func:`log_loss_from_logits`, which needs no clipping.
    """
    truth = _labels(y_true, "y_true", "log_loss")
    probabilities = _array(y_prob, "y_prob", "log_loss")
    if probabilities.ndim == 1:
        probabilities = np.stack([1 - probabilities, probabilities], axis=1)
    if probabilities.ndim != 2:
        raise ShapeError(f"log_loss: y_prob must be N×C or N, got {fmt_shape(probabilities.shape)}")
    _same_length("log_loss", y_true=truth, y_prob=probabilities)
    if truth.max() >= probabilities.shape[1]:
        raise ValueError(f"log_loss: label {int(truth.max())} has no column in y_prob of shape "
                         f"{fmt_shape(probabilities.shape)}")
    if np.any(probabilities < 0) or np.any(probabilities > 1):
        raise ValueError("log_loss: y_prob must hold probabilities in [0, 1]")
    dtype = probabilities.dtype if probabilities.dtype.kind == "f" else np.dtype(np.float64)
    epsilon = float(np.finfo(dtype).eps) if eps == "auto" else float(eps)
    chosen = np.take_along_axis(probabilities, truth[:, None], axis=1)[:, 0].astype(np.float64)
    return float(-np.mean(np.log(np.clip(chosen, epsilon, 1 - epsilon))))


def log_loss_from_logits(y_true, logits) -> float:
    r"""Cross-entropy from unnormalised scores: :math:`-\frac1N \sum_i \big(z_{i,y_i} -
    \log\sum_c e^{z_{ic}}\big)`, the log-sum-exp taken stably (``scipy.special.logsumexp``);
    one logit per sample is a binary classifier's :math:`z` for class 1 (class 0 has 0)."""
    truth = _labels(y_true, "y_true", "log_loss_from_logits")
    scores = _array(logits, "logits", "log_loss_from_logits").astype(np.float64)
    if scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1):
        scores = np.stack([np.zeros(scores.shape[0]), scores.reshape(-1)], axis=1)
    _same_length("log_loss_from_logits", y_true=truth, logits=scores)
    if truth.max() >= scores.shape[1]:
        raise ValueError(f"log_loss_from_logits: label {int(truth.max())} has no column in logits of "
                         f"shape {fmt_shape(scores.shape)}")
    log_normalizer = logsumexp(scores, axis=1)
    chosen = np.take_along_axis(scores, truth[:, None], axis=1)[:, 0]
    return float(np.mean(log_normalizer - chosen))


# ----------------------------------------------------------------------------- regression
def _regression_pair(y_true, y_pred, owner):
    truth = _array(y_true, "y_true", owner).astype(np.float64)
    predicted = _array(y_pred, "y_pred", owner).astype(np.float64)
    if truth.ndim == 2 and truth.shape[1] == 1 and predicted.ndim == 1:
        truth = truth[:, 0]
    if predicted.ndim == 2 and predicted.shape[1] == 1 and truth.ndim == 1:
        predicted = predicted[:, 0]
    if truth.shape != predicted.shape or truth.ndim not in (1, 2):
        raise ShapeError(f"{owner}: y_true {fmt_shape(truth.shape)} and y_pred {fmt_shape(predicted.shape)} "
                         f"must have the same shape, N or N×outputs")
    _same_length(owner, y_true=truth, y_pred=predicted)
    return truth, predicted


def mean_squared_error(y_true, y_pred) -> float:
    r""":math:`\frac1N \sum_i (y_i - \hat y_i)^2`, averaged over outputs for ``N×outputs`` targets."""
    truth, predicted = _regression_pair(y_true, y_pred, "mean_squared_error")
    return float(np.mean((truth - predicted) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    r""":math:`\frac1N \sum_i |y_i - \hat y_i|`, averaged over outputs for ``N×outputs`` targets."""
    truth, predicted = _regression_pair(y_true, y_pred, "mean_absolute_error")
    return float(np.mean(np.abs(truth - predicted)))


def r2_score(y_true, y_pred) -> float:
    r"""The coefficient of determination :math:`R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i
    (y_i - \bar y)^2}`, averaged over outputs (scikit-learn's ``"uniform_average"``).

    A constant target has a zero denominator: :math:`R^2` is then 1 for a perfect
    prediction and 0 otherwise (scikit-learn's ``force_finite=True``). Needs two samples.
    """
    truth, predicted = _regression_pair(y_true, y_pred, "r2_score")
    if truth.shape[0] < 2:
        raise ValueError("r2_score: R² is not defined for fewer than two samples")
    residual = np.sum((truth - predicted) ** 2, axis=0)
    total = np.sum((truth - truth.mean(axis=0)) ** 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = 1 - residual / np.where(total == 0, 1, total)
    score = np.where(total == 0, np.where(residual == 0, 1.0, 0.0), score)
    return float(np.mean(score))


# ----------------------------------------------------------------------------- by name
def _macro(score):
    def metric(targets, outputs):
        return score(targets, predicted_labels(outputs), average="macro", zero_division=0.0)
    return metric


OUTPUT_METRICS = {
    "accuracy": accuracy,
    "f1": _macro(f1_score),
    "precision": _macro(precision_score),
    "recall": _macro(recall_score),
    "log_loss": log_loss_from_logits,
    "mse": mean_squared_error,
    "mae": mean_absolute_error,
    "r2": r2_score,
}


def output_metric(name):
    """The metric called ``name``, as a function ``f(targets, outputs) -> float`` of a
    model's raw outputs (logits for classifiers).

    Names: ``accuracy``, ``topK_accuracy`` (e.g. ``top5_accuracy``), ``f1``, ``precision``,
    ``recall`` (macro averages, 0 for undefined classes), ``log_loss`` (from logits),
    ``mse``, ``mae``, ``r2``. A callable is returned as it is.
    """
    if callable(name):
        return name
    key = str(name).lower()
    if key in OUTPUT_METRICS:
        return OUTPUT_METRICS[key]
    if key.startswith("top") and key.endswith("_accuracy") and key[3:-9].isdigit() and int(key[3:-9]) > 0:
        k = int(key[3:-9])
        return lambda targets, outputs: top_k_accuracy(targets, outputs, k=k)
    raise ValueError(f"unknown metric {name!r}; valid names are {', '.join(OUTPUT_METRICS)}, topK_accuracy "
                     f"(e.g. top5_accuracy), or a function f(targets, outputs)")


__all__ = ["OUTPUT_METRICS", "UndefinedMetricWarning", "accuracy", "confusion_matrix", "f1_score", "log_loss",
           "log_loss_from_logits", "mean_absolute_error", "mean_squared_error", "output_metric", "precision_recall_fscore",
           "precision_score", "predicted_labels", "r2_score", "recall_score", "top_k_accuracy"]
