"""dunning: policies and levels, dunning runs and cases, notifications, payment patterns.

Arrives with the dunning issue.
"""
