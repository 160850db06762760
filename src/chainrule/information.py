r"""Information theory: entropy, cross-entropy, KL and JS divergence, mutual information (``cr.information``)."""
