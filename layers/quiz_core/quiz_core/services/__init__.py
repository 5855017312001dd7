"""Use cases: each module checks the rules for one player action and performs it."""
