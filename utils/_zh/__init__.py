"""The Chinese strings of utils/zh.py, in two tables (a file each, so that each stays short enough to read)."""
