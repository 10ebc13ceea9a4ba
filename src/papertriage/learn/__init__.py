"""Learned triage: the model of a reader's taste, screening sessions, simulations."""
