"""Metrics against hand-computed values (scikit-learn's definitions and conventions)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ShapeError
from chainrule.train import metrics as M

# A three-class example worked by hand:
#   y_true = 0 0 1 1 2 2 2,  y_pred = 0 1 1 1 2 0 1
#   confusion (rows true, columns predicted): [[1 1 0] [0 2 0] [1 1 1]]
#   precision = tp / column sums = [1/2, 2/4, 1/1];  recall = tp / row sums = [1/2, 2/2, 1/3]
#   F1 = 2 tp / (row + column sums) = [2/4, 4/6, 2/4]
Y_TRUE = np.array([0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0, 1])


def test_confusion_matrix_by_hand():
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 1, 1]])
    np.testing.assert_array_equal(M.confusion_matrix(Y_TRUE, Y_PRED), expected)
    np.testing.assert_allclose(M.confusion_matrix(Y_TRUE, Y_PRED, normalize="true"),
                               expected / np.array([[2], [2], [3]]))
    np.testing.assert_allclose(M.confusion_matrix(Y_TRUE, Y_PRED, normalize="pred"),
                               expected / np.array([[2, 4, 1]]))
    np.testing.assert_allclose(M.confusion_matrix(Y_TRUE, Y_PRED, normalize="all"), expected / 7)


def test_confusion_matrix_labels_select_and_order():
    # labels [2, 0]: rows/columns in that order; samples of class 1 left out
    np.testing.assert_array_equal(M.confusion_matrix(Y_TRUE, Y_PRED, labels=[2, 0]), [[1, 1], [0, 1]])
    # num_classes adds an empty class 3
    matrix = M.confusion_matrix(Y_TRUE, Y_PRED, num_classes=4)
    assert matrix.shape == (4, 4) and matrix[3].sum() == 0 and matrix[:, 3].sum() == 0


def test_precision_recall_f1_per_class_by_hand():
    precision, recall, f1, support = M.precision_recall_fscore(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(precision, [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(recall, [1 / 2, 1, 1 / 3])
    np.testing.assert_allclose(f1, [1 / 2, 2 / 3, 1 / 2])
    np.testing.assert_array_equal(support, [2, 2, 3])


def test_averages_by_hand():
    assert M.precision_score(Y_TRUE, Y_PRED) == pytest.approx(2 / 3)               # (1/2 + 1/2 + 1)/3
    assert M.recall_score(Y_TRUE, Y_PRED) == pytest.approx(11 / 18)                # (1/2 + 1 + 1/3)/3
    assert M.f1_score(Y_TRUE, Y_PRED) == pytest.approx(5 / 9)                      # (1/2 + 2/3 + 1/2)/3
    assert M.f1_score(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(23 / 42)  # (2·½ + 2·⅔ + 3·½)/7
    for score in (M.precision_score, M.recall_score, M.f1_score):                  # micro = accuracy
        assert score(Y_TRUE, Y_PRED, average="micro") == pytest.approx(4 / 7)
    assert M.accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 7)


def test_f_beta_weights_recall():
    # F_β = (1+β²) tp / (β² (tp+fn) + tp + fp); class 2: tp 1, true 3, predicted 1
    _, _, f2, _ = M.precision_recall_fscore(Y_TRUE, Y_PRED, beta=2.0)
    assert f2[2] == pytest.approx(5 * 1 / (4 * 3 + 1))


def test_zero_division_like_scikit_learn():
    y_true, y_pred = [0, 0, 1], [0, 0, 0]          # class 1 is never predicted
    with pytest.warns(M.UndefinedMetricWarning, match="precision"):
        precision = M.precision_score(y_true, y_pred, average=None)
    np.testing.assert_allclose(precision, [2 / 3, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, f1, _ = M.precision_recall_fscore(y_true, y_pred, zero_division=1.0)
    np.testing.assert_allclose(precision, [2 / 3, 1.0])
    np.testing.assert_allclose(recall, [1.0, 0.0])
    # F1 of class 1 is 2·0 / (1 + 0) = 0, defined whatever zero_division says
    np.testing.assert_allclose(f1, [0.8, 0.0])


def test_zero_division_nan_is_skipped_by_averages():
    # class 2 neither present nor predicted: all three ratios undefined
    precision, _, f1, _ = M.precision_recall_fscore([0, 1], [0, 1], labels=[0, 1, 2], zero_division=np.nan)
    assert np.isnan(precision[2]) and np.isnan(f1[2])
    assert M.f1_score([0, 1], [0, 1], labels=[0, 1, 2], zero_division=np.nan) == 1.0
    assert M.f1_score([0, 1], [0, 1], labels=[0, 1, 2], zero_division=0.0) == pytest.approx(2 / 3)


def test_accuracy_from_scores_takes_the_arg_max():
    scores = cr.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert M.accuracy([1, 0, 0], scores) == pytest.approx(2 / 3)
    # one logit per sample: class 1 where it is positive
    np.testing.assert_array_equal(M.predicted_labels(np.array([-1.0, 0.5, 0.0])), [0, 1, 0])


def test_top_k_accuracy_by_hand():
    scores = np.array([[0.1, 0.5, 0.4],     # true 2: one class higher
                       [0.3, 0.3, 0.4],     # true 0: one higher (the tie with class 1 favours the true class)
                       [0.2, 0.5, 0.3]])    # true 0: two higher
    y = [2, 0, 0]
    assert M.top_k_accuracy(y, scores, k=1) == 0.0
    assert M.top_k_accuracy(y, scores, k=2) == pytest.approx(2 / 3)
    assert M.top_k_accuracy(y, scores, k=3) == 1.0


def test_log_loss_by_hand():
    probabilities = np.array([[0.8, 0.2], [0.3, 0.7]])
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert M.log_loss([0, 1], probabilities) == pytest.approx(expected)
    assert M.log_loss([0, 1], np.array([0.2, 0.7])) == pytest.approx(expected)     # probability of class 1
    # clipping: a certain mistake costs -log(eps), not infinity
    assert M.log_loss([1], np.array([[1.0, 0.0]])) == pytest.approx(-math.log(np.finfo(np.float64).eps))


def test_log_loss_from_logits_is_stable_and_agrees():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]])
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert M.log_loss_from_logits([2, 1], logits) == pytest.approx(M.log_loss([2, 1], probabilities), rel=1e-12)
    # z = (1000, 0), true class 1: the loss is 1000 (+ log(1 + e^-1000)), finite
    assert M.log_loss_from_logits([1], np.array([[1000.0, 0.0]])) == pytest.approx(1000.0)
    # a binary classifier's single logit z: p(1) = σ(z)
    assert M.log_loss_from_logits([1], np.array([0.0])) == pytest.approx(math.log(2))


def test_regression_metrics_by_hand():
    y_true, y_pred = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    # residuals 0.5, -0.5, 0, -1: SSE 1.5; mean 2.875, SST 29.1875
    assert M.mean_squared_error(y_true, y_pred) == pytest.approx(1.5 / 4)
    assert M.mean_absolute_error(y_true, y_pred) == pytest.approx(2.0 / 4)
    assert M.r2_score(y_true, y_pred) == pytest.approx(1 - 1.5 / 29.1875)
    # N×1 predictions against N targets
    assert M.r2_score(y_true, np.array(y_pred)[:, None]) == pytest.approx(1 - 1.5 / 29.1875)


def test_r2_of_a_constant_target():
    assert M.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
    assert M.r2_score([2.0, 2.0, 2.0], [2.0, 2.5, 2.0]) == 0.0


def test_r2_averages_outputs():
    y_true = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    y_pred = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 4.0]])
    # output 1 perfect (R² = 1); output 2: SSE 1, SST 8
    assert M.r2_score(y_true, y_pred) == pytest.approx((1 + (1 - 1 / 8)) / 2)


def test_output_metric_names():
    outputs = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    assert M.output_metric("accuracy")([0, 1], outputs) == 0.5
    assert M.output_metric("top2_accuracy")([0, 1], outputs) == 1.0
    with pytest.raises(ValueError, match="unknown metric 'top0_accuracy'.*accuracy"):
        M.output_metric("top0_accuracy")


def test_bad_inputs_are_reported():
    with pytest.raises(ShapeError, match=r"y_true \(3\) and y_pred \(2\)"):
        M.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="integer class labels"):
        M.confusion_matrix([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        M.confusion_matrix([-1, 1], [0, 1])
    with pytest.raises(ValueError, match="average must be"):
        M.f1_score([0, 1], [0, 1], average="binary")
    with pytest.raises(ValueError, match="zero_division"):
        M.f1_score([0, 1], [0, 1], zero_division=0.5)
    with pytest.raises(ValueError, match="probabilities"):
        M.log_loss([0], np.array([[1.5, -0.5]]))
    with pytest.raises(ValueError, match="no samples"):
        M.accuracy([], [])
    with pytest.raises(ValueError, match="label 3 has no column"):
        M.top_k_accuracy([3], np.ones((1, 3)))
