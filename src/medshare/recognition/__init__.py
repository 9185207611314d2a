"""Mutual recognition of examination and test results (检查检验结果互认)."""
