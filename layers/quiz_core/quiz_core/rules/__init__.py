"""Decisions of the quiz, as pure functions of plain data: no I/O, no clock reads."""
